/**
 * run_history: runs stuck in the running status, and the date's runs whose latest attempt (per
 * processor) ended in the failed status, with the error message the run wrote.
 */
import type { PipelineConfig } from '../../config.js';
import { exceptionLine } from '../exception-line.js';
import { links, type Where } from '../links.js';
import type { RunRecord } from '../ports.js';
import type { Probe } from '../result.js';
import { finding, lineOf, type ReportLine } from './model.js';
import { ago, describeFailure } from './text.js';

type RunHistory = PipelineConfig['runHistory'];

function unreadable(p: Probe<unknown>, link: string): ReportLine[] {
  if (p.ok) return [];
  return [
    lineOf(
      'run_history',
      '',
      [finding('unknown', 'run_history', 'runHistory', describeFailure(p.error))],
      link,
    ),
  ];
}

export function stuckRunLines(stuck: Probe<RunRecord[]>, rh: RunHistory, w: Where, now: Date): ReportLine[] {
  const link = links.firestoreCollection(w, rh.collection);
  if (!stuck.ok) return unreadable(stuck, link);
  return stuck.value.map((r) =>
    lineOf(
      r.processor,
      `${r.date} · started ${ago(r.startedAt, now)} · \`${r.id}\``,
      [finding('fail', r.processor, 'runHistory', `stuck since ${ago(r.startedAt, now)}`)],
      link,
    ),
  );
}

/** The latest run of each processor for the date, when it failed. */
export function failedRuns(runs: RunRecord[], rh: RunHistory): RunRecord[] {
  const latest = new Map<string, RunRecord>();
  for (const r of runs) {
    const seen = latest.get(r.processor);
    if (!seen || (r.startedAt ?? '') > (seen.startedAt ?? '')) latest.set(r.processor, r);
  }
  return [...latest.values()].filter((r) => r.status === rh.failedStatus);
}

export function failedRunLines(runs: Probe<RunRecord[]>, rh: RunHistory, w: Where, now: Date): ReportLine[] {
  const link = links.firestoreCollection(w, rh.collection);
  if (!runs.ok) return unreadable(runs, link);
  return failedRuns(runs.value, rh).map((r) =>
    lineOf(
      r.processor,
      `${r.date} · started ${ago(r.startedAt, now)} · \`${r.id}\``,
      // A processor may write its whole traceback: the line that says what went wrong.
      [finding('fail', r.processor, 'runHistory', `failed${r.error ? `: ${exceptionLine(r.error)}` : ''}`)],
      link,
    ),
  );
}
