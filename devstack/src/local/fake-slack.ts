/**
 * A fake Slack for tests and the offline demo: the Web API at `${url}/api/<method>`, the
 * `response_url`s at `${url}/response/<id>` and the Socket Mode WebSocket at `${url}/link/`, on
 * one loopback HTTP server. It records every call in order, answers in the real API's shapes
 * (including its errors and Block Kit limits), and keeps a model of the workspace: messages per
 * channel, ephemeral messages per user, and the open modals per user.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ViewOutput, ViewStateValue } from '@slack/bolt';
import { type MessageRefusal, validateMessage, validateView } from './block-kit-validator.js';
import { FakeSocketMode } from './socket-mode.js';

export {
  blockTextLength,
  type MessageRefusal,
  type Surface,
  validateBlocks,
  validateMessage,
  validateView,
} from './block-kit-validator.js';

type Json = Record<string, unknown>;

export interface FakeSlackOptions {
  /** 0 (any free port) by default. */
  port?: number;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botId?: string;
  botUserId?: string;
  /** How long a trigger_id can open a modal; Slack's is 3 s. */
  triggerTtlMs?: number;
  /** Answer `not_authed` to calls without a token, as Slack does. Default true. */
  requireToken?: boolean;
  /**
   * The bot token's scopes; default `botScopes` (manifest.yml's). Without `chat:write.public`,
   * posting in a public channel the bot is not in is `not_in_channel`.
   */
  scopes?: readonly string[];
}

/** The bot scopes manifest.yml asks for. */
export const botScopes = ['commands', 'chat:write', 'chat:write.public', 'usergroups:read'] as const;

/** Who the fake workspace and its bot are; pass `botId`/`botUserId` to Bolt so it skips `auth.test`. */
export interface FakeSlackIdentity {
  teamId: string;
  teamDomain: string;
  appId: string;
  botId: string;
  botUserId: string;
}

/** One call the app made: a Web API method, or a post to a `response_url` (method `response_url`). */
export interface RecordedCall {
  /** 1, 2, 3… in arrival order; see `mark()`. */
  readonly seq: number;
  readonly method: string;
  /** The parsed arguments, JSON-string fields (`blocks`, `view`, …) decoded; never the token. */
  readonly body: Json;
  /** `Date.now()` on arrival. */
  readonly at: number;
  /** Whether a token came with the call (its value is never kept). */
  readonly token: boolean;
  /** HTTP status answered. */
  readonly status: number;
  /** What was answered. */
  readonly response: Json;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

/** A channel message, shaped as `conversations.history` returns it, plus `channel` and `via`. */
export interface SlackMessage {
  type: 'message';
  subtype?: string;
  channel: string;
  ts: string;
  text: string;
  /** The author: the bot user for everything the app posts. */
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  reactions?: Reaction[];
  /** How it got there: a call of the app, or `person` for one typed by a user (`postAsUser`). */
  via: 'chat.postMessage' | 'response_url' | 'ack' | 'person';
}

/** A message only `user` sees. */
export interface EphemeralMessage {
  type: 'message';
  channel: string;
  /** The one user who sees it. */
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  via: 'chat.postEphemeral' | 'response_url' | 'ack';
}

/** An open modal (or a published Home tab), as Slack returns it, plus who has it open. */
export type OpenView = ViewOutput & {
  user: string;
  /** Set by a `response_action: 'errors'` ack; shown next to the inputs. */
  errors?: Record<string, string>;
};

export interface SlackUser {
  id: string;
  name: string;
  real_name: string;
  is_bot: boolean;
  deleted: boolean;
  tz: string;
  is_admin: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_private: boolean;
  is_im: boolean;
  members: string[];
}

/** What a `response_url` or a command ack acts on. */
export interface ResponseTarget {
  channel: string;
  user: string;
  /** The message the interaction came from: `replace_original`/`delete_original` act on it. */
  message?: { ts: string; ephemeral: boolean };
}

export type WorkspaceChange =
  | { kind: 'message'; action: 'posted' | 'updated' | 'deleted'; channel: string; ts: string }
  | { kind: 'ephemeral'; action: 'posted' | 'updated' | 'deleted'; channel: string; user: string; ts: string }
  | { kind: 'view'; action: 'opened' | 'updated' | 'closed' | 'published'; user: string; viewId: string }
  | { kind: 'reset' };

/**
 * A call Slack refused (`ok: false`), so nothing was shown or changed: what the console shows in place of
 * the message or modal. Transport faults (429, 5xx) are not refusals: the client retries those.
 */
export interface Refusal {
  /** The recorded call's `seq` (for an `ack`, which is not a call, the last call's). */
  seq: number;
  /** The Web API method, `response_url`, or `ack` (a command's or view submission's HTTP answer). */
  method: string;
  error: string;
  /** `response_metadata.messages`: each names a JSON pointer. */
  messages: string[];
  /** Where it would have shown. A message: `channel` (and `threadTs`); an update of one: `ts`. */
  channel?: string;
  ts?: string;
  threadTs?: string;
  /** Ephemeral messages and views: the one user who would have seen it. */
  user?: string;
  ephemeral?: boolean;
  /** A modal or Home tab (views.*); `viewId` when an open view was to change. */
  view?: 'modal' | 'home';
  viewId?: string;
  /** The newest message ts when refused, so a refused post can be placed where it would have been. */
  afterTs: string;
}

export interface FakeSlackEvents {
  call: [call: RecordedCall];
  change: [change: WorkspaceChange];
  refused: [refusal: Refusal];
}

/** Errors `failNext` knows by name; any other string is answered as `{ok:false, error}`. */
export type InjectedError = 'ratelimited' | 'channel_not_found' | 'expired_trigger_id' | (string & {});

/**
 * A transport-level failure: 429 `{ok:false, error:'ratelimited'}` with a `Retry-After` header (as Slack
 * rate-limits, docs.slack.dev/apis/web-api/rate-limits), or a server error, 500 `fatal_error` /
 * 503 `service_unavailable`, which the WebClient treats as retryable.
 */
export interface HttpFault {
  status: 429 | 500 | 503;
  /** Seconds in the `Retry-After` header of a 429. Default 1. */
  retryAfterSec?: number;
}

export interface WaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
  /** Only consider calls with `seq` greater than this (from `mark()`). Default 0: all calls. */
  since?: number;
  /** Used in the timeout message. */
  description?: string;
}

/** A handler for a method the fake does not model, or to override one it does. */
export type MethodHandler = (args: Json) => Json | Promise<Json>;

const defaults: FakeSlackIdentity = {
  teamId: 'T0TEAM',
  teamDomain: 'fake-workspace',
  appId: 'A0APP',
  botId: 'B0BOT',
  botUserId: 'U0BOT',
};

/** Users and channels every fresh (or reset) fake starts with. */
export const seedUsers = {
  alice: 'U0ALICE',
  bob: 'U0BOB',
  carol: 'U0CAROL',
} as const;
export const seedChannels = {
  ops: 'C0OPS',
  general: 'C0GENERAL',
} as const;

/** Methods whose form-encoded arguments are JSON strings (the WebClient stringifies objects). */
const jsonFields = new Set([
  'blocks',
  'attachments',
  'view',
  'metadata',
  'unfurls',
  'user_auth_blocks',
  'options',
  'option_groups',
  'profile',
]);

const channelIdPattern = /^[CGD][A-Z0-9]{2,}$/;
const userIdPattern = /^[UW][A-Z0-9]{2,}$/;

class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Json = {},
  ) {
    super(code);
  }
}

interface Fault {
  error: InjectedError;
  /** 200 for an `{ok:false, error}` refusal; 429, 500 or 503 otherwise. */
  status: number;
  retryAfterSeconds: number;
  remaining: number;
}

/** A fault answered to every call of a method until `until` (`Date.now()` ms). */
interface FaultWindow {
  fault: Fault;
  until: number;
}

interface Delay {
  ms: number;
  remaining: number;
}

