/**
 * One action per Slack delivery, whatever brings it again: Slack's retries (`X-Slack-Retry-Num`
 * over HTTP, `retry_attempt` over Socket Mode), a redelivered envelope, or an exact replay of a
 * signed request (Bolt accepts one for 5 minutes). A global middleware claims the delivery's key
 * in the shared DeliveryLog before any listener runs; a duplicate is acked and goes no further.
 * Slash commands are the exception: they are acked first and claimed right after (see below).
 */
import { createHash } from 'node:crypto';
import type { AckFn, App, ReceiverEvent } from '@slack/bolt';
import { type AcksFirst, createAcksFirst } from './acks-first.js';
import { createLane } from './domain/lane.js';
import type { Logger } from './log.js';
import type { DeliveryClaim, DeliveryLog } from './store/slack-deliveries.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 32);

/** Payload types that act, and are told apart by their trigger_id (unique per invocation). */
const TRIGGERED = new Set(['block_actions', 'view_submission', 'shortcut', 'message_action']);

/**
 * The key of a delivery: the same for a retry, a redelivery or a replay of it, different for
 * any other invocation (another click of the same button has its own trigger_id). Undefined
 * for what must always be answered, such as options lookups (`block_suggestion`).
 * `envelopeId` is the Socket Mode envelope, used only for a payload with no key of its own.
 */
export function deliveryKey(body: unknown, envelopeId?: string): string | undefined {
  if (!isRecord(body)) return undefined;
  const team = str(body.team_id) ?? (isRecord(body.team) ? str(body.team.id) : undefined) ?? '-';
  if (typeof body.command === 'string') {
    const trigger = str(body.trigger_id);
    return trigger ? `command:${team}:${trigger}` : undefined;
  }
  const type = str(body.type);
  if (type && TRIGGERED.has(type)) {
    const trigger = str(body.trigger_id);
    if (trigger) return `${type}:${team}:${trigger}`;
  }
  // view_closed has no trigger_id: the view and the whole payload tell a repeat apart.
  if (type === 'view_closed' && isRecord(body.view))
    return `view_closed:${str(body.view.id)}:${digest(body)}`;
  if (type === 'event_callback') {
    const event = str(body.event_id);
    if (event) return `event:${team}:${event}`;
  }
  if (type === 'block_suggestion') return undefined;
  return envelopeId ? `envelope:${envelopeId}` : undefined;
}

/** Thrown out of a slash command's `ack()` when its delivery was a repeat: the listener stops there. */
export class RepeatedDelivery extends Error {
  override readonly name = 'RepeatedDelivery';
}

const isCommand = (body: unknown): boolean => isRecord(body) && typeof body.command === 'string';

/**
 * Claims started at once. Each costs the Firestore client about a millisecond of CPU before it
 * leaves (gax call setup, gRPC framing, and a `require` it resolves per call): 200 started in the
 * same turn held the event loop for 0.3 s.
 */
const CLAIMS_AT_ONCE = 8;

/**
 * Register first, before the listeners. When the log does not answer in time (Firestore slow
 * or down) the delivery goes on: fail-open. Every mutating path behind it is already exactly
 * once by its own transaction (approve, resume, submit's one-active-request rule), so what a
 * duplicate could still do then is post a second reply or open a second modal; failing closed
 * would instead drop people's commands for as long as Firestore is unwell, silently.
 *
 * A slash command is acked before its claim is known, and its claim waits until no other Slack
 * request is waiting for its ack (acks-first.ts): Slack never retries one (a repeat is a
 * replay), every command listener acks before it acts, and the claim is a Firestore write that
 * would otherwise sit in front of every ack, up to its deadline when Firestore is busy (200
 * concurrent commands on the emulator: 0.4 to 1 s). The ack itself waits for nothing; the
 * listener's `ack()` resolves once the claim is known, and throws `RepeatedDelivery` for a
 * repeat, so nothing after it runs. A repeat's ack therefore carries whatever the listener acks
 * with (usage, a refusal), which is harmless: only what follows the ack acts.
 */
export function dedupeDeliveries(
  app: App,
  deliveries: DeliveryLog,
  log: Logger,
  opts: {
    /** The HTTP receiver, whose Slack requests count from their arrival (acks-first.ts). */
    receiver?: Parameters<AcksFirst['watch']>[0];
    acksFirst?: AcksFirst;
  } = {},
): void {
  const claim = async (key: string): Promise<DeliveryClaim> => {
    let claimed: DeliveryClaim;
    try {
      claimed = await deliveries.claim(key);
    } catch (error) {
      claimed = 'unknown';
      log.warn('delivery log failed', { error });
    }
    if (claimed === 'unknown') log.warn('delivery log did not answer in time: acting on it (fail-open)');
    return claimed;
  };
  const ignored = (key: string, context: Record<string, unknown>, envelopeId: string | undefined) =>
    log.info('ignored a repeated Slack delivery', {
      kind: key.slice(0, key.indexOf(':')),
      ...(context.retryNum === undefined ? {} : { retryNum: context.retryNum }),
      ...(context.retryReason === undefined ? {} : { retryReason: context.retryReason }),
      ...(envelopeId ? { envelopeId } : {}),
    });

  // Commands: the claim starts once the ack is sent, and the listener's ack() waits for it.
  // The claim, and with it everything the listener does after its ack, first waits for the
  // acks other requests are waiting for (acks-first.ts), then starts a few at a time.
  const acksFirst = opts.acksFirst ?? createAcksFirst();
  if (opts.receiver) acksFirst.watch(opts.receiver);
  const claims = createLane(CLAIMS_AT_ONCE);
  const inner = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent) => {
    const key = isCommand(event.body) ? deliveryKey(event.body) : undefined;
    if (!key) return inner(event);
    const done = acksFirst.waiting();
    const ack: AckFn<unknown> = async (response) => {
      try {
        await event.ack(response);
      } finally {
        done();
      }
      await acksFirst.drained();
      if ((await claims.run(() => claim(key))) === 'duplicate') throw new RepeatedDelivery(key);
    };
    try {
      return await inner({ ...event, ack });
    } finally {
      done();
    }
  };

  app.use(async (args) => {
    const { body, context, next } = args;
    const envelopeId = typeof context.envelopeId === 'string' ? context.envelopeId : undefined;
    if (isCommand(body)) {
      try {
        await next();
      } catch (error) {
        if (!(error instanceof RepeatedDelivery)) throw error;
        ignored(error.message, context, envelopeId);
      }
      return;
    }
    const key = deliveryKey(body, envelopeId);
    if (!key) return next();
    if ((await claim(key)) !== 'duplicate') return next();
    ignored(key, context, envelopeId);
    // Actions and views wait for an ack (an empty one: the first delivery answered); events
    // were acked by Bolt already.
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
  });
}
