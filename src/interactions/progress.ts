/**
 * Keeps a guarded request's two Slack messages in step with its stored state: the approval
 * request in the channel (its buttons go once decided) and the progress message in its thread.
 * Progress updates one message with chat.update (response_url allows only 5 uses).
 */
import type { WebClient } from '@slack/web-api';
import type { PipelineConfig } from '../config.js';
import { describePrincipals } from '../domain/policy.js';
import type { Clock } from '../domain/ports.js';
import { effectiveState, type GuardedRequest } from '../domain/requests.js';
import type { Logger } from '../log.js';
import { approvalMessage, progressMessage, requestFallback } from '../views/guarded.js';
import type { Engine } from '../workflows/engine.js';

/** Called by the engine after every persisted change; also after button clicks and sweeps. */
export type Publisher = (request: GuardedRequest) => Promise<void>;

export function createPublisher(deps: {
  client: WebClient;
  config: PipelineConfig;
  clock: Clock;
  log: Logger;
  staleAfterMs: number;
  engine: () => Engine;
  /** Lines a kind of action adds to its progress message (a backfill's progress bar). */
  extraLines?: (r: GuardedRequest) => string[];
}): Publisher {
  const { client, config, log } = deps;
  const progressTs = new Map<string, string>();
  const approvalState = new Map<string, string>();
  // One update at a time per request, in order: Slack shows the last one written.
  const queues = new Map<string, Promise<void>>();

  async function publish(r: GuardedRequest): Promise<void> {
    if (!r.threadTs) return;
    const state = effectiveState(r, deps.clock.now(), deps.staleAfterMs);
    const approvers = describePrincipals(config.access.approvers) ?? 'nobody configured';
    const shownState = state === 'running' || state === 'interrupted' ? 'approved' : state;
    const decided = r.approver ? 'approved' : shownState;
    const approvalKey = `${decided}:${r.closedBy ?? ''}`;
    if (approvalState.get(r.id) !== approvalKey) {
      approvalState.set(r.id, approvalKey);
      await client.chat.update({
        channel: r.channel,
        ts: r.threadTs,
        text: requestFallback(r, state),
        blocks: approvalMessage(r, {
          state:
            state === 'pending_approval' || state === 'expired' || state === 'rejected'
              ? state
              : decided === 'approved'
                ? 'approved'
                : state,
          approvers,
        }),
      });
    }
    if (state === 'pending_approval' || state === 'expired' || (state === 'rejected' && r.steps.length === 0))
      return;
    if (state === 'cancelled' && r.steps.length === 0) return;
    const blocks = progressMessage(r, state, { lines: deps.extraLines?.(r) ?? [] });
    const text = requestFallback(r, state);
    const ts = r.progressTs ?? progressTs.get(r.id);
    if (ts) {
      await client.chat.update({ channel: r.channel, ts, text, blocks });
      return;
    }
    const posted = await client.chat.postMessage({ channel: r.channel, thread_ts: r.threadTs, text, blocks });
    if (posted.ts) {
      progressTs.set(r.id, posted.ts);
      await deps.engine().attachMessage(r.id, { progressTs: posted.ts });
    }
  }

  return (request) => {
    const previous = queues.get(request.id) ?? Promise.resolve();
    const next = previous
      .then(() => publish(request))
      .catch((error: unknown) =>
        log.warn('could not update the request messages', { request: request.id, error }),
      );
    queues.set(request.id, next);
    void next.finally(() => {
      if (queues.get(request.id) === next) queues.delete(request.id);
    });
    return next;
  };
}