interface ResponseUrlState {
  target: ResponseTarget;
  uses: number;
  createdAt: number;
}

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

interface Waiter {
  match: (call: RecordedCall) => boolean;
  resolve: (call: RecordedCall) => void;
  reject: (error: Error) => void;
}

export class FakeSlack extends EventEmitter<FakeSlackEvents> {
  readonly identity: FakeSlackIdentity;
  readonly socketMode: FakeSocketMode;
  private readonly triggerTtlMs: number;
  private readonly requireToken: boolean;
  private readonly initialScopes: readonly string[];
  private scopes: Set<string>;
  private baseUrl = '';
  private server: Server | undefined;
  private readonly mounts: {
    prefix: string;
    handler: (req: IncomingMessage, res: ServerResponse) => void;
  }[] = [];
  private readonly handlers = new Map<string, MethodHandler>();

  private recorded: RecordedCall[] = [];
  private seq = 0;
  private tsCount = 0;
  private idCount = 0;
  private triggerCount = 0;
  private channelMessages = new Map<string, SlackMessage[]>();
  private ephemeralMessages: EphemeralMessage[] = [];
  private viewStacks = new Map<string, OpenView[]>();
  private homeViews = new Map<string, OpenView>();
  private users = new Map<string, SlackUser>();
  private channels = new Map<string, SlackChannel>();
  private usergroups = new Map<string, string[]>();
  private faults = new Map<string, Fault[]>();
  private faultWindows = new Map<string, FaultWindow[]>();
  private refusalLog: Refusal[] = [];
  private delays = new Map<string, Delay[]>();
  private responseUrls = new Map<string, ResponseUrlState>();
  private triggers = new Map<string, Trigger>();
  private waiters = new Set<Waiter>();

  constructor(opts: FakeSlackOptions = {}) {
    super();
    this.identity = {
      teamId: opts.teamId ?? defaults.teamId,
      teamDomain: opts.teamDomain ?? defaults.teamDomain,
      appId: opts.appId ?? defaults.appId,
      botId: opts.botId ?? defaults.botId,
      botUserId: opts.botUserId ?? defaults.botUserId,
    };
    this.triggerTtlMs = opts.triggerTtlMs ?? 3000;
    this.requireToken = opts.requireToken ?? true;
    this.initialScopes = opts.scopes ?? botScopes;
    this.scopes = new Set(this.initialScopes);
    this.socketMode = new FakeSocketMode({ appId: this.identity.appId });
    this.seed();
  }

  /** `http://127.0.0.1:PORT`; Bolt's `slackApiUrl` is `${url}/api/`. */
  get url(): string {
    return this.baseUrl;
  }

