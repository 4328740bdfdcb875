/**
 * Alerts from findings, the way people want them in Slack: a finding must hold on two evaluations
 * in a row before it pages (a flap does not), one message per group updated in place as its
 * alerts change and when they resolve, a reminder in the thread while something fires and nobody
 * has acknowledged it, silences that end by themselves. Pure: the store and Slack are elsewhere.
 */
import { addDays, todayIn } from './dates.js';
import type { IsoDate } from './ports.js';

export type AlertSeverity = 'fail' | 'warn' | 'unknown';

/** One thing wrong, from an evaluation of the pipeline's checks. */
export interface Finding {
  /** Stable across evaluations: component, kind and date; never a time or a count. */
  fingerprint: string;
  /** Alerts of one group share a message (by default, one group per date). */
  group: string;
  component: string;
  /** What the component is (service, function, table…): decides which flows the alert offers. */
  componentKind?: string;
  kind: string;
  date?: IsoDate;
  severity: AlertSeverity;
  /** One line for a person: what failed. */
  message: string;
}

export type AlertState = 'pending' | 'firing' | 'acknowledged' | 'silenced' | 'resolved';

export interface AlertRecord extends Finding {
  state: AlertState;
  firstSeen: Date;
  lastSeen: Date;
  /** Evaluations in a row that found it; two make a pending alert fire. */
  seenInRow: number;
  acknowledgedBy?: string;
  silencedBy?: string;
  silencedUntil?: Date;
  resolvedAt?: Date;
}

/** The Slack message of a group; `ts` once posted. */
export interface AlertGroup {
  id: string;
  state: 'open' | 'resolved';
  openedAt: Date;
  ts?: string;
  lastReminderAt?: Date;
  resolvedAt?: Date;
  /** What the posted message shows, to update it only when that changes. */
  shown?: string;
}

export interface AlertPolicy {
  /** Evaluations in a row before a finding fires (default 2). */
  confirmations: number;
  /** A reminder in the thread while firing and not acknowledged (default 4 h). */
  reminderMs: number;
}

export const defaultAlertPolicy: AlertPolicy = { confirmations: 2, reminderMs: 4 * 3_600_000 };

/** `component/kind/date`: the same problem on the same date is one alert, whenever it is seen. */
export function fingerprintOf(f: { component: string; kind: string; date?: IsoDate }): string {
  return `${f.component}/${f.kind}/${f.date ?? '*'}`;
}

const isActive = (a: AlertRecord) => a.state !== 'pending' && a.state !== 'resolved';

/**
 * The alerts after one evaluation: new findings start pending, a pending one fires once it has
 * been seen `confirmations` times in a row, an expired silence fires again, and what is no longer
 * found resolves (a pending one is simply forgotten: it never paged). Records not in `previous`
 * and not found are absent from the result.
 */
export function evaluateAlerts(
  previous: readonly AlertRecord[],
  findings: readonly Finding[],
  now: Date,
  policy: AlertPolicy = defaultAlertPolicy,
  /** Components this evaluation could not read: their alerts stay as they are, neither resolved nor advanced. */
  undecided: ReadonlySet<string> = new Set(),
): AlertRecord[] {
  const byFingerprint = new Map(previous.map((a) => [a.fingerprint, a]));
  const found = new Set<string>();
  const next: AlertRecord[] = [];
  for (const f of findings) {
    if (found.has(f.fingerprint)) continue;
    found.add(f.fingerprint);
    const before = byFingerprint.get(f.fingerprint);
    next.push(seen(before?.state === 'resolved' ? undefined : before, f, now, policy));
  }
  for (const a of previous) {
    if (found.has(a.fingerprint)) continue;
    if (undecided.has(a.component)) {
      next.push(a);
      continue;
    }
    if (a.state === 'pending') continue;
    next.push(a.state === 'resolved' ? a : { ...a, state: 'resolved', resolvedAt: now, seenInRow: 0 });
  }
  return next;
}

function seen(before: AlertRecord | undefined, f: Finding, now: Date, policy: AlertPolicy): AlertRecord {
  if (!before) {
    const state: AlertState = policy.confirmations <= 1 ? 'firing' : 'pending';
    return { ...f, state, firstSeen: now, lastSeen: now, seenInRow: 1 };
  }
  const seenInRow = before.seenInRow + 1;
  let state = before.state;
  if (state === 'pending' && seenInRow >= policy.confirmations) state = 'firing';
  if (state === 'silenced' && (!before.silencedUntil || before.silencedUntil <= now)) state = 'firing';
  const { silencedUntil: _u, silencedBy: _b, ...rest } = before;
  const record: AlertRecord = {
    ...(state === 'silenced' ? before : rest),
    ...f,
    state,
    lastSeen: now,
    seenInRow,
  };
  return record;
}

