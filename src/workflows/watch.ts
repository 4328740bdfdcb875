/**
 * One run of the watch: evaluate the pipeline's current dates with the same code as
 * `/pipeline status`, turn what fails into alert findings, and let the alert store decide per
 * group (exactly once per tick, whichever instance runs it) whether to post, update, remind or
 * resolve; the notifier does that in Slack. A post that fails releases its claim, so the next
 * tick tries again. Driven by Cloud Scheduler (POST /tasks/watch) or an in-process timer.
 */
import { type AlertGroupView, type Finding, fingerprintOf, shownKey } from '../domain/alerts.js';
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
  update(view: AlertGroupView): Promise<Probe<true>>;
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
  log: (line: object) => void;
}

export interface WatchOutcome {
  group: string;
  action: string;
  ok: boolean;
}

/** Failures page; a component the report could not read keeps its alerts as they are. */
export function alertFindings(findings: readonly ReportFinding[], date: IsoDate) {
  const paging: Finding[] = [];
  const undecided = new Set<string>();
  for (const f of findings) {
    if (f.severity === 'unknown') undecided.add(f.component);
    if (f.severity !== 'fail') continue;
    paging.push({
      fingerprint: fingerprintOf({ component: f.component, kind: f.kind, date }),
      group: date,
      component: f.component,
      componentKind: f.kind,
      kind: f.kind,
      date,
      severity: 'fail',
      message: f.message,
    });
  }
  return { paging, undecided };
}

export async function runWatch(deps: WatchDeps, tick: { id: string; now: Date }): Promise<WatchOutcome[]> {
  const today = todayIn(deps.timeZone, tick.now);
  const dates = Array.from({ length: (deps.daysBack ?? 1) + 1 }, (_, i) => addDays(today, -i)).reverse();
  const outcomes: WatchOutcome[] = [];
  for (const date of dates) {
    const report = await deps.report(date);
    const { paging, undecided } = alertFindings(report.findings, date);
    const result = await deps.store.evaluate(date, paging, tick, undecided);
    const ok = await carryOut(deps, date, result, tick.now);
    outcomes.push({ group: date, action: result.action.kind, ok });
    if (!ok) deps.log({ event: 'watch.notify_failed', group: date, action: result.action.kind });
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
      const updated = await deps.notifier.update(view);
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