  /** The value for Bolt's `clientOptions.slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async listen(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake slack: ${(error as Error).message}`);
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!this.socketMode.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stop the app first: a Socket Mode client would otherwise try to reconnect to a closed server. */
  async close(): Promise<void> {
    for (const waiter of this.waiters) waiter.reject(new Error('the fake Slack was closed'));
    this.waiters.clear();
    await this.socketMode.close();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Forget all calls, messages, views and injected faults; back to the seeded directory. */
  reset(): void {
    this.recorded = [];
    this.seq = 0;
    this.tsCount = 0;
    this.idCount = 0;
    this.channelMessages = new Map();
    this.ephemeralMessages = [];
    this.viewStacks = new Map();
    this.homeViews = new Map();
    this.faults = new Map();
    this.faultWindows = new Map();
    this.refusalLog = [];
    this.delays = new Map();
    this.responseUrls = new Map();
    this.triggers = new Map();
    this.handlers.clear();
    this.scopes = new Set(this.initialScopes);
    this.seed();
    this.emit('change', { kind: 'reset' });
  }

  /** Serve extra routes (a web console) on the same server; `prefix` like `/console`. */
  mount(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.mounts.push({ prefix, handler });
  }

  // ---- readers ----

  /** Every recorded call, or those of one method, in order. */
  calls(method?: string): RecordedCall[] {
    return method === undefined ? [...this.recorded] : this.recorded.filter((c) => c.method === method);
  }

  /** The `seq` of the last call so far, for `waitFor(…, { since })`. */
  mark(): number {
    return this.seq;
  }

  /** Top-level messages of a channel (thread replies only when broadcast), oldest first. */
  messages(channel: string, opts: { replies?: boolean } = {}): SlackMessage[] {
    const all = this.channelMessages.get(this.resolveChannelId(channel) ?? channel) ?? [];
    const shown = opts.replies
      ? all
      : all.filter(
          (m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast',
        );
    return structuredClone(shown);
  }

  /** The calls Slack refused (oldest first, the last 200), e.g. `invalid_blocks`; see `Refusal`. */
  refusals(): Refusal[] {
    return structuredClone(this.refusalLog);
  }

  /** Channels that have at least one message, in the order they got their first. */
  channelIds(): string[] {
    return [...this.channelMessages.entries()].filter(([, list]) => list.length > 0).map(([id]) => id);
  }

  lastMessage(channel: string): SlackMessage | undefined {
    return this.messages(channel).at(-1);
  }

  /** A thread: the parent first, then the replies. */
  thread(channel: string, ts: string): SlackMessage[] {
    return this.messages(channel, { replies: true }).filter((m) => m.ts === ts || m.thread_ts === ts);
  }

  /** Any message by channel and ts, including thread replies. */
  message(channel: string, ts: string): SlackMessage | undefined {
    return this.messages(channel, { replies: true }).find((m) => m.ts === ts);
  }

  ephemerals(user?: string): EphemeralMessage[] {
    return structuredClone(
      user === undefined ? this.ephemeralMessages : this.ephemeralMessages.filter((m) => m.user === user),
    );
  }

  /** Open modals, each user's stack bottom first. */
  views(user?: string): OpenView[] {
    const stacks = user === undefined ? [...this.viewStacks.values()] : [this.viewStacks.get(user) ?? []];
    return structuredClone(stacks.flat());
  }

  view(viewId: string): OpenView | undefined {
    const found = this.findView(viewId);
    return found ? structuredClone(found.view) : undefined;
  }

  homeView(user: string): OpenView | undefined {
    const home = this.homeViews.get(user);
    return home ? structuredClone(home) : undefined;
  }

  user(id: string): SlackUser | undefined {
    return this.lookupUser(id);
  }

  channel(id: string): SlackChannel | undefined {
    const resolved = this.resolveChannelId(id);
    return resolved ? this.lookupChannel(resolved) : undefined;
  }

  // ---- directory ----

  setUser(user: Partial<SlackUser> & { id: string }): void {
    this.users.set(user.id, { ...defaultUser(user.id), ...user });
  }

  setChannel(channel: Partial<SlackChannel> & { id: string }): void {
    this.channels.set(channel.id, { ...defaultChannel(channel.id), ...channel });
  }

  setChannelMembers(channel: string, members: string[]): void {
    const existing = this.lookupChannel(channel) ?? defaultChannel(channel);
    this.channels.set(channel, { ...existing, members: [...members] });
  }

  /** `usergroups.users.list` answers from this map; unknown ids get `no_such_subteam`. */
  /** Replace the bot token's scopes (e.g. without `chat:write.public`). */
  setScopes(scopes: readonly string[]): void {
    this.scopes = new Set(scopes);
  }

  setUsergroup(usergroupId: string, userIds: string[]): void {
    this.usergroups.set(usergroupId, [...userIds]);
  }

  /**
   * A message a person typed in `channel` (not the app's): the app cannot `chat.update` or `chat.delete`
   * it (`cant_update_message`, `cant_delete_message`). Returns its ts.
   */
  postAsUser(channel: string, user: string, text: string): string {
    const id = this.resolveChannelId(channel) ?? channel;
    const message = this.postMessage(id, { text }, 'person');
    message.user = user;
    delete message.bot_id;
    delete message.app_id;
    return message.ts;
  }

  // ---- fault injection ----

  /**
   * The next `times` (default 1) calls of `method` fail: `ratelimited` as HTTP 429 with
   * `Retry-After` (default 1 s), anything else as HTTP 200 `{ok:false, error}`; or, given an
   * `HttpFault`, with that HTTP status: `failNext('chat.update', { status: 429, retryAfterSec: 1, times: 10 })`.
   * `method` may be `response_url` (refusals there are HTTP 404, as for an expired URL).
   */
  failNext(
    method: string,
    error: InjectedError | (HttpFault & { times?: number }),
    opts: { times?: number; retryAfterSeconds?: number } = {},
  ): void {
    const fault =
      typeof error === 'string'
        ? namedFault(error, opts.retryAfterSeconds ?? 1, opts.times ?? 1)
        : httpFault(error, error.times ?? opts.times ?? 1);
    const queue = this.faults.get(method) ?? [];
    queue.push(fault);
    this.faults.set(method, queue);
  }

  /**
   * Every call of `method` for the next `ms` milliseconds (from now, by `Date.now()`) fails with
   * `fault`: `failFor('chat.update', 10_000, { status: 429, retryAfterSec: 1 })` is a 10-second burst
   * of rate limiting, `failFor('chat.update', 40_000, { status: 500 })` a 40-second outage. `method`
   * may be `response_url`. While a window is open it wins over `failNext`, whose queue stays untouched;
   * of overlapping windows the one added first answers, so `failFor(m, 10_000, 429)` then
   * `failFor(m, 50_000, 500)` is ten seconds of 429s followed by forty of 500s.
   */
  failFor(method: string, ms: number, fault: HttpFault): void {
    const windows = this.faultWindows.get(method) ?? [];
    windows.push({ fault: httpFault(fault, Number.POSITIVE_INFINITY), until: Date.now() + ms });
    this.faultWindows.set(method, windows);
  }

  /** Forget the injected faults (queued and timed) of `method`, or of every method. */
  clearFaults(method?: string): void {
    if (method === undefined) {
      this.faults.clear();
      this.faultWindows.clear();
      return;
    }
    this.faults.delete(method);
    this.faultWindows.delete(method);
  }

  /** Delay the answer to the next `times` (default 1) calls of `method`. */
  delayNext(method: string, ms: number, opts: { times?: number } = {}): void {
    const queue = this.delays.get(method) ?? [];
    queue.push({ ms, remaining: opts.times ?? 1 });
    this.delays.set(method, queue);
  }

  /** Answer `method` with `handler` (for methods the fake does not model, or to override one). */
  setHandler(method: string, handler: MethodHandler): void {
    this.handlers.set(method, handler);
  }

  // ---- waiting ----

  /** Resolves with the first call (after `since`) matching `predicate`; rejects listing the calls seen. */
  waitFor(predicate: (call: RecordedCall) => boolean, opts: WaitOptions = {}): Promise<RecordedCall> {
    const since = opts.since ?? 0;
    const match = (call: RecordedCall) => call.seq > since && predicate(call);
    const existing = this.recorded.find(match);
    if (existing) return Promise.resolve(existing);
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (call) => {
          clearTimeout(timer);
          resolve(call);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${opts.description ?? 'a matching call'} not seen within ${timeoutMs} ms; ${this.describeCalls()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  waitForCall(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    opts: number | Omit<WaitOptions, 'description'> = {},
  ): Promise<RecordedCall> {
    const options = typeof opts === 'number' ? { timeoutMs: opts } : opts;
    return this.waitFor((c) => c.method === method && (predicate === undefined || predicate(c)), {
      ...options,
      description: predicate ? `a matching ${method} call` : `a ${method} call`,
    });
  }

  /** A readable list of the calls so far (the last 25), for assertion messages. */
  describeCalls(): string {
    if (this.recorded.length === 0) return 'no calls recorded';
    const shown = this.recorded.slice(-25);
    const lines = shown.map((c) => `  ${summarize(c)}`);
    const skipped = this.recorded.length - shown.length;
    return `${this.recorded.length} call(s) recorded${skipped > 0 ? ` (first ${skipped} omitted)` : ''}:\n${lines.join('\n')}`;
  }

  // ---- interaction plumbing (used by the driver) ----

  /** A trigger_id for `user`, valid for `triggerTtlMs` and for one modal. */
  issueTrigger(user: string, id?: string): string {
    // Slack's trigger_ids never repeat: this counter survives reset(), so a bot that remembers the
    // deliveries it handled (slack-dedupe.ts) never takes a new command for a replay.
    this.triggerCount += 1;
    const triggerId =
      id ??
      `${1700000000000 + this.triggerCount}.${this.identity.teamId.slice(1)}.${hex(this.triggerCount, 32)}`;
    this.triggers.set(triggerId, { user, issuedAt: Date.now(), used: false });
    return triggerId;
  }

  /** A fresh `response_url` acting on `target`. */
  createResponseUrl(target: ResponseTarget): string {
    this.idCount += 1;
    const id = `${this.identity.teamId}/${this.idCount}/${hex(this.idCount, 24)}`;
    this.responseUrls.set(id, { target: structuredClone(target), uses: 0, createdAt: Date.now() });
    return `${this.baseUrl}/response/${id}`;
  }

  /**
   * Shows what an app put in a command's or an action's ack body, as Slack does: like a post to
   * its response_url, without using it up or recording a call.
   */
  applyAck(responseUrl: string, body: unknown): void {
    const state = this.responseUrls.get(responseUrlId(responseUrl));
    if (!state) return;
    const payload = typeof body === 'string' ? { text: body } : isRecord(body) ? body : undefined;
    if (!payload || (payload.text === undefined && payload.blocks === undefined)) return;
    const refusal = validateMessage(messageContent(payload));
    if (refusal) {
      // Slack shows nothing for an ack it cannot render; there is no call to answer, only the refusal.
      const target = responseRefusalTarget(state.target, payload);
      this.noteRefusal('ack', payload, refusalBody(refusal), target);
      return;
    }
    this.applyResponse(state, payload, 'ack');
  }

  /**
   * Applies the app's answer to a view_submission: nothing or no `response_action` closes the view;
   * `errors` keeps it open with the errors; `update`, `push` and `clear` do what they say. A view Slack
   * would refuse in `update` or `push` changes nothing, is noted as a refusal (method `ack`) and answers
   * `refused` (Slack keeps the modal open with a generic error).
   */
  applyViewSubmission(
    viewId: string,
    body: unknown,
  ): 'closed' | 'errors' | 'updated' | 'pushed' | 'cleared' | 'refused' {
    const found = this.findView(viewId);
    if (!found) throw new Error(`view ${viewId} is not open (open: ${this.openViewIds()})`);
    const response = isRecord(body) ? body : {};
    const user = found.view.user;
    if (response.response_action === 'update' || response.response_action === 'push') {
      const problems = isRecord(response.view)
        ? validateView(response.view, 'modal')
        : ['[ERROR] missing required field: view [json-pointer:/view]'];
      if (problems.length > 0) {
        const answer = { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        this.noteRefusal('ack', response, answer, { view: 'modal', user, viewId });
        return 'refused';
      }
    }
    switch (response.response_action) {
      case 'errors': {
        found.view.errors = isRecord(response.errors) ? (response.errors as Record<string, string>) : {};
        this.emit('change', { kind: 'view', action: 'updated', user, viewId });
        return 'errors';
      }
      case 'update': {
        const next = this.buildView(parseViewArg(response.view), user, {
          id: found.view.id,
          root: found.view.root_view_id,
          previous: found.view.previous_view_id,
        });
        found.stack[found.index] = next;
        this.emit('change', { kind: 'view', action: 'updated', user, viewId });
        return 'updated';
      }
      case 'push': {
        this.pushView(user, parseViewArg(response.view));
        return 'pushed';
      }
      case 'clear': {
        for (const view of found.stack)
          this.emit('change', { kind: 'view', action: 'closed', user, viewId: view.id });
        this.viewStacks.delete(user);
        return 'cleared';
      }
      default:
        this.closeView(viewId);
        return 'closed';
    }
  }

  /** Closes a view and any pushed on top of it; returns the closed view. */
  closeView(viewId: string): OpenView | undefined {
    const found = this.findView(viewId);
    if (!found) return undefined;
    const closed = found.stack.splice(found.index);
    if (found.stack.length === 0) this.viewStacks.delete(found.view.user);
    for (const view of closed.reverse()) {
      this.emit('change', { kind: 'view', action: 'closed', user: view.user, viewId: view.id });
    }
    return structuredClone(found.view);
  }

  // ---- HTTP ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl || 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/')) return this.serveApi(req, res, url);
    if (url.pathname.startsWith('/response/')) return this.serveResponseUrl(req, res, url);
    const mount = this.mounts.find((m) => url.pathname.startsWith(m.prefix));
    if (mount) return mount.handler(req, res);
    send(res, 404, { ok: false, error: 'not_found' });
  }

  private async serveApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const raw = await readBody(req);
    let args: Json;
    try {
      args = await parseArgs(raw, String(req.headers['content-type'] ?? ''), url.searchParams);
    } catch {
      return this.answer(res, method, {}, false, 200, { ok: false, error: 'invalid_json' });
    }
    const token = bearer(req.headers.authorization) ?? asString(args.token);
    delete args.token;
    await this.applyDelay(method);

    const fault = this.takeFault(method);
    if (fault) {
      const response = { ok: false, error: fault.error };
      this.answer(res, method, args, token !== undefined, fault.status, response, faultHeaders(fault));
      if (fault.status === 200) this.noteRefusal(method, args, response);
      return;
    }

    let response: Json;
    try {
      response = await this.dispatch(method, args, token);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      response = { ok: false, error: error.code, ...error.extra };
    }
    this.answer(res, method, args, token !== undefined, 200, response);
    if (response.ok === false) this.noteRefusal(method, args, response);
  }

  /** Records and emits a refusal of a call that would have shown something (see `Refusal`). */
  private noteRefusal(method: string, args: Json, response: Json, target?: Partial<Refusal>): void {
    const where = target ?? this.refusalTarget(method, args);
    if (!where) return;
    const metadata = isRecord(response.response_metadata) ? response.response_metadata : {};
    const refusal: Refusal = {
      ...where,
      seq: this.seq,
      method,
      error: asString(response.error) ?? 'unknown_error',
      messages: stringArray(metadata.messages),
      afterTs: this.tsCount === 0 ? '0' : this.currentTs(),
    };
    this.refusalLog.push(refusal);
    if (this.refusalLog.length > 200) this.refusalLog.shift();
    this.emit('refused', refusal);
  }

  /** Where a refused Web API call would have shown; undefined for methods that show nothing. */
  private refusalTarget(method: string, args: Json): Partial<Refusal> | undefined {
    const channelArg = asString(args.channel);
    const channel = channelArg === undefined ? undefined : (this.resolveChannelId(channelArg) ?? channelArg);
    const threadTs = asString(args.thread_ts);
    const inChannel = { ...(channel ? { channel } : {}), ...(threadTs ? { threadTs } : {}) };
    switch (method) {
      case 'chat.postMessage':
        return inChannel;
      case 'chat.postEphemeral': {
        const user = asString(args.user);
        return { ...inChannel, ephemeral: true, ...(user ? { user } : {}) };
      }
      case 'chat.update': {
        const ts = asString(args.ts);
        return { ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) };
      }
      case 'views.open':
      case 'views.push': {
        const user = this.triggers.get(asString(args.trigger_id) ?? '')?.user;
        return { view: 'modal', ...(user ? { user } : {}) };
      }
      case 'views.update': {
        const viewId = asString(args.view_id);
        const found =
          viewId !== undefined
            ? this.findView(viewId)
            : this.findViewByExternalId(asString(args.external_id) ?? '');
        return {
          view: 'modal',
          ...(found ? { user: found.view.user, viewId: found.view.id } : viewId ? { viewId } : {}),
        };
      }
      case 'views.publish': {
        const user = asString(args.user_id);
        return { view: 'home', ...(user ? { user } : {}) };
      }
      default:
        return undefined;
    }
  }

  private async dispatch(method: string, args: Json, token: string | undefined): Promise<Json> {
    const custom = this.handlers.get(method);
    if (custom) return custom(args);
    if (method === 'api.test') return { ok: true, args };
    if (token === undefined && this.requireToken) throw new ApiError('not_authed');
    const appToken = token?.startsWith('xapp-') ?? false;
    if (method === 'apps.connections.open') {
      if (token !== undefined && !appToken) throw new ApiError('not_allowed_token_type');
      return { ok: true, url: this.socketMode.issueUrl(this.baseUrl) };
    }
    if (appToken) throw new ApiError('not_allowed_token_type');
    const handler = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    if (!handler) throw new ApiError('unknown_method', { req_method: method });
    return handler(args);
  }

  private answer(
    res: ServerResponse,
    method: string,
    body: Json,
    token: boolean,
    status: number,
    response: Json,
    headers: Record<string, string> = {},
  ): void {
    this.record({ method, body, token, status, response });
    send(res, status, response, headers);
  }

  private record(call: Omit<RecordedCall, 'seq' | 'at'>): void {
    this.seq += 1;
    const recorded: RecordedCall = { seq: this.seq, at: Date.now(), ...call };
    this.recorded.push(recorded);
    this.emit('call', recorded);
    for (const waiter of this.waiters) {
      if (waiter.match(recorded)) {
        this.waiters.delete(waiter);
        waiter.resolve(recorded);
      }
    }
  }

  private takeFault(method: string): Fault | undefined {
    const now = Date.now();
    const windows = this.faultWindows.get(method)?.filter((w) => w.until > now);
    if (windows) this.faultWindows.set(method, windows);
    if (windows?.[0]) return windows[0].fault;
    const queue = this.faults.get(method);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue.shift();
    return fault;
  }

  private async applyDelay(method: string): Promise<void> {
    const queue = this.delays.get(method);
    const delay = queue?.[0];
    if (!queue || !delay) return;
    delay.remaining -= 1;
    if (delay.remaining <= 0) queue.shift();
    await new Promise((resolve) => setTimeout(resolve, delay.ms));
  }

  private async serveResponseUrl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = url.pathname.slice('/response/'.length);
    const raw = await readBody(req);
    let body: Json;
    try {
      body = await parseArgs(
        raw,
        String(req.headers['content-type'] ?? 'application/json'),
        new URLSearchParams(),
      );
    } catch {
      return this.answer(res, 'response_url', {}, false, 400, { ok: false, error: 'invalid_payload' });
    }
    await this.applyDelay('response_url');
    const fault = this.takeFault('response_url');
    if (fault) {
      // A refused response_url post: 400 for content Slack cannot show (as the validation below answers,
      // like an incoming webhook: slackapi/java-slack-sdk#1017), 404 otherwise (as for an expired URL);
      // transport faults keep their status.
      const status =
        fault.status !== 200 ? fault.status : RESPONSE_CONTENT_ERRORS.has(fault.error) ? 400 : 404;
      return this.answer(
        res,
        'response_url',
        body,
        false,
        status,
        { ok: false, error: fault.error },
        faultHeaders(fault),
      );
    }
    const state = this.responseUrls.get(id);
    const refuse = (status: number, response: Json) => {
      this.answer(res, 'response_url', body, false, status, response);
      if (state) this.noteRefusal('response_url', body, response, responseRefusalTarget(state.target, body));
    };
    // A response_url works five times within 30 minutes (docs.slack.dev/interactivity/handling-user-interaction).
    if (!state || Date.now() - state.createdAt > 30 * 60_000) {
      return refuse(404, { ok: false, error: 'expired_url' });
    }
    if (state.uses >= 5) return refuse(404, { ok: false, error: 'used_url' });
    // Like an incoming webhook, a response_url answers a payload it refuses with HTTP 400.
    const refusal = asBool(body.delete_original) ? undefined : validateMessage(messageContent(body));
    if (refusal) return refuse(400, refusalBody(refusal));
    state.uses += 1;
    this.applyResponse(state, body, 'response_url');
    this.answer(res, 'response_url', body, false, 200, { ok: true });
  }

  private applyResponse(state: ResponseUrlState, body: Json, via: 'response_url' | 'ack'): void {
    const { target } = state;
    if (asBool(body.delete_original)) {
      if (target.message) this.deleteTarget(target.channel, target.user, target.message);
      delete target.message;
      return;
    }
    const content = this.normalizeContent(messageContent(body));
    if (asBool(body.replace_original) && target.message) {
      const { ts, ephemeral } = target.message;
      if (ephemeral) {
        const found = this.ephemeralMessages.find((m) => m.ts === ts && m.user === target.user);
        if (found) {
          replaceContent(found, content);
          this.emit('change', {
            kind: 'ephemeral',
            action: 'updated',
            channel: found.channel,
            user: found.user,
            ts,
          });
          return;
        }
      } else {
        const found = this.findMessage(target.channel, ts);
        if (found) {
          replaceContent(found, content);
          found.edited = { user: this.identity.botUserId, ts: this.nextTs() };
          this.emit('change', { kind: 'message', action: 'updated', channel: found.channel, ts });
          return;
        }
      }
    }
    const threadTs = asString(body.thread_ts);
    if (body.response_type === 'in_channel') {
      const posted = this.postMessage(
        target.channel,
        content,
        via === 'ack' ? 'ack' : 'response_url',
        threadTs,
      );
      target.message ??= { ts: posted.ts, ephemeral: false };
    } else {
      const posted = this.postEphemeral(target.channel, target.user, content, via, threadTs);
      target.message ??= { ts: posted.ts, ephemeral: true };
    }
  }

  // ---- Web API methods ----

  private readonly methods: Record<string, (args: Json) => Json> = {
    'auth.test': () => ({
      ok: true,
      url: `https://${this.identity.teamDomain}.slack.com/`,
      team: this.identity.teamDomain,
      user: this.lookupUser(this.identity.botUserId)?.name ?? 'bot',
      team_id: this.identity.teamId,
      user_id: this.identity.botUserId,
      bot_id: this.identity.botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (args) => {
      const channel = this.requirePostable(args.channel);
      const content = messageContent(args);
      if (!hasContent(content)) throw new ApiError('no_text');
      checkMessage(content);
      const threadTs = asString(args.thread_ts);
      const message = this.postMessage(
        channel,
        content,
        'chat.postMessage',
        threadTs,
        asBool(args.reply_broadcast),
      );
      if (args.metadata !== undefined) message.metadata = args.metadata;
      return { ok: true, channel, ts: message.ts, message: slackShape(message) };
    },

    'chat.postEphemeral': (args) => {
      const channel = this.requirePostable(args.channel);
      const user = asString(args.user);
      if (!user || !this.lookupUser(user)) throw new ApiError('user_not_found');
      const content = messageContent(args);
      if (!hasContent(content)) throw new ApiError('no_text');
      checkMessage(content);
      const message = this.postEphemeral(
        channel,
        user,
        content,
        'chat.postEphemeral',
        asString(args.thread_ts),
      );
      return { ok: true, message_ts: message.ts };
    },

    'chat.update': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.ts);
      const message = ts === undefined ? undefined : this.findMessage(channel, ts);
      if (!message || ts === undefined) throw new ApiError('message_not_found');
      if (message.user !== this.identity.botUserId) throw new ApiError('cant_update_message');
      const content = messageContent(args);
      if (!hasContent(content)) throw new ApiError('no_text');
      checkMessage(content);
      replaceContent(message, this.normalizeContent(content));
      message.edited = { user: this.identity.botUserId, ts: this.nextTs() };
      this.emit('change', { kind: 'message', action: 'updated', channel, ts });
      return { ok: true, channel, ts, text: message.text, message: slackShape(message) };
    },

    'chat.delete': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.ts);
      const message = ts === undefined ? undefined : this.findMessage(channel, ts);
      if (!message || ts === undefined) throw new ApiError('message_not_found');
      if (message.user !== this.identity.botUserId) throw new ApiError('cant_delete_message');
      this.deleteTarget(channel, '', { ts, ephemeral: false });
      return { ok: true, channel, ts };
    },

    'chat.getPermalink': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.message_ts);
      if (ts === undefined || !this.findMessage(channel, ts)) throw new ApiError('message_not_found');
      return {
        ok: true,
        channel,
        permalink: `https://${this.identity.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
      };
    },

    'conversations.info': (args) => {
      const channel = this.requireChannel(args.channel);
      const info = this.lookupChannel(channel) ?? defaultChannel(channel);
      return { ok: true, channel: channelShape(info, this.identity.botUserId) };
    },

    'conversations.members': (args) => {
      const channel = this.requireChannel(args.channel);
      const info = this.lookupChannel(channel) ?? defaultChannel(channel);
      return { ok: true, members: [...info.members], response_metadata: { next_cursor: '' } };
    },

    'conversations.history': (args) => {
      const channel = this.requireChannel(args.channel);
      const messages = this.messages(channel).reverse().map(slackShape);
      return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
    },

    'conversations.replies': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.ts);
      const thread = ts === undefined ? [] : this.thread(channel, ts);
      if (thread.length === 0) throw new ApiError('thread_not_found');
      return {
        ok: true,
        messages: thread.map(slackShape),
        has_more: false,
        response_metadata: { next_cursor: '' },
      };
    },

    'conversations.open': (args) => {
      const users = asString(args.users)?.split(',') ?? [];
      const first = users[0];
      if (users.length !== 1 || !first || !this.lookupUser(first)) throw new ApiError('user_not_found');
      return { ok: true, channel: { id: dmChannel(first) } };
    },

    'users.info': (args) => {
      const user = this.lookupUser(asString(args.user) ?? '');
      if (!user) throw new ApiError('user_not_found');
      return { ok: true, user: userShape(user, this.identity.teamId) };
    },

    'usergroups.users.list': (args) => {
      const users = this.usergroups.get(asString(args.usergroup) ?? '');
      if (!users) throw new ApiError('no_such_subteam');
      return { ok: true, users: [...users] };
    },

    'reactions.add': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.timestamp);
      const name = asString(args.name);
      const message = ts === undefined ? undefined : this.findMessage(channel, ts);
      if (!message || ts === undefined) throw new ApiError('message_not_found');
      if (!name) throw new ApiError('invalid_name');
      message.reactions ??= [];
      const reactions = message.reactions;
      const existing = reactions.find((r) => r.name === name);
      if (existing?.users.includes(this.identity.botUserId)) throw new ApiError('already_reacted');
      if (existing) {
        existing.users.push(this.identity.botUserId);
        existing.count += 1;
      } else {
        reactions.push({ name, users: [this.identity.botUserId], count: 1 });
      }
      this.emit('change', { kind: 'message', action: 'updated', channel, ts });
      return { ok: true };
    },

    'reactions.remove': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = asString(args.timestamp);
      const message = ts === undefined ? undefined : this.findMessage(channel, ts);
      if (!message || ts === undefined) throw new ApiError('message_not_found');
      const reaction = message.reactions?.find(
        (r) => r.name === asString(args.name) && r.users.includes(this.identity.botUserId),
      );
      if (!reaction || !message.reactions) throw new ApiError('no_reaction');
      reaction.users = reaction.users.filter((u) => u !== this.identity.botUserId);
      reaction.count -= 1;
      message.reactions = message.reactions.filter((r) => r.count > 0);
      this.emit('change', { kind: 'message', action: 'updated', channel, ts });
      return { ok: true };
    },

    'views.open': (args) => {
      const user = this.exchangeTrigger(args.trigger_id);
      const view = this.pushView(user, parseViewArg(args.view), true);
      return { ok: true, view: viewShape(view) };
    },

    'views.push': (args) => {
      const user = this.exchangeTrigger(args.trigger_id);
      const stack = this.viewStacks.get(user);
      if (!stack || stack.length === 0) throw new ApiError('not_found');
      if (stack.length >= 3) throw new ApiError('push_limit_reached');
      const view = this.pushView(user, parseViewArg(args.view));
      return { ok: true, view: viewShape(view) };
    },

    'views.update': (args) => {
      const viewId = asString(args.view_id);
      const externalId = asString(args.external_id);
      if (viewId === undefined && externalId === undefined) throw new ApiError('invalid_arguments');
      const found =
        viewId !== undefined ? this.findView(viewId) : this.findViewByExternalId(externalId ?? '');
      if (!found) throw new ApiError('not_found');
      const hash = asString(args.hash);
      if (hash !== undefined && hash !== found.view.hash) throw new ApiError('hash_conflict');
      const input = parseViewArg(args.view);
      const next = this.buildView({ external_id: found.view.external_id, ...input }, found.view.user, {
        id: found.view.id,
        root: found.view.root_view_id,
        previous: found.view.previous_view_id,
      });
      next.state = { values: carryState(found.view.state.values, next.state.values) };
      found.stack[found.index] = next;
      this.emit('change', { kind: 'view', action: 'updated', user: next.user, viewId: next.id });
      return { ok: true, view: viewShape(next) };
    },

    'views.publish': (args) => {
      const user = asString(args.user_id);
      if (!user || !this.lookupUser(user)) throw new ApiError('user_not_found');
      const input = parseViewArg(args.view);
      if (input.type !== 'home') throw new ApiError('invalid_arguments');
      const existing = this.homeViews.get(user);
      const hash = asString(args.hash);
      if (existing && hash !== undefined && hash !== existing.hash) throw new ApiError('hash_conflict');
      this.idCount += 1;
      const id = existing?.id ?? viewId(this.idCount);
      const view = this.buildView(input, user, { id, root: id, previous: null });
      this.homeViews.set(user, view);
      this.emit('change', { kind: 'view', action: 'published', user, viewId: id });
      return { ok: true, view: viewShape(view) };
    },
  };

  // ---- model helpers ----

  private seed(): void {
    this.users = new Map();
    this.channels = new Map();
    this.usergroups = new Map();
    this.setUser({ id: seedUsers.alice, name: 'alice', real_name: 'Alice Operator' });
    this.setUser({ id: seedUsers.bob, name: 'bob', real_name: 'Bob Approver' });
    this.setUser({ id: seedUsers.carol, name: 'carol', real_name: 'Carol Viewer' });
    this.setUser({
      id: this.identity.botUserId,
      name: 'pipeline-bot',
      real_name: 'Pipeline Bot',
      is_bot: true,
    });
    const everyone = [seedUsers.alice, seedUsers.bob, seedUsers.carol, this.identity.botUserId];
    this.setChannel({ id: seedChannels.ops, name: 'pipeline-ops', members: everyone });
    this.setChannel({ id: seedChannels.general, name: 'general', members: everyone });
  }

  private nextTs(): string {
    this.tsCount += 1;
    return this.currentTs();
  }

  /** The last ts handed out. */
  private currentTs(): string {
    const seconds = 1700000000 + Math.floor(this.tsCount / 10000);
    return `${seconds}.${String((this.tsCount % 10000) * 100).padStart(6, '0')}`;
  }

  /** Slack ids, `#name` or a user id (a DM); undefined when unknown. */
  private resolveChannelId(channel: string): string | undefined {
    if (channelIdPattern.test(channel)) return channel;
    if (userIdPattern.test(channel)) return dmChannel(channel);
    const name = channel.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name)?.id;
  }

