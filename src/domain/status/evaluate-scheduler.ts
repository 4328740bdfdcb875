/** A Cloud Scheduler job's line: paused, or its last attempt failed. */
import { links, type Where } from '../links.js';
import type { SchedulerJobState } from '../ports.js';
import type { Probe } from '../result.js';
import { type Finding, finding, lineOf, type ReportLine, unreadLine } from './model.js';
import { ago } from './text.js';

export function evaluateSchedulerJob(
  name: string,
  p: Probe<SchedulerJobState>,
  now: Date,
  w: Where,
): ReportLine {
  const link = links.schedulerJob(w);
  if (!p.ok) {
    return unreadLine(name, 'schedulerJob', p.error, link);
  }
  const j = p.value;
  const findings: Finding[] = [];
  if (j.state === 'UPDATE_FAILED')
    findings.push(finding('fail', name, 'schedulerJob', 'its last update failed'));
  else if (j.state !== 'ENABLED') findings.push(finding('warn', name, 'schedulerJob', j.state.toLowerCase()));
  const lastOk = !j.lastStatus || j.lastStatus.code === 0;
  if (!lastOk) {
    const why = j.lastStatus?.message || `code ${j.lastStatus?.code}`;
    findings.push(
      finding('fail', name, 'schedulerJob', `last run ${ago(j.lastAttemptTime, now)} failed: ${why}`),
    );
  }
  const state = [
    j.state,
    `\`${j.schedule ?? '?'}\` ${j.timeZone ?? ''}`.trim(),
    ...(lastOk ? [`last run ${ago(j.lastAttemptTime, now)}`] : []),
    `next ${j.nextRunTime ? ago(j.nextRunTime, now) : '—'}`,
  ].join(' · ');
  return lineOf(j.name || name, state, findings, link);
}

/** The self-heal job's line (the plan of `/pipeline self-heal` shows it). */
export function evaluateSelfHeal(p: Probe<SchedulerJobState>, now: Date, w: Where): ReportLine {
  return evaluateSchedulerJob(p.ok ? p.value.name : 'self-heal job', p, now, w);
}
