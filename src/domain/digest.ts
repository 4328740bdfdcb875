/**
 * The daily digest: once a day, at a configured time in the pipeline's time zone, what the
 * verdicts of yesterday and today are, what was healed and by whom, which alerts are still open,
 * and the guarded actions of the last 24 hours. Pure: the watch gathers, the views render.
 */
import type { AlertGroupView } from './alerts.js';
import { addDays, clockIn, todayIn } from './dates.js';
import type { IsoDate } from './ports.js';
import type { AuditEntry, GuardedRequest } from './requests.js';
import type { Health, Severity } from './status/model.js';

export interface DigestVerdict {
  date: IsoDate;
  /** Undefined when the report could not be built (its error is in `error`). */
  verdict?: Health;
  counts?: Record<Severity, number>;
  error?: string;
}

export interface DigestHeal {
  subject: string;
  title: string;
  requester: string;
  approver?: string;
}

export interface Digest {
  /** The day it is posted for (today in the pipeline's time zone). */
  day: IsoDate;
  verdicts: DigestVerdict[];
  healed: DigestHeal[];
  open: AlertGroupView[];
  /** Guarded actions and alert acknowledgements of the last 24 hours, oldest first. */
  actions: AuditEntry[];
}

export const DIGEST_WINDOW_MS = 24 * 3_600_000;

/**
 * The day whose digest is due at `now`: today once its time of day has passed `digestAt`
 * (`HH:MM`), else none. The first watch run after that time posts it; the store makes it once.
 */
export function digestDue(now: Date, timeZone: string, digestAt: string): IsoDate | undefined {
  return clockIn(timeZone, now) >= digestAt ? todayIn(timeZone, now) : undefined;
}

/** The dates whose verdicts a digest shows: yesterday, then today. */
export function digestDates(day: IsoDate): IsoDate[] {
  return [addDays(day, -1), day];
}

/** Heals that succeeded, from the requests of the window: who asked and who approved. */
export function healedBy(requests: readonly GuardedRequest[]): DigestHeal[] {
  return requests
    .filter((r) => r.plan.kind === 'heal' && r.state === 'succeeded')
    .map((r) => ({
      subject: r.plan.subject,
      title: r.plan.title,
      requester: r.requester,
      ...(r.approver ? { approver: r.approver } : {}),
    }));
}