  /**
   * A channel the bot may post in, as chat.postMessage decides
   * (docs.slack.dev/reference/methods/chat.postMessage, errors): a channel it is in; a public one
   * it is not in only with `chat:write.public` (else `not_in_channel`); a user id (its own DM with
   * that user). An unknown id, a private channel or a DM it is not in: `channel_not_found`.
   * Applied to chat.postEphemeral too, where the reference is less clear: stricter.
   */
  private requirePostable(value: unknown): string {
    const id = this.requireChannel(value);
    const raw = asString(value) ?? '';
    if (userIdPattern.test(raw) && this.lookupUser(raw)) return id;
    const info = this.lookupChannel(id);
    const ownDm = id.startsWith('D') && [...this.users.keys()].some((u) => dmChannel(u) === id);
    if (!info) {
      if (ownDm) return id;
      throw new ApiError('channel_not_found');
    }
    if (info.members.includes(this.identity.botUserId)) return id;
    if (info.is_private || info.is_im) throw new ApiError('channel_not_found');
    if (!this.scopes.has('chat:write.public')) throw new ApiError('not_in_channel');
    return id;
  }

  private requireChannel(value: unknown): string {
    const channel = asString(value);
    const id = channel === undefined ? undefined : this.resolveChannelId(channel);
    if (id === undefined) throw new ApiError('channel_not_found');
    return id;
  }

