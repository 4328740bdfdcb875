/**
 * The status report's data: findings (what is wrong, structured), the lines a component
 * shows, sections, and the report with its summary. Views format it; nothing here is text to
 * be parsed again.
 */
import type { ComponentKind } from '../../config.js';
import type { IsoDate } from '../ports.js';
import type { Failure } from '../result.js';
import { describeFailure } from './text.js';

export type Health = 'ok' | 'warn' | 'fail' | 'unknown';
export type Severity = Exclude<Health, 'ok'>;

/** What a finding is about: a component kind, a data check, or an API the report could not read. */
export type FindingKind = ComponentKind | 'check' | 'api';

/** One thing wrong with one component. */
export interface Finding {
  severity: Severity;
  /** The component's name (or the check's label), as its line's title. */
  component: string;
  kind: FindingKind;
  /** One line of plain text (the view escapes it). */
  message: string;
}

export interface ReportLine {
  health: Health;
  /** Name of the thing (service, function, check…). */
  title: string;
  /** One line of plain detail: the state, then what is wrong. */
  detail: string;
  link?: string;
  /** What is wrong on this line; its health is the worst of them (none: ok). */
  findings?: Finding[];
}

export type SectionId =
  | 'services'
  | 'orchestrators'
  | 'jobs'
  | 'selfHeal'
  | 'data'
  | 'tables'
  | 'stuck'
  | 'failedRuns'
  | 'errors'
  | 'dlq';

export interface ReportSection {
  id: SectionId;
  title: string;
  health: Health;
  lines: ReportLine[];
  /** Shown when there are no lines, e.g. "no stuck runs". */
  empty?: string;
}

/** One entry of the summary: a line that is not ok, with everything wrong on it. */
export interface SummaryEntry {
  severity: Severity;
  component: string;
  section: SectionId;
  messages: string[];
}

export interface StatusReport {
  date: IsoDate;
  generatedAt: Date;
  project: string;
  verdict: Health;
  /** Every line that is not ok: failures, then unknowns, then warnings. */
  summary: SummaryEntry[];
  /** Summary entries per severity. */
  counts: Record<Severity, number>;
  /** Every finding, in the summary's order. */
  findings: Finding[];
  /** The summary as one line of plain text each (`component: message · message`). */
  problems: string[];
  sections: ReportSection[];
}

const rank: Record<Health, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

/** The worst health; a warning outranks an unknown (something is known to be wrong). */
export const worst = (hs: Health[]): Health => hs.reduce<Health>((a, b) => (rank[b] > rank[a] ? b : a), 'ok');

/** The summary's order: what is failing, then what could not be read, then warnings. */
export const summaryOrder: Record<Severity, number> = { fail: 0, unknown: 1, warn: 2 };

/** A line whose health is the worst of its findings; `detail` is the state then the findings. */
export function lineOf(
  title: string,
  state: string,
  findings: Finding[],
  link: string | undefined,
): ReportLine {
  const detail = [state, ...findings.map((f) => f.message)].filter(Boolean).join(' · ');
  return {
    health: worst(findings.map((f) => f.severity)),
    title,
    detail,
    findings,
    ...(link ? { link } : {}),
  };
}

export const finding = (
  severity: Severity,
  component: string,
  kind: FindingKind,
  message: string,
): Finding => ({ severity, component, kind, message });

/**
 * The line of a component whose read failed: one that does not exist fails, any other failure is
 * unknown. `known`: what other sources (logs, Monitoring) found about it, still on its own line.
 */
export function unreadLine(
  name: string,
  kind: FindingKind,
  error: Failure,
  link: string | undefined,
  known: Finding[] = [],
): ReportLine {
  const severity = error.kind === 'not_found' ? 'fail' : 'unknown';
  return lineOf(name, '', [finding(severity, name, kind, describeFailure(error)), ...known], link);
}
