/**
 * Evaluation: gathered facts into the report on-call reads. Pure: time comes from `now`.
 * Each component kind has its evaluator (evaluate-*.ts) and its section here; the summary is
 * built from the lines' findings, never from their text.
 */
import type { PipelineConfig } from '../../config.js';
import { componentsOf } from '../components.js';
import type { Where } from '../links.js';
import type { ErrorGroup, IsoDate } from '../ports.js';
import { fail, type Probe } from '../result.js';
import { evaluateCheck } from './evaluate-check.js';
import { evaluateDeadLetter } from './evaluate-dead-letter.js';
import { errorLines, fromRelevantRevision } from './evaluate-errors.js';
import { evaluateFunction } from './evaluate-function.js';
import { evaluateJob } from './evaluate-job.js';
import { failedRunLines, stuckRunLines } from './evaluate-run-history.js';
import { evaluateSchedulerJob } from './evaluate-scheduler.js';
import { evaluateService, liveRevisions } from './evaluate-service.js';
import { evaluateTable } from './evaluate-table.js';
import type { StatusFacts } from './gather.js';
import {
  finding,
  lineOf,
  type ReportLine,
  type ReportSection,
  type SectionId,
  type Severity,
  type StatusReport,
  type SummaryEntry,
  summaryOrder,
  worst,
} from './model.js';
import { describeFailure, formatMinutes } from './text.js';

const notGathered = fail('error', 'not gathered');

function section(id: SectionId, title: string, lines: ReportLine[], empty?: string): ReportSection {
  return { id, title, lines, health: worst(lines.map((l) => l.health)), ...(empty ? { empty } : {}) };
}

/** The line of an API that could not be read at all (its components' lines are then unknown too). */
function apiLine(title: string, p: Probe<unknown>): ReportLine[] {
  if (p.ok) return [];
  return [lineOf(title, '', [finding('unknown', title, 'api', describeFailure(p.error))], undefined)];
}

function componentSections(config: PipelineConfig, facts: StatusFacts, now: Date, w: Where): ReportSection[] {
  const shares = facts.serverErrors.ok ? facts.serverErrors.value : {};
  const errors = facts.errors.ok ? facts.errors.value : [];
  const logs = {
    w,
    errors,
    signatures: config.crashSignatures,
    recentErrorsMinutes: config.limits.recentErrorsMinutes,
  };
  const services = componentsOf(config, 'service').map((c) =>
    evaluateService(c, facts.services.get(c.name) ?? notGathered, { ...logs, share: shares[c.name] }),
  );
  const functions = componentsOf(config, 'function').map((c) =>
    evaluateFunction(c, facts.functions.get(c.name) ?? notGathered, { ...logs, share: shares[c.name] }),
  );
  const sections = [
    section('services', 'Cloud Run services', [...services, ...apiLine('5xx share', facts.serverErrors)]),
    section('orchestrators', 'Functions', functions),
  ];
  const jobs = componentsOf(config, 'job');
  if (jobs.length > 0) {
    const lines = jobs.map((c) => evaluateJob(c, facts.jobs.get(c.name) ?? notGathered, w, now));
    sections.push(section('jobs', 'Cloud Run jobs', lines));
  }
  const scheduled = componentsOf(config, 'schedulerJob');
  if (scheduled.length > 0) {
    const lines = scheduled.map((c) =>
      evaluateSchedulerJob(c.name, facts.schedulerJobs.get(c.name) ?? notGathered, now, w),
    );
    sections.push(section('selfHeal', 'Scheduler jobs', lines));
  }
  return sections;
}

