/**
 * Recent errors from Cloud Logging, grouped by source and crash signature. The filter is
 * built only from typed values: source names checked against a strict pattern and a Date.
 */
import { Logging } from '@google-cloud/logging';
import { exceptionLine } from '../domain/exception-line.js';
import type { ErrorGroup, LogsPort } from '../domain/ports.js';
import type { Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { entryText, entryTime, type RawLogEntry } from './log-entries.js';
import { attemptOptions } from './proto-values.js';

export interface CrashSignature {
  id: string;
  label: string;
  /** Substring of the log text that identifies the crash. */
  match: string;
}

export interface LogsOptions {
  logging: Logging;
  project: string;
  signatures: CrashSignature[];
  deadlineMs: number;
  /** Entries read per call (one page; the API allows at most 1000). */
  maxEntries?: number;
}

/** Cloud Run service and function names; anything else never reaches a filter. */
const sourceName = /^[a-z][-a-z0-9]*$/;
const SAMPLE_CHARS = 300;

/** The filter for ERROR and worse since `since` from the given (already validated) sources. */
export function errorsFilter(since: Date, sources: string[]): string {
  const names = sources.flatMap((s) => [
    `resource.labels.service_name="${s}"`,
    `resource.labels.function_name="${s}"`,
  ]);
  return [
    'severity>=ERROR',
    `timestamp>="${since.toISOString()}"`,
    // Functions (2nd gen) log under cloud_run_revision too, with the function as service_name.
    '(resource.type="cloud_run_revision" OR resource.type="cloud_function")',
    `(${names.join(' OR ')})`,
  ].join(' AND ');
}

/** The line that says what went wrong (the exception line of a traceback), clipped. */
function sampleOf(text: string): string {
  const line = exceptionLine(text);
  return line.length > SAMPLE_CHARS ? `${line.slice(0, SAMPLE_CHARS - 1)}…` : line;
}

export function createLogsAdapter(options: LogsOptions): LogsPort {
  const { logging, project, signatures, deadlineMs } = options;
  const pageSize = Math.min(1000, options.maxEntries ?? 1000);
  return {
    async errorsSince(since: Date, sources: string[]): Promise<Probe<ErrorGroup[]>> {
      const valid = [...new Set(sources.filter((s) => sourceName.test(s)))];
      if (valid.length === 0) return { ok: true, value: [] };
      const wanted = new Set(valid);
      const probe = await guarded({ deadlineMs }, async (signal) => {
        const [entries] = await logging.getEntries({
          resourceNames: [`projects/${project}`],
          filter: errorsFilter(since, valid),
          orderBy: 'timestamp desc',
          pageSize,
          // One page: a crash loop can log thousands of lines; counts are then lower bounds.
          autoPaginate: false,
          // No gax retries nor gax timer; `guarded`'s signal is the deadline (proto-values.ts).
          gaxOptions: attemptOptions(signal),
        });
        return entries as RawLogEntry[];
      });
      if (!probe.ok) return probe;
      const groups = new Map<string, ErrorGroup>();
      // Newest first: the first entry of a group is its sample and its lastSeen.
      for (const entry of probe.value) {
        const labels = entry.metadata?.resource?.labels ?? {};
        const source = labels.service_name ?? labels.function_name;
        if (!source || !wanted.has(source)) continue;
        const text = entryText(entry);
        const signature = signatures.find((s) => text.includes(s.match))?.id;
        const at = entryTime(entry.metadata?.timestamp) ?? '';
        const revision = labels.revision_name;
        const key = `${source}\u0000${signature ?? ''}`;
        const group = groups.get(key);
        if (!group) {
          groups.set(key, {
            source,
            ...(signature ? { signature } : {}),
            count: 1,
            ...(revision ? { revisions: [revision] } : {}),
            sample: sampleOf(text),
            firstSeen: at,
            lastSeen: at,
          });
          continue;
        }
        group.count++;
        if (revision && !group.revisions?.includes(revision)) {
          group.revisions = [...(group.revisions ?? []), revision];
        }
        if (at && (!group.firstSeen || at < group.firstSeen)) group.firstSeen = at;
        if (at > group.lastSeen) group.lastSeen = at;
      }
      const value = [...groups.values()].sort(
        (a, b) => b.count - a.count || a.source.localeCompare(b.source),
      );
      return { ok: true, value };
    },
  };
}

/**
 * A Logging client on the REST transport (the one `guarded` is written for), pointed at
 * `endpoint` (the sandbox) when given, else at Google. `projectId` is passed so that
 * `getEntries` never asks the auth client for one.
 */
export function loggingClient(endpoint: string | undefined, project: string, offline: boolean): Logging {
  const options = endpoint
    ? { projectId: project, ...gaxEndpoint(endpoint, offline) }
    : { projectId: project, fallback: true, ...(offline ? { authClient: passThroughAuth() } : {}) };
  // `fallback`, `port` and `protocol` work at runtime but are missing from LoggingOptions.
  return new Logging(options as ConstructorParameters<typeof Logging>[0]);
}
