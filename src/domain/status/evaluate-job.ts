/** A Cloud Run Job's line: its latest execution, failed or with failed tasks. */
import type { ComponentOf } from '../../config.js';
import { links, type Where } from '../links.js';
import type { ExecutionState } from '../ports.js';
import type { Probe } from '../result.js';
import { type Finding, finding, lineOf, type ReportLine, unreadLine } from './model.js';
import { ago, shortRevision } from './text.js';

export function evaluateJob(
  c: ComponentOf<'job'>,
  p: Probe<ExecutionState[]>,
  w: Where,
  now: Date,
): ReportLine {
  const link = links.job(w, c.name);
  if (!p.ok) {
    return unreadLine(c.name, 'job', p.error, link);
  }
  const [latest] = p.value;
  if (!latest) return lineOf(c.name, 'no executions yet', [], link);
  const name = shortRevision(c.name, latest.shortName);
  const findings: Finding[] = [];
  const tasks = `${latest.failedCount} of ${latest.taskCount} tasks failed`;
  if (latest.outcome === 'failed') {
    findings.push(finding('fail', c.name, 'job', `latest execution ${name} failed: ${tasks}`));
  } else if (latest.failedCount > 0) {
    // Still running, or succeeded after task retries: some work was lost or redone.
    findings.push(finding(latest.done ? 'fail' : 'warn', c.name, 'job', `execution ${name}: ${tasks}`));
  } else if (latest.outcome === 'cancelled') {
    findings.push(finding('warn', c.name, 'job', `latest execution ${name} was cancelled`));
  }
  const state = latest.done
    ? `${name} ${latest.outcome ?? 'finished'} ${ago(latest.completionTime, now)}`
    : `${name} running since ${ago(latest.startTime ?? latest.createTime, now)}`;
  return lineOf(c.name, `${state} · ${latest.succeededCount}/${latest.taskCount} tasks`, findings, link);
}
