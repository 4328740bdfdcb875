/**
 * Plays the Slack side of interactions against a real Bolt app: signed slash commands, button
 * clicks and view submissions over HTTP (as Slack's servers send them), or the same payloads
 * as Socket Mode envelopes. Buttons and views are taken from what the fake Slack recorded, so a
 * test clicks what the app actually rendered.
 */
import { createHmac } from 'node:crypto';
import type { SlashCommand, ViewClosedAction, ViewStateValue, ViewSubmitAction } from '@slack/bolt';
import {
  type EphemeralMessage,
  elementState,
  type FakeSlack,
  type OpenView,
  type ResponseTarget,
  type SlackMessage,
  seedChannels,
  seedUsers,
} from './fake-slack.js';
import type { SocketAck, SocketEnvelope } from './socket-mode.js';

type Json = Record<string, unknown>;

interface CommonDriverOptions {
  fakeSlack: FakeSlack;
  /** Defaults to the fake's team. */
  teamId?: string;
  /** Who acts when a call names no user. Default `U0ALICE`. */
  defaultUserId?: string;
  /** Where commands are typed when a call names no channel. Default `C0OPS`. */
  defaultChannelId?: string;
  /**
   * How long to wait for the app's ack; default 3 s, Slack's deadline for every command, action
   * and view submission (docs.slack.dev/interactivity/handling-user-interaction). A later ack
   * fails the call, as Slack would show the person an error.
   */
  timeoutMs?: number;
}

