/**
 * The watch as the bot runs it: one tick evaluates the pipeline's current dates with the same
 * reports as `/pipeline status` (runWatch) and posts the daily digest when it is due (runDigest).
 * Ticks come from Cloud Scheduler (`POST /tasks/watch`) or the in-process timer; a tick arriving
 * while this instance is still on the previous one is skipped (the next one catches up), and the
 * alert store makes a tick act once across instances.
 */
import type { AlertGroupView } from '../domain/alerts.js';
import { type DigestOutcome, runDigest } from '../workflows/digest.js';
import { runWatch, type WatchOutcome } from '../workflows/watch.js';
import type { AlertsDeps, Deps } from './deps.js';
import { getStatus } from './status.js';

export interface TickResult {
  tick: string;
  skipped?: boolean;
  outcomes: WatchOutcome[];
  digest?: DigestOutcome;
}

export interface WatchService {
  tick(id: string): Promise<TickResult>;
  /** Resolves when the tick in flight (if any) is done. */
  idle(): Promise<void>;
}

export function createWatchService(deps: Deps, alerts: AlertsDeps): WatchService {
  const config = deps.config.alerts;
  let running: Promise<TickResult> | undefined;
  const log = (line: object) => deps.log.warn('watch', line as Record<string, unknown>);
  async function run(id: string): Promise<TickResult> {
    const now = deps.clock.now();
    const outcomes = await runWatch(
      {
        report: (date) => getStatus(deps, date, true),
        store: alerts.store,
        notifier: alerts.notifier,
        timeZone: deps.config.timeZone,
        daysBack: config?.daysBack ?? 1,
        groupBy: config?.groupBy ?? 'date',
        log,
      },
      { id, now },
    );
    if (!config?.digestAt) return { tick: id, outcomes };
    const digest = await runDigest(
      {
        report: (date) => getStatus(deps, date, false),
        store: alerts.store,
        requests: deps.guarded.store,
        audit: deps.guarded.audit,
        post: (d) => alerts.notifier.digest(d),
        timeZone: deps.config.timeZone,
        digestAt: config.digestAt,
        log,
      },
      now,
    );
    return { tick: id, outcomes, digest };
  }
  return {
    async tick(id) {
      if (running) return { tick: id, skipped: true, outcomes: [] };
      running = run(id);
      try {
        const result = await running;
        deps.log.info('watch tick', { tick: id, outcomes: result.outcomes, digest: result.digest });
        return result;
      } finally {
        running = undefined;
      }
    },
    async idle() {
      await running?.catch(() => undefined);
    },
  };
}

/** The open groups, for `/pipeline alerts` and App Home; undefined when the store did not answer. */
export async function openAlerts(deps: Deps): Promise<AlertGroupView[] | undefined> {
  if (!deps.alerts) return [];
  try {
    return await deps.alerts.store.open(20);
  } catch (error) {
    deps.log.warn('open alerts not read', { error });
    return undefined;
  }
}
