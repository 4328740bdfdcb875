/**
 * The processors' run_history documents in Firestore: runs for a date, runs stuck in the
 * running status, and (for heal and its undo) exact snapshots, conditional deletes and restores.
 */
import {
  DocumentReference,
  FieldValue,
  Firestore,
  GeoPoint,
  type QueryDocumentSnapshot,
  Timestamp,
  VectorValue,
} from '@google-cloud/firestore';
import type { PipelineConfig } from '../config.js';
import type {
  IsoDate,
  RunHistoryControl,
  RunHistoryPort,
  RunHistorySnapshot,
  RunRecord,
} from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { passThroughAuth } from './client-options.js';

export interface RunHistoryDeps {
  db: Firestore;
  config: PipelineConfig['runHistory'];
  deadlineMs: number;
  /** Unused for now: callers pass the stuck cutoff themselves. Accepted so the deps stay stable. */
  now?: () => Date;
}

/** A WriteBatch holds at most 500 writes; deletes are one batch so they stay all-or-nothing. */
const MAX_BATCH = 500;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;

/**
 * A Firestore client for `projectId`. With FIRESTORE_EMULATOR_HOST set the library itself
 * switches to plaintext gRPC on that host; a pass-through auth client then keeps gax from
 * probing the metadata server (it asks for the universe domain before the first call, a
 * MetadataLookupWarning and about a second lost offline).
 */
export function firestoreClient(projectId: string, offline: boolean): Firestore {
  const emulator = process.env.FIRESTORE_EMULATOR_HOST;
  if (offline && !emulator) {
    throw new Error(
      'offline mode needs the Firestore emulator: set FIRESTORE_EMULATOR_HOST (e.g. 127.0.0.1:8080), ' +
        'see devstack/src/local/emulators.ts',
    );
  }
  return new Firestore({
    projectId,
    ...(offline || emulator ? { authClient: passThroughAuth() } : {}),
  });
}

// ---- time values ---------------------------------------------------------------------------

/** startedAt as processors write it: a Timestamp, an ISO string, or epoch seconds/milliseconds. */
export function toDate(value: unknown): Date | undefined {
  if (value instanceof Timestamp) return value.toDate();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Python's time.time() writes seconds; JavaScript's Date.now() milliseconds.
    return new Date(value < 1e11 ? value * 1000 : value);
  }
  return undefined;
}

/** RFC 3339 with all nine fraction digits: preconditions compare update times to the nanosecond. */
export function timestampToRfc3339(ts: Timestamp): string {
  const base = new Date(ts.seconds * 1000).toISOString().slice(0, 19);
  return `${base}.${String(ts.nanoseconds).padStart(9, '0')}Z`;
}

export function rfc3339ToTimestamp(text: string): Timestamp | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return new Timestamp(seconds, Number((m[2] ?? '').padEnd(9, '0')));
}

// ---- exact encoding --------------------------------------------------------------------------

const TAGS = ['__ts', '__geo', '__bytes', '__ref', '__int', '__num', '__vector', '__map'] as const;
const tagSet = new Set<string>(TAGS);

/**
 * Encode Firestore field values into JSON-safe data that `decodeValue` turns back into the
 * same Firestore values. Limitation: the public API reads a whole-number double (12.0) as the
 * number 12, which is written back as an integer; Firestore compares integers and doubles
 * numerically, so queries on the field still match.
 */
