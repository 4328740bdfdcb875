/**
 * The local web console: a Slack-like channel page served by the fake Slack under `/console`,
 * driving the real bot through the signed-request driver. The page is static files (no
 * framework, no bundler); this module serves them and the small JSON API they call, pushes
 * the fake's workspace changes as server-sent events, and proxies the sandbox's control API.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { scenarioNames } from '../../sandbox/scenarios.js';
import { apiNames } from '../../sandbox/state.js';
import type { Driver, InputValue } from '../driver.js';
import type { EphemeralMessage, FakeSlack, Refusal, SlackMessage, WorkspaceChange } from '../fake-slack.js';

type Json = Record<string, unknown>;

/** Someone the console can act as (the user switcher). */
export interface ConsoleUser {
  id: string;
  name: string;
  /** Shown beside the name, e.g. "requester", "on-call approver". */
  role: string;
}

export interface ConsoleOptions {
  driver: Driver;
  /** The sandbox's base URL; its `/_sandbox/` control API backs the sandbox panel. */
  sandboxUrl: string;
  /** `manifest.yml`: the slash commands and their usage hints for the composer. */
  manifestPath: string;
  users: ConsoleUser[];
  /** The channel the page shows and types commands in. */
  channel: string;
  /** Handles for `<!subteam^S…>` mentions. */
  usergroups?: { id: string; handle: string }[];
}

export interface ConsoleHandle {
  /** `http://127.0.0.1:PORT/console` */
  url: string;
  /** Ends the event streams and stops listening to the fake. */
  close(): void;
}

/** A slash command as `manifest.yml` declares it. */
export interface ConsoleCommand {
  command: string;
  description: string;
  usageHint: string;
}

/** What Slack answered when it refused a call: shown in place of what the bot meant to show. */
export interface RefusalNote {
  seq: number;
  method: string;
  error: string;
  /** Slack's `response_metadata.messages`, each naming a JSON pointer. */
  messages: string[];
}

/** A top-level message as the page gets it: channel messages and the viewer's ephemerals, with their thread. */
export interface TimelineMessage {
  ts: string;
  user: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  ephemeral: boolean;
  edited: boolean;
  replies: TimelineMessage[];
  /**
   * A post Slack refused (then `ts` is `refused-<seq>` and there is no content), or the last refused
   * update of this message (which kept its old content).
   */
  refused?: RefusalNote;
}

const staticDir = fileURLToPath(new URL('./static/', import.meta.url));
const staticTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const maxBody = 1024 * 1024;

/** The slash commands of a Slack app manifest, with their usage hints. */
export async function readCommands(manifestPath: string): Promise<ConsoleCommand[]> {
  const manifest = parseYaml(await readFile(manifestPath, 'utf8')) as {
    features?: { slash_commands?: { command?: string; description?: string; usage_hint?: string }[] };
  };
  return (manifest.features?.slash_commands ?? [])
    .filter((c) => typeof c.command === 'string')
    .map((c) => ({
      command: String(c.command),
      description: c.description ?? '',
      usageHint: c.usage_hint ?? '',
    }));
}

/**
 * The channel as one viewer sees it: messages and their ephemerals in ts order, replies under parents,
 * and the `refusals` that concern it: a refused post where it would have appeared, a refused update on
 * the message it was meant to change.
 */
export function timeline(
  fake: FakeSlack,
  channel: string,
  viewer: string,
  refusals: Refusal[] = [],
): TimelineMessage[] {
  const toItem = (m: SlackMessage | EphemeralMessage, ephemeral: boolean): TimelineMessage => ({
    ts: m.ts,
    user: ephemeral ? fake.identity.botUserId : m.user,
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.attachments ? { attachments: m.attachments } : {}),
    ephemeral,
    edited: 'edited' in m && m.edited !== undefined,
    replies: [],
  });
  const shown = refusals.filter(
    (r) => r.view === undefined && r.channel === channel && (!r.ephemeral || r.user === viewer),
  );
  // A refused post sorts just after the newest message at the time it was refused.
  const refusedPosts = shown
    .filter((r) => r.ts === undefined)
    .map((r) => {
      const item: TimelineMessage = {
        ts: `refused-${r.seq}`,
        user: fake.identity.botUserId,
        text: '',
        ephemeral: r.ephemeral === true,
        edited: false,
        replies: [],
        refused: note(r),
      };
      return { m: { ts: r.afterTs, thread_ts: r.threadTs, refused: true }, item };
    });
  const all = [
    ...fake.messages(channel, { replies: true }).map((m) => ({ m, item: toItem(m, false) })),
    ...fake
      .ephemerals(viewer)
      .filter((m) => m.channel === channel)
      .map((m) => ({ m, item: toItem(m, true) })),
    ...refusedPosts,
  ].sort((a, b) => compareTs(a.m.ts, b.m.ts) || Number('refused' in a.m) - Number('refused' in b.m));
  const byTs = new Map(all.filter((x) => !x.item.ephemeral && !x.item.refused).map((x) => [x.m.ts, x.item]));
  for (const r of shown) {
    const target =
      r.ts === undefined
        ? undefined
        : r.ephemeral
          ? all.find((x) => x.item.ephemeral && x.item.ts === r.ts)?.item
          : byTs.get(r.ts);
    if (target) target.refused = note(r);
  }
  const top: TimelineMessage[] = [];
  for (const { m, item } of all) {
    const isReply = m.thread_ts !== undefined && (m.thread_ts !== m.ts || 'refused' in m);
    const parent = isReply && m.thread_ts !== undefined ? byTs.get(m.thread_ts) : undefined;
    if (parent) parent.replies.push(item);
    else top.push(item);
  }
  return top;
}

