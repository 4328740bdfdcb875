/**
 * One action per Slack delivery, whatever brings it again: Slack's retries (`X-Slack-Retry-Num`
 * over HTTP, `retry_attempt` over Socket Mode), a redelivered envelope, or an exact replay of a
 * signed request (Bolt accepts one for 5 minutes). A global middleware claims the delivery's key
 * in the shared DeliveryLog before any listener runs; a duplicate is acked and goes no further.
 */
import { createHash } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { Logger } from './log.js';
import type { DeliveryLog } from './store/slack-deliveries.js';

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

/**
 * Register first, before the listeners. When the log does not answer in time (Firestore slow
 * or down) the delivery goes on: fail-open. Every mutating path behind it is already exactly
 * once by its own transaction (approve, resume, submit's one-active-request rule), so what a
 * duplicate could still do then is post a second reply or open a second modal; failing closed
 * would instead drop people's commands for as long as Firestore is unwell, silently.
 */
export function dedupeDeliveries(app: App, deliveries: DeliveryLog, log: Logger): void {
  app.use(async (args) => {
    const { body, context, next } = args;
    const envelopeId = typeof context.envelopeId === 'string' ? context.envelopeId : undefined;
    const key = deliveryKey(body, envelopeId);
    if (!key) return next();
    let claim: Awaited<ReturnType<DeliveryLog['claim']>>;
    try {
      claim = await deliveries.claim(key);
    } catch (error) {
      claim = 'unknown';
      log.warn('delivery log failed', { error });
    }
    if (claim === 'unknown') log.warn('delivery log did not answer in time: acting on it (fail-open)');
    if (claim !== 'duplicate') return next();
    log.info('ignored a repeated Slack delivery', {
      kind: key.slice(0, key.indexOf(':')),
      ...(context.retryNum === undefined ? {} : { retryNum: context.retryNum }),
      ...(context.retryReason === undefined ? {} : { retryReason: context.retryReason }),
      ...(envelopeId ? { envelopeId } : {}),
    });
    // Commands, actions and views wait for an ack (an empty one: the first delivery answered);
    // events were acked by Bolt already.
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
  });
}