function dataSections(config: PipelineConfig, facts: StatusFacts, date: IsoDate, now: Date, w: Where) {
  const sections = [
    section(
      'data',
      `Data for ${date}`,
      config.dataChecks.map((c) => evaluateCheck(c, facts.checks.get(c.id), w)),
      'no data checks configured',
    ),
  ];
  const tables = componentsOf(config, 'table');
  if (tables.length > 0) {
    const lines = tables.map((c) => evaluateTable(c, facts.tables.get(c.name) ?? notGathered, w, now));
    sections.push(section('tables', 'Table freshness', lines));
  }
  const rh = config.runHistory;
  sections.push(
    section(
      'stuck',
      `Stuck runs (running > ${formatMinutes(rh.stuckAfterMinutes)})`,
      stuckRunLines(facts.stuck, rh, w, now),
      'no stuck runs',
    ),
    section(
      'failedRuns',
      `Failed runs for ${date}`,
      failedRunLines(facts.runs, rh, w, now),
      'no failed runs',
    ),
  );
  return sections;
}

function deadLetterSection(config: PipelineConfig, facts: StatusFacts, now: Date, w: Where): ReportSection[] {
  const dlqs = componentsOf(config, 'deadLetter');
  if (dlqs.length === 0) return [];
  const p = facts.deadLetters;
  const lines = p.ok
    ? dlqs.map((c) => evaluateDeadLetter(c, p.value[c.name] ?? [], w, now))
    : apiLine('Cloud Monitoring', p);
  return [section('dlq', 'Dead-letter backlog', lines)];
}

/** Whether a service's line counted an error group: not when a revision it no longer serves logged it. */
function countedOnItsLine(facts: StatusFacts): (g: ErrorGroup) => boolean {
  const live = new Map<string, Set<string | undefined>>();
  for (const [name, p] of facts.services) if (p.ok) live.set(name, liveRevisions(p.value));
  return (g) => {
    const revisions = live.get(g.source);
    return !revisions || fromRelevantRevision(g, (r) => revisions.has(r));
  };
}

/** Every line that is not ok, failures first, then unknowns, then warnings (stable within each). */
export function summarize(sections: ReportSection[]): SummaryEntry[] {
  const entries = sections.flatMap((s) =>
    s.lines
      .filter((l) => l.health !== 'ok' && (l.findings?.length ?? 0) > 0)
      .map((l): SummaryEntry => {
        const severity = l.health as Severity;
        const fs = l.findings ?? [];
        // The line's worst findings first; the others follow.
        const ordered = [
          ...fs.filter((f) => f.severity === severity),
          ...fs.filter((f) => f.severity !== severity),
        ];
        return { severity, component: l.title, section: s.id, messages: ordered.map((f) => f.message) };
      }),
  );
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => summaryOrder[a.e.severity] - summaryOrder[b.e.severity] || a.i - b.i)
    .map(({ e }) => e);
}

export function evaluateStatus(
  config: PipelineConfig,
  facts: StatusFacts,
  date: IsoDate,
  now: Date,
): StatusReport {
  const w: Where = { project: config.project, region: config.region };
  const sections: ReportSection[] = [
    ...componentSections(config, facts, now, w),
    ...dataSections(config, facts, date, now, w),
    section(
      'errors',
      `Errors, last ${formatMinutes(config.limits.recentErrorsMinutes)}`,
      errorLines(facts.errors, config.crashSignatures, w, now, countedOnItsLine(facts)),
      'no errors',
    ),
    ...deadLetterSection(config, facts, now, w),
  ];
  const summary = summarize(sections);
  const findings = sections
    .flatMap((s) => s.lines.flatMap((l) => l.findings ?? []))
    .sort((a, b) => summaryOrder[a.severity] - summaryOrder[b.severity]);
  const counts: Record<Severity, number> = { fail: 0, unknown: 0, warn: 0 };
  for (const e of summary) counts[e.severity]++;
  return {
    date,
    generatedAt: now,
    project: config.project,
    // From the summary, so the verdict never says more (or less) than what is listed under it.
    verdict: worst(summary.map((e) => e.severity)),
    summary,
    counts,
    findings,
    problems: summary.map((e) => `${e.component}: ${e.messages.join(' · ')}`),
    sections,
  };
}
