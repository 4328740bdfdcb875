/**
 * The daily digest, posted by the first watch run after its time of day, once across instances:
 * the alert store's claim decides who posts; a failed post releases it for the next run.
 */
import { DIGEST_WINDOW_MS, type Digest, digestDates, digestDue, healedBy } from '../domain/digest.js';
import type { IsoDate } from '../domain/ports.js';
import type { AuditLog, RequestStore } from '../domain/requests.js';
import type { Probe } from '../domain/result.js';
import type { Health, Severity } from '../domain/status/model.js';
import type { AlertStore } from '../store/firestore-alerts.js';

export interface DigestDeps {
  /** The status report of a date (the same as `/pipeline status`). */
  report(date: IsoDate): Promise<{ verdict: Health; counts: Record<Severity, number> }>;
  store: AlertStore;
  requests: Pick<RequestStore, 'list'>;
  audit: Pick<AuditLog, 'list'>;
  post(digest: Digest): Promise<Probe<string>>;
  timeZone: string;
  /** `HH:MM` in the pipeline's time zone. */
  digestAt: string;
  log: (line: object) => void;
}

export type DigestOutcome = 'not_due' | 'taken' | 'posted' | 'failed';

export async function runDigest(deps: DigestDeps, now: Date): Promise<DigestOutcome> {
  const day = digestDue(now, deps.timeZone, deps.digestAt);
  if (!day) return 'not_due';
  if (!(await deps.store.claimDigest(day, now))) return 'taken';
  try {
    const digest = await gatherDigest(deps, day, now);
    const posted = await deps.post(digest);
    if (posted.ok) {
      await deps.store.recordDigest(day, posted.value);
      return 'posted';
    }
    deps.log({ event: 'watch.digest_failed', day, error: posted.error.message });
  } catch (error) {
    deps.log({ event: 'watch.digest_failed', day, error: String(error) });
  }
  await deps.store.releaseDigest(day);
  return 'failed';
}

async function gatherDigest(deps: DigestDeps, day: IsoDate, now: Date): Promise<Digest> {
  const since = new Date(now.getTime() - DIGEST_WINDOW_MS);
  const [verdicts, requests, actions, open] = await Promise.all([
    Promise.all(
      digestDates(day).map(async (date) => {
        try {
          const r = await deps.report(date);
          return { date, verdict: r.verdict, counts: r.counts };
        } catch (error) {
          return { date, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    ),
    deps.requests.list({ since, limit: 50 }),
    deps.audit.list({ since, limit: 60 }),
    deps.store.open(20),
  ]);
  return { day, verdicts, healed: healedBy(requests), open, actions };
}
