/**
 * Reading one component's logs. Queries are typed values (`LogFilter`): a component resolved from
 * the configuration, times, a severity from a closed list, and text that is rendered only as a
 * quoted, escaped string of the Logging query language. Nothing typed in Slack is ever pasted into
 * a filter, so no input can widen a query (cloud.google.com/logging/docs/view/logging-query-language).
 */
import type { ComponentKind } from '../config.js';
import type { Where } from './links.js';
import type { Probe } from './result.js';

export const logSourceKinds = ['service', 'function', 'job'] as const satisfies readonly ComponentKind[];
export type LogSourceKind = (typeof logSourceKinds)[number];

/** A configured component whose logs can be read. */
export interface LogSource {
  kind: LogSourceKind;
  name: string;
}

/** LogSeverity, lowest first (google.logging.type.LogSeverity). */
export const logSeverities = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;
export type LogSeverity = (typeof logSeverities)[number];

type NonEmpty<T> = [T, ...T[]];

/** A Logging filter as data; `renderFilter` writes it in the query language. */
export type LogFilter =
  | { all: NonEmpty<LogFilter> }
  | { any: NonEmpty<LogFilter> }
  | { source: LogSource }
  | { since: Date }
  | { until: Date }
  | { severityAtLeast: LogSeverity }
  /** Entries holding this text anywhere (a global restriction), case-insensitively. */
  | { text: string }
  | { insertId: string };

export interface LogEntry {
  insertId: string;
  /** RFC 3339. */
  timestamp: string;
  severity: string;
  /** The service, function or job name the entry's resource labels give. */
  source?: string;
  /** The Cloud Run revision (`revision_name`), when the entry has one. */
  revision?: string;
  /** The whole message: textPayload, jsonPayload.message, or the payload as JSON. */
  text: string;
}

export interface LogPage {
  entries: LogEntry[];
  /** The Logging API's token for the next page, when there is one. */
  nextPageToken?: string;
}

export interface LogListRequest {
  filter: LogFilter;
  order: 'newest' | 'oldest';
  /** At most 1000 (entries.list). */
  pageSize: number;
  pageToken?: string;
}

/** Cloud Logging's entries.list, behind a deadline like every port. */
export interface LogSearchPort {
  list(request: LogListRequest): Promise<Probe<LogPage>>;
}

/**
 * A string of the Logging query language: double quotes around it, `\` and `"` escaped with a
 * backslash, and control characters (a newline would end nothing, but a filter is one line) as spaces.
 */
export function quoted(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const oneLine = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  return `"${oneLine.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * Where each kind logs. Functions (2nd gen) log as the Cloud Run service of the same name;
 * 1st gen ones as `cloud_function`.
 */
function sourceClause(s: LogSource): string {
  const name = quoted(s.name);
  switch (s.kind) {
    case 'service':
      return `resource.type="cloud_run_revision" AND resource.labels.service_name=${name}`;
    case 'function':
      return `(resource.type="cloud_run_revision" AND resource.labels.service_name=${name}) OR (resource.type="cloud_function" AND resource.labels.function_name=${name})`;
    case 'job':
      return `resource.type="cloud_run_job" AND resource.labels.job_name=${name}`;
  }
}

const compound = (f: LogFilter) => 'all' in f || 'any' in f || 'source' in f;

/** The filter in the Logging query language; every value is typed or quoted. */
export function renderFilter(f: LogFilter): string {
  const part = (g: LogFilter) => (compound(g) ? `(${renderFilter(g)})` : renderFilter(g));
  if ('all' in f) return f.all.length === 1 ? renderFilter(f.all[0]) : f.all.map(part).join(' AND ');
  if ('any' in f) return f.any.length === 1 ? renderFilter(f.any[0]) : f.any.map(part).join(' OR ');
  if ('source' in f) return sourceClause(f.source);
  if ('since' in f) return `timestamp>=${quoted(f.since.toISOString())}`;
  if ('until' in f) return `timestamp<=${quoted(f.until.toISOString())}`;
  if ('severityAtLeast' in f) return `severity>=${f.severityAtLeast}`;
  if ('insertId' in f) return `insertId=${quoted(f.insertId)}`;
  return quoted(f.text);
}

/** The same query in the Logs Explorer, over the same time range. */
export function explorerLink(w: Where, filter: LogFilter, range: { since: Date; until: Date }): string {
  const query = encodeURIComponent(renderFilter(filter));
  const time = encodeURIComponent(`${range.since.toISOString()}/${range.until.toISOString()}`);
  return `https://console.cloud.google.com/logs/query;query=${query};timeRange=${time}?project=${encodeURIComponent(w.project)}`;
}

/** The components whose logs can be read, in the order of the YAML. */
export function logSources(config: { components: readonly { kind: string; name: string }[] }): LogSource[] {
  const kinds: readonly string[] = logSourceKinds;
  return config.components
    .filter((c): c is { kind: LogSourceKind; name: string } => kinds.includes(c.kind))
    .map((c) => ({ kind: c.kind, name: c.name }));
}

/** `service/nba-phase3-analytics-processors`: how a button names a component. */
export const sourceKey = (s: LogSource): string => `${s.kind}/${s.name}`;