function note(r: Refusal): RefusalNote {
  return { seq: r.seq, method: r.method, error: r.error, messages: r.messages };
}

/**
 * The refusals the console still shows: a refusal stays until what it concerns changes (the message is
 * updated or deleted, the viewer's modal opens, updates or closes) or the person dismisses it.
 */
export class ShownRefusals {
  private list: Refusal[] = [];

  add(refusal: Refusal): void {
    this.list.push(refusal);
    if (this.list.length > 50) this.list.shift();
  }

  /** Drops what a workspace change made stale. */
  onChange(change: WorkspaceChange): void {
    if (change.kind === 'reset') this.list = [];
    else if (change.kind === 'view') this.list = this.list.filter((r) => !(r.view && r.user === change.user));
    else if (change.action !== 'posted') this.list = this.list.filter((r) => r.view || r.ts !== change.ts);
  }

  dismiss(seq: number): void {
    this.list = this.list.filter((r) => r.seq !== seq);
  }

  all(): Refusal[] {
    return [...this.list];
  }

  /** Refused modals and Home tabs of one viewer, oldest first. */
  views(user: string): RefusalNote[] {
    return this.list.filter((r) => r.view && r.user === user).map(note);
  }
}

function compareTs(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}

export function mountConsole(fake: FakeSlack, opts: ConsoleOptions): ConsoleHandle {
  const streams = new Set<ServerResponse>();
  const knownUsers = new Set(opts.users.map((u) => u.id));
  const refusals = new ShownRefusals();
  const push = (event: unknown) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(data);
  };
  const onChange = (change: WorkspaceChange) => {
    refusals.onChange(change);
    push(change);
  };
  const onRefused = (refusal: Refusal) => {
    refusals.add(refusal);
    push({ kind: 'refused', seq: refusal.seq, method: refusal.method, error: refusal.error });
  };
  fake.on('change', onChange);
  fake.on('refused', onRefused);
  // Proxies and idle connections drop a silent stream; a comment line every 15 s keeps it open.
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  const userOf = (value: unknown): string => {
    const id = typeof value === 'string' ? value : '';
    if (!knownUsers.has(id)) throw new BadRequest(`unknown user ${JSON.stringify(value)}`);
    return id;
  };

  async function sandbox(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${opts.sandboxUrl}/_sandbox/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) {
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET meta': {
        const bot = fake.user(fake.identity.botUserId);
        return sendJson(res, 200, {
          channel: { id: opts.channel, name: fake.channel(opts.channel)?.name ?? opts.channel },
          users: opts.users,
          bot: { id: fake.identity.botUserId, name: bot?.name ?? 'bot' },
          usergroups: opts.usergroups ?? [],
          workspace: fake.identity.teamDomain,
        });
      }
      case 'GET commands':
        return sendJson(res, 200, { commands: await readCommands(opts.manifestPath) });
      case 'GET state': {
        const user = userOf(query.get('user'));
        return sendJson(res, 200, {
          messages: timeline(fake, opts.channel, user, refusals.all()),
          views: fake.views(user),
          refusedViews: refusals.views(user),
        });
      }
      case 'GET events': {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      case 'POST command': {
        const body = await readJson(req);
        const text = typeof body.text === 'string' ? body.text.trim() : '';
        if (!text.startsWith('/')) throw new BadRequest('a command starts with /, e.g. /pipeline status');
        const delivery = await opts.driver.command(text, {
          userId: userOf(body.user),
          channelId: opts.channel,
        });
        return sendDelivery(res, delivery.status, {});
      }
      case 'POST action': {
        const body = await readJson(req);
        const actionId = stringField(body, 'actionId');
        const where =
          typeof body.viewId === 'string'
            ? { viewId: body.viewId }
            : { channel: opts.channel, messageTs: stringField(body, 'messageTs') };
        const delivery = await opts.driver.action({
          actionId,
          userId: userOf(body.user),
          ...(typeof body.blockId === 'string' && body.blockId !== '' ? { blockId: body.blockId } : {}),
          ...(typeof body.value === 'string' ? { value: body.value } : {}),
          ...where,
        });
        return sendDelivery(res, delivery.status, {});
      }
      case 'POST submit': {
        const body = await readJson(req);
        const viewId = stringField(body, 'viewId');
        const values = isRecord(body.values)
          ? (body.values as Record<string, Record<string, InputValue>>)
          : {};
        const delivery = await opts.driver.submitView(viewId, values, userOf(body.user));
        return sendDelivery(res, delivery.status, {
          outcome: delivery.outcome,
          errors: fake.view(viewId)?.errors ?? {},
        });
      }
      case 'POST dismiss': {
        const body = await readJson(req);
        refusals.dismiss(Number(body.seq));
        return sendJson(res, 200, { ok: true });
      }
      case 'POST close': {
        const body = await readJson(req);
        const viewId = stringField(body, 'viewId');
        if (!fake.view(viewId)) return sendJson(res, 200, { ok: true, sent: false });
        // Slack sends view_closed only when the view asked for it (notify_on_close).
        const delivery = await opts.driver.closeView(viewId);
        return sendJson(res, 200, { ok: true, sent: delivery.sent });
      }
      case 'GET sandbox': {
        const state = await sandbox('GET', 'state');
        const calls = Array.isArray(state.body.processorCalls) ? state.body.processorCalls : [];
        return sendJson(res, state.status, {
          ...state.body,
          processorCalls: calls.slice(-50).reverse(),
          processorCallCount: calls.length,
          scenarios: scenarioNames,
          apis: apiNames,
        });
      }
      case 'POST sandbox/scenario': {
        const body = await readJson(req);
        const answer = await sandbox('POST', 'scenario', { name: body.name });
        return sendJson(res, answer.status, answer.body);
      }
      case 'POST sandbox/faults': {
        const body = await readJson(req);
        const fault: Json = { api: body.api };
        for (const key of ['latencyMs', 'status', 'times'] as const) {
          const n = Number(body[key]);
          if (body[key] !== undefined && body[key] !== '' && Number.isFinite(n) && n > 0) fault[key] = n;
        }
        if (body.hang === true) fault.hang = true;
        const answer = await sandbox('POST', 'faults', fault);
        return sendJson(res, answer.status, answer.body);
      }
      case 'POST sandbox/timeline': {
        // The sandbox checks the stage and refuses what it does not know.
        const body = await readJson(req);
        const answer = await sandbox('POST', 'timeline', { to: body.to });
        const refused = answer.body.error as { message?: unknown } | undefined;
        if (answer.status >= 400 && typeof refused?.message === 'string') {
          return sendJson(res, answer.status, { ok: false, error: refused.message });
        }
        return sendJson(res, answer.status, answer.body);
      }
      case 'DELETE sandbox/faults': {
        const answer = await sandbox('DELETE', 'faults');
        return sendJson(res, answer.status, answer.body);
      }
      default:
        return sendJson(res, 404, { ok: false, error: `no console route ${route}` });
    }
  }

  async function serveStatic(res: ServerResponse, name: string): Promise<void> {
    const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
    // Flat directory, plain names: nothing outside static/ can be asked for.
    if (!/^[a-z0-9-]+\.[a-z]+$/.test(name) || !staticTypes[ext] || name.endsWith('.d.ts')) {
      return sendJson(res, 404, { ok: false, error: 'not_found' });
    }
    let content: Buffer;
    try {
      content = await readFile(`${staticDir}${name}`);
    } catch {
      return sendJson(res, 404, { ok: false, error: 'not_found' });
    }
    res.writeHead(200, { 'content-type': staticTypes[ext], 'cache-control': 'no-store' });
    res.end(content);
  }

  fake.mount('/console', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    const handle = async () => {
      if (path === '/console' || path === '/console/') return serveStatic(res, 'index.html');
      if (path.startsWith('/console/static/')) return serveStatic(res, path.slice('/console/static/'.length));
      if (path.startsWith('/console/api/'))
        return api(req, res, path.slice('/console/api/'.length), url.searchParams);
      return sendJson(res, 404, { ok: false, error: 'not_found' });
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      const status = error instanceof BadRequest ? 400 : 500;
      sendJson(res, status, { ok: false, error: (error as Error).message });
    });
  });

  return {
    url: `${fake.url}/console`,
    close() {
      clearInterval(heartbeat);
      fake.off('change', onChange);
      fake.off('refused', onRefused);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

class BadRequest extends Error {}

/** The bot's HTTP answer: 200 is success; anything else is shown to the person as an error. */
function sendDelivery(res: ServerResponse, status: number, extra: Json): void {
  if (status === 200) sendJson(res, 200, { ok: true, status, ...extra });
  else sendJson(res, 502, { ok: false, status, error: `the bot answered HTTP ${status}`, ...extra });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new BadRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('the body is not JSON');
  }
  if (!isRecord(parsed)) throw new BadRequest('the body is not a JSON object');
  return parsed;
}

function stringField(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new BadRequest(`missing ${key}`);
  return value;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
