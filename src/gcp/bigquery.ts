/**
 * Data checks on BigQuery: one parameterized query per check, `@date` bound as a DATE,
 * a bytes-billed cap, a server-side job timeout and a label naming the check.
 */
import { BigQuery } from '@google-cloud/bigquery';
import type { DataChecksPort, IsoDate } from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { isPlainHttp, passThroughAuth } from './client-options.js';

export interface DataChecksOptions {
  bigquery: BigQuery;
  /** Queries that would bill more fail instead of running. */
  maximumBytesBilled: number;
  deadlineMs: number;
  /** Dataset location, e.g. `US` or `us-west2`; the client's default when absent. */
  location?: string;
}

/** BigQuery label values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
export function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 63);
}

/**
 * Errors of a failed job arrive as an ApiError without an HTTP code (the job was created and
 * failed in its status): give the ones that are the query's fault a 400/404 so `guarded`
 * reports them as `invalid` / `not_found` rather than a generic error.
 */
const reasonStatus: Record<string, number> = {
  invalidQuery: 400,
  invalid: 400,
  bytesBilledLimitExceeded: 400,
  notFound: 404,
  accessDenied: 403,
};

function withStatus(error: unknown): unknown {
  const e = error as { code?: unknown; errors?: { reason?: string }[]; message?: string } | undefined;
  if (!e || typeof e.code === 'number') return error;
  const reason = e.errors?.find((x) => x.reason && reasonStatus[x.reason])?.reason;
  if (!reason) return error;
  return Object.assign(new Error(e.message ?? reason), { code: reasonStatus[reason] });
}

/** The first column of the first row as a number: 0 for no row or NULL, undefined if not numeric. */
function toNumber(rows: Record<string, unknown>[]): number | undefined {
  const first = rows[0];
  if (!first) return 0;
  const value = Object.values(first)[0];
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  // BigQueryInt (wrapIntegers) carries `.value`; NUMERIC comes back as a Big.js object.
  const text =
    typeof value === 'object' && 'value' in value
      ? String((value as { value: unknown }).value)
      : String(value);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim())) return undefined;
  return Number(text);
}

export function createDataChecksAdapter(options: DataChecksOptions): DataChecksPort {
  const { bigquery, maximumBytesBilled, deadlineMs, location } = options;
  return {
    async scalar(sql: string, date: IsoDate, label: string): Promise<Probe<number>> {
      // BigQuery's client retries 5xx by itself (after ~1-2 s): no second retry layer here,
      // the deadline stays in charge.
      const probe = await guarded({ deadlineMs, retry: false }, async () => {
        try {
          const [rows] = await bigquery.query(
            {
              query: sql,
              // bq.date(): a plain string would be typed STRING and fail `game_date = @date`.
              params: { date: bigquery.date(date) },
              maximumBytesBilled: String(maximumBytesBilled),
              labels: { check: labelValue(label) },
              // Server-side cap, so a job we stop waiting for does not keep running. It also
              // takes the client off the jobs.query fast path: jobs.insert + getQueryResults.
              jobTimeoutMs: deadlineMs,
              ...(location ? { location } : {}),
            },
            // Here, not in the query: the client would copy it into configuration.query,
            // which has no such field.
            { maxResults: 1 },
          );
          return rows as Record<string, unknown>[];
        } catch (error) {
          throw withStatus(error);
        }
      });
      if (!probe.ok) return probe;
      const value = toNumber(probe.value);
      return value === undefined ? fail('invalid', `check ${label} did not return a number`) : ok(value);
    },
  };
}

/**
 * A BigQuery client for `projectId`; `endpoint` (e.g. the sandbox's URL) replaces
 * bigquery.googleapis.com. Offline, a pass-through auth client keeps it off the metadata server.
 */
export function bigQueryClient(endpoint: string | undefined, projectId: string, offline: boolean): BigQuery {
  return new BigQuery({
    projectId,
    ...(endpoint ? { apiEndpoint: endpoint } : {}),
    ...(offline || isPlainHttp(endpoint) ? { authClient: passThroughAuth() } : {}),
  });
}