  private lookupChannel(id: string): SlackChannel | undefined {
    return this.channels.get(id);
  }

  /** Well-formed ids the directory does not know still resolve, so tests need not declare everyone. */
  private lookupUser(id: string): SlackUser | undefined {
    return this.users.get(id) ?? (userIdPattern.test(id) ? defaultUser(id) : undefined);
  }

  private findMessage(channel: string, ts: string): SlackMessage | undefined {
    return this.channelMessages.get(channel)?.find((m) => m.ts === ts);
  }

  private postMessage(
    channel: string,
    content: MessageContent,
    via: SlackMessage['via'],
    threadTs?: string,
    broadcast = false,
  ): SlackMessage {
    const ts = this.nextTs();
    const message: SlackMessage = {
      type: 'message',
      channel,
      ts,
      text: content.text,
      user: this.identity.botUserId,
      bot_id: this.identity.botId,
      app_id: this.identity.appId,
      team: this.identity.teamId,
      via,
    };
    if (content.blocks) message.blocks = this.normalizeBlocks(content.blocks);
    if (content.attachments) message.attachments = content.attachments;
    if (threadTs !== undefined) {
      message.thread_ts = threadTs;
      if (broadcast) message.subtype = 'thread_broadcast';
      const parent = this.findMessage(channel, threadTs);
      if (parent) {
        parent.thread_ts = threadTs;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.latest_reply = ts;
      }
    }
    const list = this.channelMessages.get(channel) ?? [];
    list.push(message);
    this.channelMessages.set(channel, list);
    this.emit('change', { kind: 'message', action: 'posted', channel, ts });
    return message;
  }

