/**
 * Reading values out of gax client answers. Plain get/list answers carry enum names and
 * timestamps as `{seconds: string, nanos}`; long-running operation results are raw protobuf
 * messages with enum numbers and `seconds` as a Long (see shared OFFLINE-NOTES), so every
 * reader here accepts both.
 */
import { createRequire } from 'node:module';
import type { CallOptions } from 'google-gax';

const require = createRequire(import.meta.url);

/** A protobufjs JSON descriptor (a client library's protos.json), as far as enums go. */
interface ProtoJson {
  nested?: Record<string, ProtoJson>;
  values?: Record<string, number>;
}

/**
 * An enum of a client library's protos.json (`descriptor`, a module path such as
 * `@google-cloud/run/build/protos/protos.json`) by its full name, as `{NAME: number, number: NAME}`:
 * the shape of the library's generated `protos` enums, which `enumName` reads. The generated
 * client loads that JSON anyway (require's cache shares it); the library's index would also load
 * its generated protos.js, 0.6 to 1.3 MB of source and a class per message, for a few enums.
 */
export function protoEnum(
  descriptor: string,
  fullName: string,
): Readonly<Record<string | number, string | number>> {
  let node = require(descriptor) as ProtoJson;
  for (const part of fullName.split('.')) {
    const next = node.nested?.[part];
    if (!next) throw new Error(`${fullName} is not in ${descriptor}`);
    node = next;
  }
  if (!node.values) throw new Error(`${fullName} in ${descriptor} is not an enum`);
  const table: Record<string | number, string | number> = {};
  for (const [name, value] of Object.entries(node.values)) {
    table[name] = value;
    table[value] = name;
  }
  return Object.freeze(table);
}

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
 * Call options for one attempt inside `guarded`: its abort signal cancels the HTTP request at
 * `guarded`'s deadline, and gax's own retries are off because `guarded` retries within the
 * caller's deadline (gax 6 on REST retries 503 for up to 10 s by itself, which would outlast it).
 *
 * No gax timeout: for each unary call gax 6.17's REST transport arms an `AbortSignal.timeout`
 * whose listener holds the call's state (its response parser, settings and closures, ~10 kB) and
 * which Node keeps alive until it fires, long after the call ended. With a timeout of 9 s that
 * was every call of the last 9 s, the bot's heap growing with its load. An infinite timeout
 * gives gax no deadline to arm (fallbackServiceStub.js reads only a finite one); the signal
 * is the deadline. `deadlineMs` stays in the signature for the callers' sake.
 */
export function attemptOptions(signal: AbortSignal, _deadlineMs?: number): CallOptions {
  return { signal, timeout: Number.POSITIVE_INFINITY, retry: null };
}
