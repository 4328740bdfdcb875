/**
 * Reading Cloud Logging entries as `Logging.getEntries` returns them: the message of a text or
 * JSON payload, and the timestamp in whichever form the transport gave it. Shared by the errors
 * read (logging.ts) and the log search (log-search.ts).
 */

/** The parts of an entry the adapters read. */
export interface RawLogEntry {
  data?: unknown;
  metadata?: {
    insertId?: string | null;
    timestamp?: unknown;
    severity?: unknown;
    resource?: { labels?: Record<string, string> | null } | null;
    textPayload?: string | null;
  };
}

/** The text of an entry: its text payload, or a JSON payload's `message`, else the whole JSON. */
export function entryText(entry: RawLogEntry): string {
  const data = entry.data;
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object') {
    const message = (data as { message?: unknown }).message;
    return typeof message === 'string' ? message : JSON.stringify(data);
  }
  return entry.metadata?.textPayload ?? '';
}

/** An entry's timestamp (a Date, a string, or `{seconds, nanos}`) as an ISO string; undefined when unreadable. */
export function entryTime(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'seconds' in value) {
    const t = value as { seconds: unknown; nanos?: unknown };
    return new Date(Number(t.seconds) * 1000 + Number(t.nanos ?? 0) / 1e6).toISOString();
  }
  return undefined;
}