/** A group with its alerts, as the views and App Home show it. */
export interface AlertGroupView {
  group: AlertGroup;
  alerts: AlertRecord[];
}

/** What to do in Slack for a group after an evaluation. */
export type GroupAction =
  | { kind: 'post' }
  | { kind: 'update' }
  | { kind: 'remind' }
  | { kind: 'resolve'; afterMs: number }
  | { kind: 'none' };

/**
 * The group's next step: post when something fires and nothing is posted yet, update in place
 * when what it shows changes, resolve in place when nothing is active any more, remind when it
 * has fired unacknowledged for `reminderMs` since it was posted or last reminded.
 */
export function groupAction(
  group: AlertGroup | undefined,
  alerts: readonly AlertRecord[],
  now: Date,
  policy: AlertPolicy = defaultAlertPolicy,
): GroupAction {
  const active = alerts.filter(isActive);
  const open = group?.state === 'open' && group.ts !== undefined;
  if (!open) return alerts.some((a) => a.state === 'firing') ? { kind: 'post' } : { kind: 'none' };
  if (active.length === 0) return { kind: 'resolve', afterMs: now.getTime() - group.openedAt.getTime() };
  if (group.shown !== shownKey(alerts)) return { kind: 'update' };
  const unacknowledged = active.some((a) => a.state === 'firing');
  const since = group.lastReminderAt ?? group.openedAt;
  if (unacknowledged && now.getTime() - since.getTime() >= policy.reminderMs) return { kind: 'remind' };
  return { kind: 'none' };
}

/** What a group's message shows of its alerts: when this changes, the message is updated. */
export function shownKey(alerts: readonly AlertRecord[]): string {
  return alerts
    .filter(isActive)
    .map(
      (a) =>
        `${a.fingerprint}:${a.state}:${a.severity}:${a.acknowledgedBy ?? ''}:${a.silencedUntil?.getTime() ?? ''}`,
    )
    .sort()
    .join('|');
}

/**
 * Alerts that fire now but did not in what the message last showed (`shown`, a shownKey): new in
 * the group, or firing again after a silence ended. An edit notifies nobody; these deserve a line.
 */
export function newlyFiring(shown: string | undefined, alerts: readonly AlertRecord[]): AlertRecord[] {
  const before = new Set((shown ?? '').split('|'));
  return alerts.filter(
    (a) => a.state === 'firing' && ![...before].some((k) => k.startsWith(`${a.fingerprint}:firing:`)),
  );
}

/** A person acknowledges the firing alerts of a group: no more reminders for them. */
export function acknowledge(alerts: readonly AlertRecord[], user: string): AlertRecord[] {
  return alerts.map((a) =>
    a.state === 'firing' ? { ...a, state: 'acknowledged', acknowledgedBy: user } : a,
  );
}

/** A person silences a group's active alerts until `until`; they fire again if still found then. */
export function silence(alerts: readonly AlertRecord[], user: string, until: Date): AlertRecord[] {
  return alerts.map((a) =>
    isActive(a) ? { ...a, state: 'silenced', silencedBy: user, silencedUntil: until } : a,
  );
}

/** "2 h 10 min": how long a group was open, for the resolved message. */
export function describeDuration(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** How long a silence chosen on an alert lasts. */
export type SilenceChoice = '1h' | '4h' | 'tomorrow';

/** Hour of the morning (pipeline time) an "until tomorrow" silence ends: when the day's runs are checked. */
const MORNING_HOUR = 9;

/**
 * When a silence ends: in 1 or 4 hours, or tomorrow at 09:00 in the pipeline's time zone (found by
 * stepping from UTC midnight of tomorrow's date to the first hour that reads 09 there).
 */
export function silenceUntil(choice: SilenceChoice, now: Date, timeZone: string): Date {
  if (choice === '1h') return new Date(now.getTime() + 3_600_000);
  if (choice === '4h') return new Date(now.getTime() + 4 * 3_600_000);
  const tomorrow = addDays(todayIn(timeZone, now), 1);
  const hourIn = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', hourCycle: 'h23' });
  const start = Date.parse(`${tomorrow}T00:00:00Z`) - 14 * 3_600_000;
  for (let t = start; t < start + 40 * 3_600_000; t += 900_000) {
    const d = new Date(t);
    if (todayIn(timeZone, d) === tomorrow && Number(hourIn.format(d)) === MORNING_HOUR) return d;
  }
  return new Date(now.getTime() + 24 * 3_600_000);
}
