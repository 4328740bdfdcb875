/**
 * Reading values out of gax client answers. Plain get/list answers carry enum names and
 * timestamps as `{seconds: string, nanos}`; long-running operation results are raw protobuf
 * messages with enum numbers and `seconds` as a Long (see shared OFFLINE-NOTES), so every
 * reader here accepts both.
 */
import type { CallOptions } from 'google-gax';

type Seconds = string | number | { toString(): string } | null | undefined;

/** A google.protobuf.Timestamp in any of its client forms, as an ISO string; undefined when unset. */
export function timestampToIso(
  value: { seconds?: Seconds; nanos?: number | null } | string | Date | null | undefined,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  const seconds = Number(String(value.seconds ?? 0));
  const nanos = Number(value.nanos ?? 0);
  if (!Number.isFinite(seconds) || (seconds === 0 && nanos === 0)) return undefined;
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

/**
 * An enum value as its name. `values` is the client's generated enum object
 * (e.g. `protos.google.cloud.run.v2.Condition.State`), which maps numbers back to names.
 */
export function enumName(value: string | number | null | undefined, values: object): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const name = (values as Record<number, unknown>)[value];
  return typeof name === 'string' ? name : undefined;
}

/** The last segment of a resource name (`projects/p/…/revisions/r` → `r`); undefined for empty. */
export function shortName(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  return name.slice(name.lastIndexOf('/') + 1) || undefined;
}

/**
 * Call options for one attempt inside `guarded`: its abort signal cancels the HTTP request,
 * and gax's own retries are off because `guarded` retries within the caller's deadline
 * (gax 6 on REST retries 503 for up to 10 s by itself, which would outlast that deadline).
 */
export function attemptOptions(signal: AbortSignal, deadlineMs: number): CallOptions {
  // gax's timeout sits just past ours, so our deadline is the one that reports.
  return { signal, timeout: deadlineMs + 1000, retry: null };
}