export function encodeValue(value: unknown, path = ''): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return { __num: '-0' };
    return Number.isFinite(value) ? value : { __num: String(value) };
  }
  if (typeof value === 'bigint') return { __int: value.toString() };
  if (value instanceof Timestamp) return { __ts: { seconds: value.seconds, nanos: value.nanoseconds } };
  if (value instanceof GeoPoint) return { __geo: { lat: value.latitude, lng: value.longitude } };
  if (value instanceof Uint8Array) return { __bytes: Buffer.from(value).toString('base64') };
  if (value instanceof DocumentReference) return { __ref: value.path };
  if (value instanceof VectorValue) return { __vector: value.toArray() };
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>);
    const fields = Object.fromEntries(
      entries.map(([k, v]) => [k, encodeValue(v, path ? `${path}.${k}` : k)]),
    );
    // A map that looks like a tag is wrapped so it decodes as a map.
    const [only] = entries;
    return entries.length === 1 && only && tagSet.has(only[0]) ? { __map: fields } : fields;
  }
  throw new Error(`cannot snapshot field ${path || '(root)'}: unsupported value type ${describe(value)}`);
}

function describe(value: unknown): string {
  return (value as object)?.constructor?.name ?? typeof value;
}

export function decodeValue(db: Firestore, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(db, v));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const tag = keys.length === 1 && tagSet.has(keys[0]!) ? (keys[0] as (typeof TAGS)[number]) : undefined;
  const inner = tag ? obj[tag] : undefined;
  switch (tag) {
    case '__ts': {
      const t = inner as { seconds: number; nanos: number };
      return new Timestamp(t.seconds, t.nanos);
    }
    case '__geo': {
      const g = inner as { lat: number; lng: number };
      return new GeoPoint(g.lat, g.lng);
    }
    case '__bytes':
      return Buffer.from(String(inner), 'base64');
    case '__ref':
      return db.doc(String(inner));
    case '__int':
      // Only produced by clients built with useBigInt; keeps integers beyond 2^53 exact.
      return BigInt(String(inner));
    case '__num':
      return inner === '-0' ? -0 : Number(inner);
    case '__vector':
      return FieldValue.vector(inner as number[]);
    case '__map':
      return decodeFields(db, inner as Record<string, unknown>);
    default:
      return decodeFields(db, obj);
  }
}

function decodeFields(db: Firestore, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decodeValue(db, v)]));
}

// ---- the adapter -----------------------------------------------------------------------------

function toRecord(doc: QueryDocumentSnapshot, fields: PipelineConfig['runHistory']['fields']): RunRecord {
  const data = doc.data();
  const date = data[fields.date];
  const startedAt = toDate(data[fields.startedAt]);
  const finishedAt = fields.finishedAt ? toDate(data[fields.finishedAt]) : undefined;
  const error = fields.error ? data[fields.error] : undefined;
  return {
    id: doc.id,
    processor: String(data[fields.processor] ?? ''),
    date: date instanceof Timestamp ? date.toDate().toISOString().slice(0, 10) : String(date ?? ''),
    status: String(data[fields.status] ?? ''),
    ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
    ...(finishedAt ? { finishedAt: finishedAt.toISOString() } : {}),
    ...(error !== undefined && error !== null && error !== '' ? { error: String(error).slice(0, 500) } : {}),
  };
}