  private postEphemeral(
    channel: string,
    user: string,
    content: MessageContent,
    via: EphemeralMessage['via'],
    threadTs?: string,
  ): EphemeralMessage {
    const ts = this.nextTs();
    const message: EphemeralMessage = { type: 'message', channel, user, ts, text: content.text, via };
    if (content.blocks) message.blocks = this.normalizeBlocks(content.blocks);
    if (content.attachments) message.attachments = content.attachments;
    if (threadTs !== undefined) message.thread_ts = threadTs;
    this.ephemeralMessages.push(message);
    this.emit('change', { kind: 'ephemeral', action: 'posted', channel, user, ts });
    return message;
  }

  private deleteTarget(channel: string, user: string, target: { ts: string; ephemeral: boolean }): void {
    if (target.ephemeral) {
      const before = this.ephemeralMessages.length;
      this.ephemeralMessages = this.ephemeralMessages.filter((m) => !(m.ts === target.ts && m.user === user));
      if (this.ephemeralMessages.length < before) {
        this.emit('change', { kind: 'ephemeral', action: 'deleted', channel, user, ts: target.ts });
      }
      return;
    }
    const list = this.channelMessages.get(channel);
    if (!list) return;
    const index = list.findIndex((m) => m.ts === target.ts);
    if (index < 0) return;
    list.splice(index, 1);
    this.emit('change', { kind: 'message', action: 'deleted', channel, ts: target.ts });
  }