export interface HttpDriverOptions extends CommonDriverOptions {
  via?: 'http';
  /** The app's request URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  appUrl: string;
  signingSecret: string;
}

export interface SocketDriverOptions extends CommonDriverOptions {
  via: 'socket';
}

export type DriverOptions = HttpDriverOptions | SocketDriverOptions;

/** Tampering, for signature and replay tests (HTTP only). */
export interface SendOptions {
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  /** `X-Slack-Request-Timestamp` in seconds (and signed with it); default now. */
  timestamp?: number;
  /** Send as Slack's retry: `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`. */
  retry?: { num: number; reason: string };
}

/** What went over the wire, to send again byte for byte (`Driver.replay`). */
export type Sent =
  | { via: 'http'; body: string; timestamp: number }
  | { via: 'socket'; envelope: SocketEnvelope & { envelope_id: string } };

export interface CommandOptions extends SendOptions {
  userId?: string;
  channelId?: string;
  triggerId?: string;
}

/** Where a clicked element is: a channel message, an ephemeral message or an open view. Omit all to search. */
export interface ActionOptions extends SendOptions {
  actionId: string;
  /** Disambiguates when several blocks have the action. */
  blockId?: string;
  /** A button's value (default: the recorded one); for selects and overflows, the option to pick. */
  value?: string;
  userId?: string;
  channel?: string;
  messageTs?: string;
  viewId?: string;
}

/** What the app answered. */
export interface Delivery {
  /** HTTP status; 200 for a Socket Mode ack. */
  status: number;
  /** The raw response body (for Socket Mode, the ack payload as JSON, or '' for a bare ack). */
  body: string;
  /** `body` parsed when it is JSON. */
  json: unknown;
  triggerId: string;
  /** What went over the wire, for replay and retry tests. */
  wire?: Sent;
}

export interface CommandDelivery extends Delivery {
  responseUrl: string;
}

export interface ActionDelivery extends Delivery {
  /** Present for actions in messages; Slack gives none for actions in modals. */
  responseUrl: string | undefined;
}

export interface SubmitDelivery extends Delivery {
  /** What happened to the view after the ack (`errors` keeps it open). */
  outcome: 'closed' | 'errors' | 'updated' | 'pushed' | 'cleared' | 'refused' | 'none';
}

/** A value for one input in `submitView`: Slack's state object, or shorthand (a string or a list of option values). */
export type InputValue = ViewStateValue | string | string[];

export interface Driver {
  /** `'/pipeline status 2026-01-20'`: the command is the first word. */
  command(text: string, as?: CommandOptions): Promise<CommandDelivery>;
  /** Clicks a button (or picks from a select or overflow) in a recorded message or an open view. */
  action(opts: ActionOptions): Promise<ActionDelivery>;
  /** Submits an open view with its current state plus `values` (block_id → action_id → value). */
  submitView(
    viewId: string,
    values?: Record<string, Record<string, InputValue>>,
    userId?: string,
    send?: SendOptions,
  ): Promise<SubmitDelivery>;
  /** Closes a view; the app hears `view_closed` only when the view asked (`notify_on_close`) or `force`. */
  closeView(viewId: string, opts?: SendOptions & { force?: boolean }): Promise<Delivery & { sent: boolean }>;
  /** A command over Socket Mode whatever `via` says; resolves with the ack. */
  socketCommand(text: string, as?: CommandOptions): Promise<CommandDelivery & { ack: SocketAck }>;
  /**
   * Send a delivery again, exactly as it was (same body, timestamp and signature, or the same
   * envelope id): a replay, or with `retry` Slack's own retry (HTTP headers; Socket Mode
   * `retry_attempt`/`retry_reason`). Can go to another instance's URL with `appUrl`.
   */
  replay(
    delivery: Delivery,
    opts?: { retry?: { num: number; reason: string }; appUrl?: string },
  ): Promise<{ status: number; body: string }>;
}

const verificationToken = 'fake-verification-token';

/** Slack's ack deadline. */
export const ACK_DEADLINE_MS = 3000;

/** The app did not ack within the deadline; Slack would have shown the person an error. */
export class AckTimeout extends Error {
  override readonly name = 'AckTimeout';
}

export function createDriver(opts: DriverOptions): Driver {
  const fake = opts.fakeSlack;
  const teamId = opts.teamId ?? fake.identity.teamId;
  const appId = fake.identity.appId;
  const defaultUser = opts.defaultUserId ?? seedUsers.alice;
  const defaultChannel = opts.defaultChannelId ?? seedChannels.ops;
  const team = { id: teamId, domain: fake.identity.teamDomain };
  const userName = (id: string) => fake.user(id)?.name ?? id.toLowerCase();
  const channelName = (id: string) => fake.channel(id)?.name ?? id.toLowerCase();
  let actionCount = 0;
  const actionTs = () => {
    actionCount += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(actionCount).padStart(6, '0')}`;
  };

  async function deliverHttp(
    body: string,
    send: SendOptions,
    appUrl?: string,
  ): Promise<{ status: number; body: string; wire: Sent }> {
    if (opts.via === 'socket') throw new Error('this driver delivers over Socket Mode');
    const timestamp = send.timestamp ?? Math.floor(Date.now() / 1000);
    const secret = send.badSignature ? `${opts.signingSecret}-wrong` : opts.signingSecret;
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const deadline = opts.timeoutMs ?? ACK_DEADLINE_MS;
    const response = await fetch(appUrl ?? opts.appUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature,
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        ...(send.retry
          ? { 'x-slack-retry-num': String(send.retry.num), 'x-slack-retry-reason': send.retry.reason }
          : {}),
      },
      body,
      signal: AbortSignal.timeout(deadline),
    }).catch((error: unknown) => {
      if ((error as Error).name === 'TimeoutError') throw new AckTimeout(ackTimeoutMessage(body, deadline));
      throw error;
    });
    return {
      status: response.status,
      body: await response.text(),
      wire: { via: 'http', body, timestamp },
    };
  }

  async function deliverSocket(
    envelope: SocketEnvelope,
  ): Promise<{ status: number; body: string; ack: SocketAck; wire: Sent }> {
    const ack = await fake.socketMode.send(envelope, { timeoutMs: opts.timeoutMs ?? ACK_DEADLINE_MS });
    const payload = ack.payload ?? {};
    return {
      status: 200,
      body: Object.keys(payload).length > 0 ? JSON.stringify(payload) : '',
      ack,
      wire: { via: 'socket', envelope: { ...envelope, envelope_id: ack.envelope_id } },
    };
  }

  /** Interactivity: `payload=<json>` over HTTP, an `interactive` envelope over Socket Mode. */
  async function deliverInteractive(
    payload: object,
    send: SendOptions,
  ): Promise<{ status: number; body: string; wire: Sent }> {
    if (opts.via === 'socket') {
      return deliverSocket({ type: 'interactive', payload: payload as Json, accepts_response_payload: true });
    }
    return deliverHttp(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), send);
  }

  function commandPayload(text: string, as: CommandOptions): SlashCommand {
    const match = /^\s*(\/\S+)\s*([\s\S]*)$/.exec(text);
    if (!match?.[1])
      throw new Error(`a command starts with a slash, e.g. '/pipeline status': got ${JSON.stringify(text)}`);
    const userId = as.userId ?? defaultUser;
    const channelId = as.channelId ?? defaultChannel;
    const triggerId = fake.issueTrigger(userId, as.triggerId);
    const responseUrl = fake.createResponseUrl({ channel: channelId, user: userId });
    return {
      token: verificationToken,
      team_id: teamId,
      team_domain: team.domain,
      channel_id: channelId,
      channel_name: channelName(channelId),
      user_id: userId,
      user_name: userName(userId),
      command: match[1],
      text: (match[2] ?? '').trim(),
      api_app_id: appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    };
  }

  async function command(text: string, as: CommandOptions = {}): Promise<CommandDelivery> {
    const payload = commandPayload(text, as);
    const answer =
      opts.via === 'socket'
        ? await deliverSocket({ type: 'slash_commands', payload, accepts_response_payload: true })
        : await deliverHttp(new URLSearchParams(payload as Record<string, string>).toString(), as);
    const json = parseJson(answer.body);
    if (answer.status === 200 && answer.body !== '') fake.applyAck(payload.response_url, json ?? answer.body);
    return { ...answer, json, responseUrl: payload.response_url, triggerId: payload.trigger_id };
  }

  async function socketCommand(
    text: string,
    as: CommandOptions = {},
  ): Promise<CommandDelivery & { ack: SocketAck }> {
    const payload = commandPayload(text, as);
    const answer = await deliverSocket({ type: 'slash_commands', payload, accepts_response_payload: true });
    const json = parseJson(answer.body);
    if (answer.body !== '') fake.applyAck(payload.response_url, json);
    return { ...answer, json, responseUrl: payload.response_url, triggerId: payload.trigger_id };
  }

  async function action(a: ActionOptions): Promise<ActionDelivery> {
    const userId = a.userId ?? (a.viewId ? fake.view(a.viewId)?.user : undefined) ?? defaultUser;
    const where = locate(fake, a, userId);
    const triggerId = fake.issueTrigger(userId);
    const clicked = elementAction(where.found, a.value, actionTs());
    const base = {
      type: 'block_actions' as const,
      user: { id: userId, username: userName(userId), name: userName(userId), team_id: teamId },
      api_app_id: appId,
      token: verificationToken,
      trigger_id: triggerId,
      team,
      enterprise: null,
      is_enterprise_install: false,
      actions: [clicked],
    };
    let payload: Json;
    let responseUrl: string | undefined;
    if (where.kind === 'view') {
      payload = {
        ...base,
        container: { type: 'view', view_id: where.view.id },
        view: viewPayload(where.view),
        state: { values: where.view.state.values },
      };
    } else {
      const ephemeral = where.kind === 'ephemeral';
      const { message } = where;
      const target: ResponseTarget = {
        channel: message.channel,
        user: userId,
        message: { ts: message.ts, ephemeral },
      };
      responseUrl = fake.createResponseUrl(target);
      payload = {
        ...base,
        container: {
          type: 'message',
          message_ts: message.ts,
          channel_id: message.channel,
          is_ephemeral: ephemeral,
        },
        channel: { id: message.channel, name: channelName(message.channel) },
        state: { values: {} },
        response_url: responseUrl,
        // Slack sends no `message` for a click in an ephemeral message.
        ...(ephemeral ? {} : { message: messagePayload(message as SlackMessage) }),
      };
    }
    const answer = await deliverInteractive(payload, a);
    const json = parseJson(answer.body);
    if (responseUrl && answer.status === 200 && answer.body !== '')
      fake.applyAck(responseUrl, json ?? answer.body);
    return { ...answer, json, triggerId, responseUrl };
  }

  async function submitView(
    viewId: string,
    values: Record<string, Record<string, InputValue>> = {},
    userId?: string,
    send: SendOptions = {},
  ): Promise<SubmitDelivery> {
    const view = fake.view(viewId);
    if (!view) throw new Error(`view ${viewId} is not open (open: ${openViews(fake)})`);
    const user = userId ?? view.user;
    const state = mergeState(view, values);
    const triggerId = fake.issueTrigger(user);
    const payload: ViewSubmitAction = {
      type: 'view_submission',
      team,
      user: { id: user, name: userName(user), team_id: teamId },
      api_app_id: appId,
      token: verificationToken,
      trigger_id: triggerId,
      view: { ...viewPayload(view), state: { values: state } },
      response_urls: [],
      is_enterprise_install: false,
    };
    const answer = await deliverInteractive(payload, send);
    const json = parseJson(answer.body);
    const outcome = answer.status === 200 ? fake.applyViewSubmission(viewId, json) : 'none';
    return { ...answer, json, triggerId, outcome };
  }

  async function closeView(viewId: string, o: SendOptions & { force?: boolean } = {}) {
    const view = fake.view(viewId);
    if (!view) throw new Error(`view ${viewId} is not open (open: ${openViews(fake)})`);
    fake.closeView(viewId);
    if (!view.notify_on_close && !o.force)
      return { status: 0, body: '', json: undefined, triggerId: '', sent: false };
    const payload: ViewClosedAction = {
      type: 'view_closed',
      team,
      user: { id: view.user, name: userName(view.user), team_id: teamId },
      api_app_id: appId,
      token: verificationToken,
      view: viewPayload(view),
      is_cleared: false,
      is_enterprise_install: false,
    };
    const answer = await deliverInteractive(payload, o);
    return { ...answer, json: parseJson(answer.body), triggerId: '', sent: true };
  }

  async function replay(
    delivery: Delivery,
    o: { retry?: { num: number; reason: string }; appUrl?: string } = {},
  ): Promise<{ status: number; body: string }> {
    const sent = delivery.wire;
    if (!sent) throw new Error('this delivery recorded nothing to replay');
    if (sent.via === 'http') {
      const { status, body } = await deliverHttp(
        sent.body,
        { timestamp: sent.timestamp, ...(o.retry ? { retry: o.retry } : {}) },
        o.appUrl,
      );
      return { status, body };
    }
    const { status, body } = await deliverSocket({
      ...sent.envelope,
      ...(o.retry ? { retry_attempt: o.retry.num, retry_reason: o.retry.reason } : {}),
    });
    return { status, body };
  }

  return { command, action, submitView, closeView, socketCommand, replay };
}

// ---- finding what to click ----

/** An interactive element found in blocks. */
export interface FoundElement {
  blockId: string;
  element: Json;
}

/** The first element with `actionId` in `blocks` (section accessories, actions blocks, inputs). */
export function findAction(
  blocks: unknown[] | undefined,
  actionId: string,
  blockId?: string,
): FoundElement | undefined {
  return allActions(blocks).find(
    (f) => f.element.action_id === actionId && (blockId === undefined || f.blockId === blockId),
  );
}

/** The button with `actionId`, or undefined (also when the element is not a button). */
export function findButton(blocks: unknown[] | undefined, actionId: string): FoundElement | undefined {
  const found = findAction(blocks, actionId);
  return found?.element.type === 'button' ? found : undefined;
}

/** Every interactive element in `blocks`, in order. */
export function allActions(blocks: unknown[] | undefined): FoundElement[] {
  const found: FoundElement[] = [];
  for (const block of blocks ?? []) {
    if (!isRecord(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : '';
    const candidates: unknown[] = [
      ...(block.type === 'actions' && Array.isArray(block.elements) ? block.elements : []),
      block.accessory,
      block.type === 'input' ? block.element : undefined,
    ];
    for (const element of candidates) {
      if (isRecord(element) && typeof element.action_id === 'string') found.push({ blockId, element });
    }
  }
  return found;
}

/** The action_ids of every button in `blocks`, for assertions and error messages. */
export function buttonIds(blocks: unknown[] | undefined): string[] {
  return allActions(blocks)
    .filter((f) => f.element.type === 'button')
    .map((f) => String(f.element.action_id));
}

type Located =
  | { kind: 'message'; message: SlackMessage; found: FoundElement }
  | { kind: 'ephemeral'; message: EphemeralMessage; found: FoundElement }
  | { kind: 'view'; view: OpenView; found: FoundElement };

function locate(fake: FakeSlack, a: ActionOptions, userId: string): Located {
  const where = a.viewId
    ? `view ${a.viewId}`
    : a.messageTs
      ? `message ${a.messageTs}`
      : 'any message or view';
  const notFound = (seen: string) =>
    new Error(`no element with action_id '${a.actionId}' in ${where} (${seen})`);

  if (a.viewId) {
    const view = fake.view(a.viewId);
    if (!view) throw new Error(`view ${a.viewId} is not open (open: ${openViews(fake)})`);
    const found = findAction(view.blocks, a.actionId, a.blockId);
    if (!found) throw notFound(`its buttons: ${buttonIds(view.blocks).join(', ') || 'none'}`);
    return { kind: 'view', view, found };
  }

  const channels = a.channel ? [a.channel] : fake.channelIds();
  const candidates: Located[] = [];
  for (const channel of channels) {
    for (const message of fake.messages(channel, { replies: true })) {
      if (a.messageTs && message.ts !== a.messageTs) continue;
      const found = findAction(message.blocks, a.actionId, a.blockId);
      if (found) candidates.push({ kind: 'message', message, found });
    }
  }
  for (const message of fake.ephemerals(userId)) {
    if (a.channel && message.channel !== a.channel) continue;
    if (a.messageTs && message.ts !== a.messageTs) continue;
    const found = findAction(message.blocks, a.actionId, a.blockId);
    if (found) candidates.push({ kind: 'ephemeral', message, found });
  }
  // The newest message wins: that is the one a person would click.
  candidates.sort((x, y) => tsOf(x).localeCompare(tsOf(y)));
  const newest = candidates.at(-1);
  if (newest) return newest;
  if (!a.messageTs && !a.channel) {
    for (const view of fake.views(userId).reverse()) {
      const found = findAction(view.blocks, a.actionId, a.blockId);
      if (found) return { kind: 'view', view, found };
    }
  }
  const seen = channels
    .flatMap((c) => fake.messages(c, { replies: true }))
    .map((m) => `${m.channel}/${m.ts}: ${buttonIds(m.blocks).join(', ') || 'no buttons'}`);
  throw notFound(seen.length > 0 ? `messages seen: ${seen.join('; ')}` : 'no messages recorded');
}

function tsOf(located: Located): string {
  return located.kind === 'view' ? '' : located.message.ts;
}

/** The `actions[0]` Slack sends for a click on `found`. */
function elementAction(found: FoundElement, value: string | undefined, ts: string): Json {
  const { element, blockId } = found;
  const type = String(element.type);
  const common = { type, action_id: element.action_id, block_id: blockId, action_ts: ts };
  if (type === 'button') {
    const action: Json = { ...common, text: element.text, value: value ?? element.value };
    if (element.style !== undefined) action.style = element.style;
    if (action.value === undefined) delete action.value;
    return action;
  }
  if (type === 'static_select' || type === 'overflow' || type === 'radio_buttons') {
    const option = findOption(element, value);
    return {
      ...common,
      selected_option: option,
      ...(type === 'static_select' ? { placeholder: element.placeholder } : {}),
    };
  }
  if (type === 'datepicker') return { ...common, selected_date: value ?? element.initial_date ?? null };
  if (type === 'users_select') return { ...common, selected_user: value ?? null };
  if (type === 'conversations_select') return { ...common, selected_conversation: value ?? null };
  if (type === 'channels_select') return { ...common, selected_channel: value ?? null };
  return { ...common, value };
}

function findOption(element: Json, value: string | undefined): Json {
  const options = optionsOf(element);
  const option = value === undefined ? options[0] : options.find((o) => o.value === value);
  if (!option) {
    const values = options.map((o) => String(o.value)).join(', ');
    throw new Error(
      `'${String(element.action_id)}' has no option '${value ?? ''}' (options: ${values || 'none'})`,
    );
  }
  return option;
}

function optionsOf(element: Json): Json[] {
  const direct = Array.isArray(element.options) ? element.options : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups.flatMap((g: unknown) =>
        isRecord(g) && Array.isArray(g.options) ? g.options : [],
      )
    : [];
  return [...direct, ...grouped].filter(isRecord);
}

/** The view's state with `values` applied; throws naming the view's inputs when an id is wrong. */
function mergeState(
  view: OpenView,
  values: Record<string, Record<string, InputValue>>,
): Record<string, Record<string, ViewStateValue>> {
  const state = structuredClone(view.state.values);
  const inputs = allActions(view.blocks);
  const known = () => inputs.map((f) => `${f.blockId}.${String(f.element.action_id)}`).join(', ') || 'none';
  for (const [blockId, actions] of Object.entries(values)) {
    for (const [actionId, input] of Object.entries(actions)) {
      const found = inputs.find((f) => f.blockId === blockId && f.element.action_id === actionId);
      if (!found) throw new Error(`view ${view.id} has no input ${blockId}.${actionId} (inputs: ${known()})`);
      state[blockId] ??= {};
      (state[blockId] as Record<string, ViewStateValue>)[actionId] = toStateValue(found.element, input);
    }
  }
  return state;
}

/** Turns shorthand into the state object Slack sends for the element's type. */
function toStateValue(element: Json, input: InputValue): ViewStateValue {
  if (!Array.isArray(input) && typeof input === 'object') return input;
  const type = String(element.type);
  const base = elementState(element) ?? { type };
  const one = Array.isArray(input) ? input[0] : input;
  const many = Array.isArray(input) ? input : [input];
  switch (type) {
    case 'datepicker':
      return { ...base, selected_date: one ?? null };
    case 'timepicker':
      return { ...base, selected_time: one ?? null };
    case 'static_select':
    case 'radio_buttons':
    case 'external_select':
      return { ...base, selected_option: findOption(element, one) as unknown as SelectedOption };
    case 'multi_static_select':
    case 'checkboxes':
      return {
        ...base,
        selected_options: many.map((v) => findOption(element, v)) as unknown as SelectedOption[],
      };
    case 'users_select':
      return { ...base, selected_user: one ?? null };
    case 'multi_users_select':
      return { ...base, selected_users: many };
    case 'conversations_select':
      return { ...base, selected_conversation: one ?? null };
    case 'multi_conversations_select':
      return { ...base, selected_conversations: many };
    case 'channels_select':
      return { ...base, selected_channel: one ?? null };
    case 'multi_channels_select':
      return { ...base, selected_channels: many };
    default:
      return { ...base, value: one ?? null };
  }
}

/** The view as Slack puts it in payloads (no fake-only fields). */
function viewPayload(view: OpenView): ViewSubmitAction['view'] {
  const { user: _user, errors: _errors, ...rest } = view;
  return rest;
}

function messagePayload(message: SlackMessage): Json {
  const { channel: _channel, via: _via, ...rest } = message;
  return rest;
}

function openViews(fake: FakeSlack): string {
  return (
    fake
      .views()
      .map((v) => `${v.id} ${v.callback_id}`)
      .join(', ') || 'none'
  );
}

/** Names what was not acked (the command, or the payload's type) without the whole body. */
function ackTimeoutMessage(body: string, ms: number): string {
  const form = new URLSearchParams(body);
  let what = form.get('command') ?? 'a request';
  const payload = form.get('payload');
  if (payload) {
    const p = parseJson(payload) as { type?: string; view?: { callback_id?: string } } | undefined;
    what = `a ${p?.type ?? 'payload'}${p?.view?.callback_id ? ` of ${p.view.callback_id}` : ''}`;
  }
  return `the app did not ack ${what} within ${ms} ms: Slack would show the person an error`;
}

function parseJson(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type SelectedOption = NonNullable<ViewStateValue['selected_option']>;
