/**
 * One run of the watch: evaluate the pipeline's current dates with the same code as
 * `/pipeline status`, turn what fails into alert findings, and let the alert store decide per
 * group (exactly once per tick, whichever instance runs it) whether to post, update, remind or
 * resolve; the notifier does that in Slack. A post that fails releases its claim, so the next
 * tick tries again. Driven by Cloud Scheduler (POST /tasks/watch) or an in-process timer.
 */
import {
  type AlertGroupView,
  type AlertRecord,
  type Finding,
  fingerprintOf,
  newlyFiring,
  shownKey,
} from '../domain/alerts.js';
import { addDays, todayIn } from '../domain/dates.js';
import type { IsoDate } from '../domain/ports.js';
import type { Probe } from '../domain/result.js';
import type { AlertStore } from '../store/firestore-alerts.js';

/** What the watch reads of a status report's findings. */
export interface ReportFinding {
  severity: 'fail' | 'warn' | 'unknown';
  component: string;
  kind: string;
  message: string;
}

/** Slack, seen from the watch: the interactions layer renders and sends. */
export interface AlertNotifier {
  /** Post the group's message; its ts. */
  post(view: AlertGroupView): Promise<Probe<string>>;
  /**
   * Update the message in place; `newlyFiring` (alerts that fire now and did not when it was last
   * shown) also get one thread line, since an edit notifies nobody.
   */
  update(view: AlertGroupView, newlyFiring?: readonly AlertRecord[]): Promise<Probe<true>>;
  remind(view: AlertGroupView, sinceMs: number): Promise<Probe<true>>;
  /** Update the message in place as resolved and say so once in its thread. */
  resolve(view: AlertGroupView, afterMs: number): Promise<Probe<true>>;
}

export interface WatchDeps {
  report(date: IsoDate): Promise<{ findings: readonly ReportFinding[] }>;
  store: AlertStore;
  notifier: AlertNotifier;
  timeZone: string;
  /** Days before today to watch too (default 1: yesterday's games are processed today). */
  daysBack?: number;
  /** One alert message per date (default), or one for the whole pipeline. */
  groupBy?: 'date' | 'pipeline';
  log: (line: object) => void;
}

export interface WatchOutcome {
  group: string;
  action: string;
  ok: boolean;
}

/**
 * Findings about a date's data (its checks, its runs) belong to that date; the others (a service
 * crash-looping, a stale table, a dead-letter backlog) are about now, whatever the date asked.
 */
const datedKinds = new Set(['check', 'runHistory']);

/** The group of the alerts about the components' state now, with `groupBy: date`. */
export const COMPONENTS_GROUP = 'components';

/** The group a finding's alert belongs to: its date's, or the components' (one group for all with `pipeline`). */
export const groupOf = (groupBy: WatchDeps['groupBy'], date: IsoDate | undefined): string =>
  groupBy === 'pipeline' ? 'pipeline' : (date ?? COMPONENTS_GROUP);

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** Failures page; a component the report could not read keeps its alerts as they are. */
export function alertFindings(
  findings: readonly ReportFinding[],
  date: IsoDate | undefined,
  group: string = date ?? COMPONENTS_GROUP,
) {
  const paging: Finding[] = [];
  const undecided = new Set<string>();
  for (const f of findings) {
    if (f.severity === 'unknown') undecided.add(f.component);
    if (f.severity !== 'fail') continue;
    paging.push({
      fingerprint: fingerprintOf({ component: f.component, kind: f.kind, ...(date ? { date } : {}) }),
      group,
      component: f.component,
      componentKind: f.kind,
      kind: f.kind,
      ...(date ? { date } : {}),
      severity: 'fail',
      message: f.message,
    });
  }
  return { paging, undecided };
}

/**
 * The dates to evaluate: today and `daysBack` before it, and the date of any group still open
 * (an alert of the day before yesterday keeps being watched until it resolves).
 */
async function watchedDates(deps: WatchDeps, now: Date): Promise<IsoDate[]> {
  const today = todayIn(deps.timeZone, now);
  const window = Array.from({ length: (deps.daysBack ?? 1) + 1 }, (_, i) => addDays(today, -i));
  const open = await deps.store.open(20);
  const older = open.flatMap((v) => v.alerts.map((a) => a.date)).filter((d): d is IsoDate => !!d);
  const dates = new Set<IsoDate>([...window, ...older.filter((d) => isoDate.test(d) && d < today)]);
  return [...dates].sort();
}

export async function runWatch(deps: WatchDeps, tick: { id: string; now: Date }): Promise<WatchOutcome[]> {
  const today = todayIn(deps.timeZone, tick.now);
  const groups = new Map<string, { paging: Finding[]; undecided: Set<string> }>();
  const add = (group: string, found: ReturnType<typeof alertFindings>) => {
    const g = groups.get(group) ?? { paging: [], undecided: new Set<string>() };
    g.paging.push(...found.paging);
    for (const c of found.undecided) g.undecided.add(c);
    groups.set(group, g);
  };
  for (const date of await watchedDates(deps, tick.now)) {
    const report = await deps.report(date);
    const dated = report.findings.filter((f) => datedKinds.has(f.kind));
    add(groupOf(deps.groupBy, date), alertFindings(dated, date, groupOf(deps.groupBy, date)));
    // The state of the components now: once, from today's report (not once per date watched).
    if (date !== today) continue;
    const current = report.findings.filter((f) => !datedKinds.has(f.kind));
    add(
      groupOf(deps.groupBy, undefined),
      alertFindings(current, undefined, groupOf(deps.groupBy, undefined)),
    );
  }
  const outcomes: WatchOutcome[] = [];
  for (const [group, { paging, undecided }] of groups) {
    const result = await deps.store.evaluate(group, paging, tick, undecided);
    const ok = await carryOut(deps, group, result, tick.now);
    outcomes.push({ group, action: result.action.kind, ok });
    if (!ok) deps.log({ event: 'watch.notify_failed', group, action: result.action.kind });
  }
  return outcomes;
}

async function carryOut(
  deps: WatchDeps,
  group: string,
  result: Awaited<ReturnType<AlertStore['evaluate']>>,
  now: Date,
): Promise<boolean> {
  const view: AlertGroupView = { group: result.group, alerts: result.alerts };
  const action = result.action;
  switch (action.kind) {
    case 'none':
      return true;
    case 'post': {
      const posted = await deps.notifier.post(view);
      if (!posted.ok) {
        await deps.store.releaseClaim(group);
        return false;
      }
      await deps.store.recordShown(group, shownKey(view.alerts), posted.value);
      return true;
    }
    case 'update': {
      const updated = await deps.notifier.update(view, newlyFiring(view.group.shown, view.alerts));
      if (updated.ok) await deps.store.recordShown(group, shownKey(view.alerts));
      return updated.ok;
    }
    case 'remind': {
      const reminded = await deps.notifier.remind(view, now.getTime() - view.group.openedAt.getTime());
      if (reminded.ok) await deps.store.recordReminder(group, now);
      return reminded.ok;
    }
    case 'resolve': {
      const resolved = await deps.notifier.resolve(view, action.afterMs);
      if (resolved.ok) await deps.store.recordResolved(group, now);
      return resolved.ok;
    }
  }
}