  /** Slack fills in missing block_ids and action_ids; so does the fake, so every button can be clicked. */
  private normalizeBlocks(blocks: unknown[]): unknown[] {
    return blocks.map((block) => {
      if (!isRecord(block)) return block;
      const copy: Json = { ...block };
      if (typeof copy.block_id !== 'string') copy.block_id = this.generatedId();
      const withActionId = (element: unknown) =>
        isRecord(element) && isInteractive(element) && typeof element.action_id !== 'string'
          ? { ...element, action_id: this.generatedId() }
          : element;
      if (Array.isArray(copy.elements) && copy.type === 'actions')
        copy.elements = copy.elements.map(withActionId);
      if (copy.accessory !== undefined) copy.accessory = withActionId(copy.accessory);
      if (copy.element !== undefined) copy.element = withActionId(copy.element);
      return copy;
    });
  }

  private normalizeContent(content: MessageContent): MessageContent {
    return content.blocks ? { ...content, blocks: this.normalizeBlocks(content.blocks) } : content;
  }

  private generatedId(): string {
    this.idCount += 1;
    return `gen${this.idCount.toString(36)}`;
  }

  private exchangeTrigger(value: unknown): string {
    const id = asString(value);
    if (id === undefined) throw new ApiError('invalid_arguments');
    const trigger = this.triggers.get(id);
    if (!trigger) throw new ApiError('invalid_trigger_id');
    if (trigger.used) throw new ApiError('exchanged_trigger_id');
    if (Date.now() - trigger.issuedAt > this.triggerTtlMs) throw new ApiError('expired_trigger_id');
    trigger.used = true;
    return trigger.user;
  }

  private pushView(user: string, input: Json, fresh = false): OpenView {
    const stack = fresh ? [] : (this.viewStacks.get(user) ?? []);
    const externalId = asString(input.external_id);
    if (externalId && this.findViewByExternalId(externalId)) throw new ApiError('duplicate_external_id');
    this.idCount += 1;
    const id = viewId(this.idCount);
    const view = this.buildView(input, user, {
      id,
      root: stack[0]?.id ?? id,
      previous: stack.at(-1)?.id ?? null,
    });
    if (fresh) {
      for (const old of this.viewStacks.get(user) ?? []) {
        this.emit('change', { kind: 'view', action: 'closed', user, viewId: old.id });
      }
    }
    stack.push(view);
    this.viewStacks.set(user, stack);
    this.emit('change', { kind: 'view', action: 'opened', user, viewId: id });
    return view;
  }

  private buildView(
    input: Json,
    user: string,
    ids: { id: string; root: string | null; previous: string | null },
  ): OpenView {
    const surface = input.type === 'home' ? 'home' : 'modal';
    const problems = validateView(input, surface);
    if (problems.length > 0) {
      throw new ApiError('invalid_arguments', { response_metadata: { messages: problems } });
    }
    this.idCount += 1;
    const blocks = this.normalizeBlocks(input.blocks as unknown[]);
    const view: OpenView = {
      id: ids.id,
      team_id: this.identity.teamId,
      type: String(input.type),
      blocks: blocks as ViewOutput['blocks'],
      private_metadata: asString(input.private_metadata) ?? '',
      callback_id: asString(input.callback_id) ?? '',
      state: { values: initialState(blocks) },
      hash: `1700000000.${hex(this.idCount, 8)}`,
      title: textObject(input.title) ?? { type: 'plain_text', text: '', emoji: true },
      clear_on_close: asBool(input.clear_on_close),
      notify_on_close: asBool(input.notify_on_close),
      close: textObject(input.close) ?? null,
      submit: textObject(input.submit) ?? null,
      previous_view_id: ids.previous,
      root_view_id: ids.root,
      app_id: this.identity.appId,
      external_id: asString(input.external_id) ?? '',
      app_installed_team_id: this.identity.teamId,
      bot_id: this.identity.botId,
      user,
    };
    return view;
  }

  private findView(id: string): { view: OpenView; stack: OpenView[]; index: number } | undefined {
    for (const stack of this.viewStacks.values()) {
      const index = stack.findIndex((v) => v.id === id);
      const view = stack[index];
      if (view) return { view, stack, index };
    }
    return undefined;
  }

  private findViewByExternalId(
    externalId: string,
  ): { view: OpenView; stack: OpenView[]; index: number } | undefined {
    for (const stack of this.viewStacks.values()) {
      const index = stack.findIndex((v) => v.external_id === externalId);
      const view = stack[index];
      if (view) return { view, stack, index };
    }
    return undefined;
  }

  private openViewIds(): string {
    const ids = this.views().map((v) => v.id);
    return ids.length > 0 ? ids.join(', ') : 'none';
  }
}

/** Starts a fake Slack on 127.0.0.1 (port 0 unless given). */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlack(opts);
  await fake.listen(opts.port ?? 0);
  return fake;
}

/** The id part of a fake `response_url`. */
export function responseUrlId(responseUrl: string): string {
  const marker = '/response/';
  const at = responseUrl.indexOf(marker);
  return at < 0 ? '' : responseUrl.slice(at + marker.length);
}

/** The state Slack reports for a view's inputs before anyone types: initial values or nulls. */
export function initialState(blocks: unknown[]): Record<string, Record<string, ViewStateValue>> {
  const values: Record<string, Record<string, ViewStateValue>> = {};
  for (const block of blocks) {
    if (!isRecord(block) || typeof block.block_id !== 'string') continue;
    const elements: unknown[] =
      block.type === 'input'
        ? [block.element]
        : block.type === 'actions' && Array.isArray(block.elements)
          ? block.elements
          : [];
    for (const element of elements) {
      if (!isRecord(element) || typeof element.action_id !== 'string') continue;
      const state = elementState(element);
      if (!state) continue;
      values[block.block_id] ??= {};
      (values[block.block_id] as Record<string, ViewStateValue>)[element.action_id] = state;
    }
  }
  return values;
}

/** An element's state value before the user changes it; undefined for elements without state (buttons). */
export function elementState(element: Json): ViewStateValue | undefined {
  const type = String(element.type);
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return { type, value: asString(element.initial_value) ?? null };
    case 'datepicker':
      return { type, selected_date: asString(element.initial_date) ?? null };
    case 'timepicker':
      return { type, selected_time: asString(element.initial_time) ?? null };
    case 'datetimepicker':
      return {
        type,
        selected_date_time: typeof element.initial_date_time === 'number' ? element.initial_date_time : null,
      };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return {
        type,
        selected_option: isRecord(element.initial_option)
          ? (element.initial_option as unknown as SelectedOption)
          : null,
      };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return {
        type,
        selected_options: Array.isArray(element.initial_options)
          ? (element.initial_options as SelectedOption[])
          : [],
      };
    case 'users_select':
      return { type, selected_user: asString(element.initial_user) ?? null };
    case 'multi_users_select':
      return { type, selected_users: stringArray(element.initial_users) };
    case 'conversations_select':
      return { type, selected_conversation: asString(element.initial_conversation) ?? null };
    case 'multi_conversations_select':
      return { type, selected_conversations: stringArray(element.initial_conversations) };
    case 'channels_select':
      return { type, selected_channel: asString(element.initial_channel) ?? null };
    case 'multi_channels_select':
      return { type, selected_channels: stringArray(element.initial_channels) };
    default:
      return undefined;
  }
}

// ---- pure helpers ----

type SelectedOption = NonNullable<ViewStateValue['selected_option']>;

interface MessageContent {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
}

function messageContent(args: Json): MessageContent {
  const content: MessageContent = { text: asString(args.text) ?? '' };
  if (Array.isArray(args.blocks)) content.blocks = args.blocks;
  if (Array.isArray(args.attachments)) content.attachments = args.attachments;
  return content;
}

function hasContent(content: MessageContent): boolean {
  return content.text !== '' || (content.blocks?.length ?? 0) > 0 || (content.attachments?.length ?? 0) > 0;
}

