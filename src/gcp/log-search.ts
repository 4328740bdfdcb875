/**
 * Cloud Logging's entries.list for `/pipeline logs` and the trace: one page of entries for a
 * typed filter, rendered by the domain (every string in it quoted and escaped), under a deadline.
 */
import type { Logging } from '@google-cloud/logging';
import {
  type LogEntry,
  type LogListRequest,
  type LogPage,
  type LogSearchPort,
  renderFilter,
} from '../domain/logs-query.js';
import type { Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { entryText, entryTime, type RawLogEntry } from './log-entries.js';
import { attemptOptions } from './proto-values.js';

export interface LogSearchOptions {
  logging: Logging;
  project: string;
  deadlineMs: number;
}

/** The longest message kept per entry: the modal that shows it whole is clamped far below this. */
const MAX_TEXT = 50_000;

/** Severities arrive as names on REST, as numbers from some transports (LogSeverity: 100 = DEBUG …). */
function severityOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const byNumber: Record<number, string> = {
    0: 'DEFAULT',
    100: 'DEBUG',
    200: 'INFO',
    300: 'NOTICE',
    400: 'WARNING',
    500: 'ERROR',
    600: 'CRITICAL',
    700: 'ALERT',
    800: 'EMERGENCY',
  };
  return typeof value === 'number' ? (byNumber[value] ?? String(value)) : 'DEFAULT';
}

export function toLogEntry(entry: RawLogEntry): LogEntry {
  const m = entry.metadata ?? {};
  const labels = m.resource?.labels ?? {};
  const source = labels.service_name ?? labels.function_name ?? labels.job_name;
  const revision = labels.revision_name;
  const text = entryText(entry);
  return {
    insertId: m.insertId ?? '',
    timestamp: entryTime(m.timestamp) ?? '',
    severity: severityOf(m.severity),
    ...(source ? { source } : {}),
    ...(revision ? { revision } : {}),
    text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text,
  };
}

export function createLogSearchAdapter(options: LogSearchOptions): LogSearchPort {
  const { logging, project, deadlineMs } = options;
  return {
    async list(request: LogListRequest): Promise<Probe<LogPage>> {
      return guarded({ deadlineMs }, async (signal) => {
        const [entries, , response] = await logging.getEntries({
          resourceNames: [`projects/${project}`],
          filter: renderFilter(request.filter),
          orderBy: request.order === 'newest' ? 'timestamp desc' : 'timestamp asc',
          pageSize: Math.min(1000, Math.max(1, request.pageSize)),
          ...(request.pageToken ? { pageToken: request.pageToken } : {}),
          // One page per call: paging is the person's (the More button), not ours.
          autoPaginate: false,
          // As in logging.ts: no gax retries nor gax timer; `guarded`'s signal is the deadline.
          gaxOptions: attemptOptions(signal),
        });
        const token = (response as { nextPageToken?: string | null } | undefined)?.nextPageToken;
        return {
          entries: (entries as RawLogEntry[]).map(toLogEntry),
          ...(token ? { nextPageToken: token } : {}),
        };
      });
    },
  };
}