function byStart(a: RunRecord, b: RunRecord): number {
  return (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.id.localeCompare(b.id);
}

export function createRunHistoryAdapter(deps: RunHistoryDeps): RunHistoryPort & RunHistoryControl {
  const { db, config, deadlineMs } = deps;
  const collection = db.collection(config.collection);
  const { fields } = config;

  return {
    async runsForDate(date: IsoDate): Promise<Probe<RunRecord[]>> {
      return guarded({ deadlineMs }, async () => {
        const snap = await collection.where(fields.date, '==', date).get();
        return snap.docs.map((d) => toRecord(d, fields)).sort(byStart);
      });
    },

    async stuckRuns(startedBefore: Date): Promise<Probe<RunRecord[]>> {
      // Only the status filter runs in Firestore: status == X plus startedAt < T would need a
      // composite index in production, and processors write startedAt as a Timestamp or an ISO
      // string, which a range filter (type-specific in Firestore) could not cover together.
      // Runs in the running status are few, so the time filter is done here.
      return guarded({ deadlineMs }, async () => {
        const snap = await collection.where(fields.status, '==', config.runningStatus).get();
        const limit = startedBefore.getTime();
        // A run with no readable start time cannot be aged, so it is not called stuck.
        return snap.docs
          .map((d) => toRecord(d, fields))
          .filter((r) => r.startedAt !== undefined && Date.parse(r.startedAt) < limit)
          .sort(byStart);
      });
    },

    async snapshot(ids: string[]): Promise<Probe<RunHistorySnapshot[]>> {
      if (ids.length === 0) return ok([]);
      return guarded({ deadlineMs }, async () => {
        const docs = await db.getAll(...ids.map((id) => collection.doc(id)));
        return docs.map((d): RunHistorySnapshot => {
          if (!d.exists) return { id: d.id, exists: false };
          return {
            id: d.id,
            exists: true,
            data: encodeValue(d.data() ?? {}) as Record<string, unknown>,
            ...(d.updateTime ? { updateTime: timestampToRfc3339(d.updateTime) } : {}),
          };
        });
      });
    },

    async deleteIfUnchanged(docs: { id: string; updateTime?: string }[]): Promise<Probe<number>> {
      const targets: { id: string; at: Timestamp }[] = [];
      for (const d of docs) {
        if (d.updateTime === undefined) continue;
        const at = rfc3339ToTimestamp(d.updateTime);
        if (!at) return fail('invalid', `run_history/${d.id}: updateTime ${d.updateTime} is not RFC 3339`);
        targets.push({ id: d.id, at });
      }
      if (targets.length === 0) return ok(0);
      if (targets.length > MAX_BATCH) {
        return fail('invalid', `at most ${MAX_BATCH} run_history documents can be deleted at once`);
      }
      // Not retried: after a lost answer to a commit that did apply, a retry would see the
      // documents gone and report a conflict that is not one.
      const result = await guarded({ deadlineMs, retry: false }, async () => {
        const batch = db.batch();
        for (const t of targets) batch.delete(collection.doc(t.id), { lastUpdateTime: t.at });
        try {
          await batch.commit();
          return { deleted: targets.length };
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code !== FAILED_PRECONDITION && code !== NOT_FOUND) throw error;
          return { conflict: await describeConflict(targets) };
        }
      });
      if (!result.ok) return result;
      if ('conflict' in result.value) return fail('invalid', result.value.conflict);
      return ok(result.value.deleted);
    },

    async restore(snapshots: { id: string; data: Record<string, unknown> }[]): Promise<Probe<number>> {
      if (snapshots.length === 0) return ok(0);
      // Decoded up front: a malformed snapshot fails before anything is written.
      let decoded: { id: string; data: Record<string, unknown> }[];
      try {
        decoded = snapshots.map((s) => ({ id: s.id, data: decodeFields(db, s.data) }));
      } catch (error) {
        return fail('invalid', `snapshot cannot be decoded: ${(error as Error).message}`);
      }
      // set() is idempotent, so retries and batches of 500 are safe here.
      return guarded({ deadlineMs }, async () => {
        for (let i = 0; i < decoded.length; i += MAX_BATCH) {
          const batch = db.batch();
          for (const s of decoded.slice(i, i + MAX_BATCH)) batch.set(collection.doc(s.id), s.data);
          await batch.commit();
        }
        return decoded.length;
      });
    },
  };

  async function describeConflict(targets: { id: string; at: Timestamp }[]): Promise<string> {
    const now = await db.getAll(...targets.map((t) => collection.doc(t.id)));
    const problems = targets.flatMap((t, i) => {
      const d = now[i];
      if (!d?.exists) return [`${t.id} (gone)`];
      return d.updateTime?.isEqual(t.at) ? [] : [`${t.id} (modified)`];
    });
    const list = problems.length > 0 ? problems.join(', ') : 'unknown';
    return `run_history changed since the snapshot, nothing deleted: ${list}`;
  }
}