/** `content.blocks` must already be normalized (see `FakeSlack.normalizeBlocks`). */
function replaceContent(message: SlackMessage | EphemeralMessage, content: MessageContent): void {
  message.text = content.text;
  if (content.blocks) message.blocks = content.blocks;
  else delete message.blocks;
  if (content.attachments) message.attachments = content.attachments;
  else delete message.attachments;
}

/** A message as Slack returns it (no fake-only fields). */
function slackShape(message: SlackMessage): Json {
  const { channel: _channel, via: _via, ...rest } = message;
  return rest;
}

/** A view as Slack returns it. */
function viewShape(view: OpenView): Json {
  const { user: _user, errors: _errors, ...rest } = view;
  return structuredClone(rest);
}

function channelShape(channel: SlackChannel, botUserId: string): Json {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: !channel.is_im && !channel.is_private,
    is_group: channel.is_private,
    is_im: channel.is_im,
    is_private: channel.is_private,
    is_archived: false,
    is_general: channel.name === 'general',
    is_member: channel.members.includes(botUserId),
    created: 1690000000,
    creator: seedUsers.alice,
    num_members: channel.members.length,
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
  };
}

function userShape(user: SlackUser, teamId: string): Json {
  return {
    id: user.id,
    team_id: teamId,
    name: user.name,
    deleted: user.deleted,
    real_name: user.real_name,
    tz: user.tz,
    tz_label: 'Eastern Standard Time',
    tz_offset: -18000,
    is_admin: user.is_admin,
    is_owner: false,
    is_bot: user.is_bot,
    is_app_user: false,
    profile: { real_name: user.real_name, display_name: user.name, team: teamId },
  };
}

function defaultUser(id: string): SlackUser {
  return {
    id,
    name: id.toLowerCase(),
    real_name: id,
    is_bot: false,
    deleted: false,
    tz: 'America/New_York',
    is_admin: false,
  };
}

function defaultChannel(id: string): SlackChannel {
  return {
    id,
    name: id.toLowerCase(),
    is_private: id.startsWith('G'),
    is_im: id.startsWith('D'),
    members: [],
  };
}

function dmChannel(userId: string): string {
  return `D${userId.slice(1)}`;
}

function viewId(n: number): string {
  return `V${String(n).padStart(10, '0')}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function asBool(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function textObject(value: unknown): ViewOutput['title'] | undefined {
  if (!isRecord(value) || typeof value.text !== 'string') return undefined;
  return { type: 'plain_text', text: value.text, emoji: value.emoji !== false };
}

function isInteractive(element: Json): boolean {
  return typeof element.type === 'string' && !['image', 'mrkdwn', 'plain_text'].includes(element.type);
}

function parseViewArg(value: unknown): Json {
  if (isRecord(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isRecord(parsed)) return parsed;
    } catch {
      // falls through to the error below
    }
  }
  throw new ApiError('invalid_arguments', {
    response_metadata: { messages: ['[ERROR] missing required field: view'] },
  });
}

/** Keeps what the user typed in inputs that survive a views.update (same block_id and action_id). */
function carryState(
  previous: Record<string, Record<string, ViewStateValue>>,
  next: Record<string, Record<string, ViewStateValue>>,
): Record<string, Record<string, ViewStateValue>> {
  const merged = structuredClone(next);
  for (const [blockId, actions] of Object.entries(merged)) {
    for (const actionId of Object.keys(actions)) {
      const old = previous[blockId]?.[actionId];
      if (old && old.type === actions[actionId]?.type) actions[actionId] = old;
    }
  }
  return merged;
}

function namedFault(error: InjectedError, retryAfterSeconds: number, times: number): Fault {
  return { error, status: error === 'ratelimited' ? 429 : 200, retryAfterSeconds, remaining: times };
}

function httpFault(fault: HttpFault, times: number): Fault {
  const error =
    fault.status === 429 ? 'ratelimited' : fault.status === 500 ? 'fatal_error' : 'service_unavailable';
  return { error, status: fault.status, retryAfterSeconds: fault.retryAfterSec ?? 1, remaining: times };
}

function faultHeaders(fault: Fault): Record<string, string> {
  return fault.status === 429 ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
}

/** Throws Slack's answer to a message it refuses (see `validateMessage`). */
function checkMessage(content: MessageContent): void {
  const refusal = validateMessage(content);
  if (refusal) throw refusalError(refusal);
}

function refusalError(refusal: MessageRefusal): ApiError {
  const { ok: _ok, error, ...extra } = refusalBody(refusal);
  return new ApiError(refusal.error, extra);
}

/** What a response_url answers with HTTP 400: a message it cannot show (see `validateMessage`). */
const RESPONSE_CONTENT_ERRORS = new Set([
  'invalid_blocks',
  'msg_blocks_too_long',
  'msg_too_long',
  'invalid_arguments',
  'no_text',
]);

/** `errors` lists the problems without the `[ERROR] ` prefix, as Slack's `invalid_blocks` answers do. */
function refusalBody(refusal: MessageRefusal): Json {
  const errors = refusal.messages.map((m) => m.replace(/^\[ERROR\] /, ''));
  return {
    ok: false,
    error: refusal.error,
    ...(refusal.error === 'invalid_blocks' ? { errors } : {}),
    response_metadata: { messages: refusal.messages },
  };
}

/** Where a refused response_url post (or ack) would have shown. */
function responseRefusalTarget(target: ResponseTarget, body: Json): Partial<Refusal> {
  const original = asBool(body.replace_original) ? target.message : undefined;
  if (original) {
    return original.ephemeral
      ? { channel: target.channel, user: target.user, ephemeral: true, ts: original.ts }
      : { channel: target.channel, ts: original.ts };
  }
  const threadTs = asString(body.thread_ts);
  const thread = threadTs ? { threadTs } : {};
  return body.response_type === 'in_channel'
    ? { channel: target.channel, ...thread }
    : { channel: target.channel, user: target.user, ephemeral: true, ...thread };
}

function summarize(call: RecordedCall): string {
  const b = call.body;
  const parts: string[] = [];
  for (const key of [
    'channel',
    'user',
    'ts',
    'thread_ts',
    'view_id',
    'external_id',
    'usergroup',
    'response_type',
  ]) {
    const value = asString(b[key]);
    if (value !== undefined) parts.push(`${key}=${value}`);
  }
  if (typeof b.text === 'string' && b.text !== '') parts.push(`text=${JSON.stringify(truncate(b.text, 60))}`);
  if (Array.isArray(b.blocks)) parts.push(`blocks=${b.blocks.length}`);
  if (isRecord(b.view)) parts.push(`view.callback_id=${asString(b.view.callback_id) ?? ''}`);
  const outcome = call.response.ok === true ? 'ok' : `error=${asString(call.response.error) ?? '?'}`;
  return `#${call.seq} ${call.method} ${parts.join(' ')} → ${call.status} ${outcome}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Form-urlencoded (what the WebClient sends), JSON, or multipart; query parameters too. */
async function parseArgs(raw: Buffer, contentType: string, query: URLSearchParams): Promise<Json> {
  const args: Json = Object.fromEntries(query);
  if (raw.length === 0) return args;
  if (contentType.includes('application/json')) {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (!isRecord(parsed)) throw new Error('JSON body is not an object');
    return { ...args, ...parsed };
  }
  let form: Iterable<[string, unknown]>;
  if (contentType.includes('multipart/form-data')) {
    const data = await new Response(new Uint8Array(raw), {
      headers: { 'content-type': contentType },
    }).formData();
    form = [...data.entries()].map(
      ([k, v]) => [k, typeof v === 'string' ? v : `[file ${v.name}]`] as [string, unknown],
    );
  } else {
    form = new URLSearchParams(raw.toString('utf8'));
  }
  for (const [key, value] of form) {
    args[key] = jsonFields.has(key) && typeof value === 'string' ? parseJsonField(value) : value;
  }
  return args;
}

function parseJsonField(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
