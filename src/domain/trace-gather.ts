/**
 * Gathering a trace: the date's run_history documents, every configured marker in one Logging
 * read, the data checks that phases own, all at once; then, for each phase that broke, the first
 * ERROR its component logged after its last good step. All under the report's deadline; never rejects.
 */
import type { PipelineConfig } from '../config.js';
import { addDays } from './dates.js';
import type { LogEntry, LogFilter, LogSearchPort } from './logs-query.js';
import type { DataChecksPort, IsoDate, RunHistoryPort } from './ports.js';
import { type Bound, underReportDeadline } from './report-deadline.js';
import { ok, type Probe } from './result.js';
import { onceEachQuery, runCheck } from './status.js';
import { errorLookups, type TraceFacts } from './trace.js';

export interface TracePorts {
  runHistory: RunHistoryPort;
  dataChecks: DataChecksPort;
  logSearch: LogSearchPort;
}

/** Entries read for the markers: one page, newest first (a date's markers are a handful per component). */
const MARKER_PAGE = 500;

/**
 * Entries about a date are not logged before the day before it, in any time zone: the window's
 * start is two UTC days before it, which keeps every read bounded (Logging scans by time).
 */
export const traceWindowStart = (date: IsoDate): Date => new Date(`${addDays(date, -2)}T00:00:00Z`);

type Alternatives = [LogFilter, ...LogFilter[]];

/** One filter for every configured marker: (service AND its marker) OR (function AND its markers)…, with the date. */
export function markerFilter(config: PipelineConfig, date: IsoDate): LogFilter | undefined {
  const parts: LogFilter[] = config.phases.flatMap((p): LogFilter[] => {
    const t = p.trace;
    const complete: LogFilter[] = t?.complete
      ? [{ all: [{ source: { kind: 'service', name: p.service } }, { text: t.complete }] }]
      : [];
    const h = t?.handoff;
    const texts: LogFilter[] = h ? [...(h.received ? [{ text: h.received }] : []), { text: h.trigger }] : [];
    const handoff: LogFilter[] = h
      ? [{ all: [{ source: { kind: 'function', name: h.function } }, { any: texts as Alternatives }] }]
      : [];
    return [...complete, ...handoff];
  });
  if (parts.length === 0) return undefined;
  return { all: [{ since: traceWindowStart(date) }, { text: date }, { any: parts as Alternatives }] };
}

/** The first ERROR (or worse) of `source` since `since`. */
async function firstError(
  port: LogSearchPort,
  lookup: { source: LogFilter; since: Date },
): Promise<Probe<LogEntry | undefined>> {
  const page = await port.list({
    filter: { all: [lookup.source, { since: lookup.since }, { severityAtLeast: 'ERROR' }] },
    order: 'oldest',
    pageSize: 1,
  });
  return page.ok ? ok(page.value.entries[0]) : page;
}

async function firstRound(ports: TracePorts, config: PipelineConfig, date: IsoDate, b: Bound) {
  const filter = markerFilter(config, date);
  const checks = onceEachQuery(ports.dataChecks);
  const owned = config.dataChecks.filter((c) => c.phase !== undefined);
  const [runs, markers, results] = await Promise.all([
    b(ports.runHistory.runsForDate(date)),
    filter ? b(ports.logSearch.list({ filter, order: 'newest', pageSize: MARKER_PAGE })) : undefined,
    Promise.all(owned.map(async (c) => [c.id, await runCheck(checks, c, date, b)] as const)),
  ]);
  return { runs, ...(markers ? { markers } : {}), checks: new Map(results), errors: new Map() };
}

export async function gatherTrace(
  ports: TracePorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<TraceFacts> {
  return underReportDeadline(config.limits.reportDeadlineMs, async (b) => {
    const facts: TraceFacts = await firstRound(ports, config, date, b);
    const lookups = errorLookups(config, facts, date, now, traceWindowStart(date));
    const errors = await Promise.all(
      lookups.map(
        async (l) =>
          [
            l.phase,
            await b(firstError(ports.logSearch, { source: { source: l.source }, since: l.since })),
          ] as const,
      ),
    );
    return { ...facts, errors: new Map(errors) };
  });
}
