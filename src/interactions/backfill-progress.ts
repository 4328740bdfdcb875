/**
 * Where the backfill executor's reports go: the latest one per request is shown as a progress
 * bar in the request's progress message; a stall alarm is posted once in the thread, mentioning
 * the requester, with a Cancel button.
 */
import type { WebClient } from '@slack/web-api';
import type { RequestStore } from '../domain/requests.js';
import type { Logger } from '../log.js';
import { backfillProgressLine, stallMessage } from '../views/backfill.js';
import type { BackfillProgress } from '../workflows/backfill-executor.js';

export interface BackfillWatcher {
  onProgress(p: BackfillProgress): Promise<void>;
  /** Extra lines for a request's progress message. */
  lines(requestId: string): string[];
}

export function createBackfillWatcher(deps: {
  client: WebClient;
  store: RequestStore;
  log: Logger;
  stallMinutes: number;
  publish: (requestId: string) => Promise<void>;
}): BackfillWatcher {
  const latest = new Map<string, BackfillProgress>();

  async function show(p: BackfillProgress): Promise<void> {
    try {
      await deps.publish(p.requestId);
      if (!p.stalled) return;
      const r = await deps.store.get(p.requestId);
      if (!r?.threadTs) return;
      await deps.client.chat.postMessage({
        channel: r.channel,
        thread_ts: r.threadTs,
        text: `<@${r.requester}> the backfill has made no progress for ${deps.stallMinutes} min`,
        blocks: stallMessage(r, p, deps.stallMinutes),
      });
    } catch (error) {
      deps.log.warn('backfill progress not shown', { request: p.requestId, error });
    }
  }

  return {
    lines(id) {
      const p = latest.get(id);
      return p ? [backfillProgressLine(p)] : [];
    },
    async onProgress(p) {
      latest.set(p.requestId, p);
      if (latest.size > 200) latest.delete(latest.keys().next().value as string);
      // Beside the watch, never awaited by it: Slack's trouble must not hold the backfill's step.
      void show(p);
    },
  };
}
