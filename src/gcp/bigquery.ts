/**
 * Data checks on BigQuery: one parameterized `jobs.query` per check (one HTTP round trip while
 * the query finishes within the deadline), `@date` bound as a DATE, a bytes-billed cap, a
 * server-side job timeout and a label naming the check.
 */
import { randomUUID } from 'node:crypto';
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
function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  // jobs.query answers every cell as a string (INT64, FLOAT64, NUMERIC alike).
  const text = String(value);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim())) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The parts of a jobs.query / getQueryResults answer this adapter reads (BigQuery REST reference). */
interface QueryAnswer {
  jobComplete?: boolean;
  jobReference?: { jobId?: string; location?: string };
  rows?: { f?: { v?: unknown }[] }[];
}

/** `bigquery.request` as a promise: the client's own transport, auth, endpoint and retries. */
function call(bigquery: BigQuery, reqOpts: Parameters<BigQuery['request']>[0]): Promise<QueryAnswer> {
  return new Promise((resolve, reject) => {
    bigquery.request(reqOpts, (error, body) =>
      error ? reject(withStatus(error)) : resolve(body as QueryAnswer),
    );
  });
}

export function createDataChecksAdapter(options: DataChecksOptions): DataChecksPort {
  const { bigquery, maximumBytesBilled, deadlineMs, location } = options;
  return {
    async scalar(sql: string, date: IsoDate, label: string): Promise<Probe<number>> {
      // BigQuery's client retries 5xx by itself (after ~1-2 s): no second retry layer here,
      // the deadline stays in charge.
      const probe = await guarded({ deadlineMs, retry: false }, async () => {
        const started = Date.now();
        // One round trip in the normal case: jobs.query waits up to `timeoutMs` for the answer,
        // and `jobTimeoutMs` stops the job on BigQuery's side once we have stopped waiting for it
        // (the client's query() would switch to jobs.insert + getQueryResults for that field).
        let answer = await call(bigquery, {
          method: 'POST',
          uri: '/queries',
          json: {
            query: sql,
            useLegacySql: false,
            // @date bound as a DATE: a string would be typed STRING and fail `game_date = @date`.
            parameterMode: 'NAMED',
            queryParameters: [
              { name: 'date', parameterType: { type: 'DATE' }, parameterValue: { value: date } },
            ],
            maximumBytesBilled: String(maximumBytesBilled),
            labels: { check: labelValue(label) },
            timeoutMs: deadlineMs,
            jobTimeoutMs: String(deadlineMs),
            maxResults: 1,
            // The client retries a POST that failed with 5xx: the same requestId makes that retry
            // return the first job instead of running the query twice.
            requestId: randomUUID(),
            ...(location ? { location } : {}),
          },
        });
        // Still running when jobs.query stopped waiting: ask for the results until the deadline.
        while (answer.jobComplete === false) {
          const jobId = answer.jobReference?.jobId;
          if (!jobId) throw new Error('BigQuery answered an incomplete query without a job reference');
          const left = Math.max(1, deadlineMs - (Date.now() - started));
          answer = await call(bigquery, {
            uri: `/queries/${encodeURIComponent(jobId)}`,
            qs: {
              maxResults: 1,
              timeoutMs: left,
              ...(answer.jobReference?.location ? { location: answer.jobReference.location } : {}),
            },
          });
        }
        return answer;
      });
      if (!probe.ok) return probe;
      const value = toNumber(probe.value.rows?.[0]?.f?.[0]?.v);
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
