/**
 * Guarded requests and their audit log in Firestore.
 *
 * - create: one transaction reads the (kind, subject) lock document and creates the request and
 *   the lock together, so two concurrent creates for one subject give exactly one winner.
 * - transition/update: get-then-update in a transaction, checking state, version and runner.
 *   Leaving the active states deletes the lock in the same transaction; coming back (retry, undo)
 *   takes it again.
 * - The plan and each step's snapshot/undoData are stored as JSON strings: Firestore forbids arrays
 *   directly inside arrays (row snapshots are often `[[…]]`), caps nesting at 20 levels and indexes
 *   every map field, while a string round-trips exactly, keeps the plan hash verifiable and is one
 *   index entry. Dates are Timestamps so requests can be queried by time.
 *
 * Infrastructure errors (Firestore unreachable) reject; contention that outlasts the client's
 * retries becomes a 'conflict' or 'busy' refusal. Queries by subject/state/time need composite
 * indexes in production (the emulator needs none).
 */
import {
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  FieldValue,
  type Firestore,
  Timestamp,
  type Transaction,
} from '@google-cloud/firestore';
import type { JsonValue, Plan } from '../domain/plan.js';
import {
  type ActiveRequestRefusal,
  type AuditEntry,
  type AuditLog,
  applyPatch,
  type CreateOutcome,
  checkGuard,
  checkTransition,
  conflict,
  describeHolder,
  type GuardedRequest,
  isActive,
  lockKey,
  type RequestPatch,
  type RequestStore,
  type StepRun,
} from '../domain/requests.js';
import { accept, type Outcome, refuse } from '../domain/result.js';

const ABORTED = 10;
const ALREADY_EXISTS = 6;

const ts = (d: Date) => Timestamp.fromDate(d);
const date = (v: unknown): Date | undefined => (v instanceof Timestamp ? v.toDate() : undefined);
const json = (v: JsonValue | undefined) => (v === undefined ? undefined : JSON.stringify(v));

/** Drops undefined members: Firestore rejects them unless the client was built to ignore them. */
function defined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

function stepToDoc(s: StepRun): DocumentData {
  return defined({
    id: s.id,
    status: s.status,
    startedAt: s.startedAt && ts(s.startedAt),
    endedAt: s.endedAt && ts(s.endedAt),
    durationMs: s.durationMs,
    message: s.message,
    snapshotJson: json(s.snapshot),
    undoDataJson: json(s.undoData),
  });
}

function stepFromDoc(d: DocumentData): StepRun {
  const s: StepRun = { id: d.id, status: d.status };
  const startedAt = date(d.startedAt);
  const endedAt = date(d.endedAt);
  if (startedAt) s.startedAt = startedAt;
  if (endedAt) s.endedAt = endedAt;
  if (typeof d.durationMs === 'number') s.durationMs = d.durationMs;
  if (typeof d.message === 'string') s.message = d.message;
  if (typeof d.snapshotJson === 'string') s.snapshot = JSON.parse(d.snapshotJson) as JsonValue;
  if (typeof d.undoDataJson === 'string') s.undoData = JSON.parse(d.undoDataJson) as JsonValue;
  return s;
}

/** Firestore values for the patchable fields; undefined deletes (only valid in update()). */
function patchToDoc(patch: RequestPatch, remove: unknown): DocumentData {
  const out: DocumentData = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) out[key] = remove;
    else if (key === 'steps') out[key] = (value as StepRun[]).map(stepToDoc);
    else if (value instanceof Date) out[key] = ts(value);
    else out[key] = value;
  }
  return out;
}

const DAY_MS = 86_400_000;

/** When Firestore's TTL policy on `deleteAt` may delete a document (firestore.indexes.json). */
const deleteAt = (from: Date, retainDays: number) => ts(new Date(from.getTime() + retainDays * DAY_MS));

function toDoc(r: GuardedRequest, retainDays: number): DocumentData {
  const { plan, steps, createdAt, expiresAt, heartbeatAt, ...rest } = r;
  return defined({
    deleteAt: deleteAt(createdAt, retainDays),
    ...rest,
    // Top-level copies for queries; the plan itself is the JSON string.
    kind: plan.kind,
    subject: plan.subject,
    planJson: JSON.stringify(plan),
    createdAt: ts(createdAt),
    expiresAt: ts(expiresAt),
    heartbeatAt: heartbeatAt && ts(heartbeatAt),
    steps: steps.map(stepToDoc),
  });
}

function fromDoc(d: DocumentData): GuardedRequest {
  const r: GuardedRequest = {
    id: d.id,
    plan: JSON.parse(d.planJson) as Plan,
    planHash: d.planHash,
    requester: d.requester,
    channel: d.channel,
    createdAt: date(d.createdAt) ?? new Date(0),
    expiresAt: date(d.expiresAt) ?? new Date(0),
    state: d.state,
    mode: d.mode ?? 'run',
    steps: ((d.steps ?? []) as DocumentData[]).map(stepFromDoc),
    version: d.version,
  };
  for (const key of [
    'threadTs',
    'progressTs',
    'approver',
    'closedBy',
    'reason',
    'cancelRequestedBy',
    'runner',
    'handedOverBy',
  ] as const) {
    if (typeof d[key] === 'string') r[key] = d[key];
  }
  const heartbeatAt = date(d.heartbeatAt);
  if (heartbeatAt) r.heartbeatAt = heartbeatAt;
  return r;
}

const read = (snap: DocumentSnapshot) => (snap.exists ? fromDoc(snap.data() as DocumentData) : undefined);

function activeExists(holder: GuardedRequest): CreateOutcome {
  const reason: ActiveRequestRefusal = {
    code: 'active_exists',
    message: `There is already a ${holder.plan.kind} request for ${holder.plan.subject} (${holder.id}), ${describeHolder(holder)}.`,
    existingId: holder.id,
  };
  return { ok: false, reason };
}

const errorCode = (e: unknown) => (e as { code?: unknown })?.code;

export interface FirestoreRequestStoreOptions {
  collection?: string;
  lockCollection?: string;
  /** Transaction attempts under contention (client default 5). */
  maxAttempts?: number;
  /** Days a request is kept after it was made, then deleted by Firestore's TTL (default 90). */
  retainDays?: number;
}

export function createFirestoreRequestStore(
  db: Firestore,
  opts: FirestoreRequestStoreOptions = {},
): RequestStore {
  const requests = db.collection(opts.collection ?? 'guarded_requests');
  const locks = db.collection(opts.lockCollection ?? 'guarded_locks');
  const maxAttempts = opts.maxAttempts ?? 10;
  const retainDays = opts.retainDays ?? 90;

  /** The active request other than `self` holding the lock, read inside `tx`. */
  async function lockHolder(tx: Transaction, r: GuardedRequest, selfId: string) {
    const lockRef = locks.doc(lockKey(r.plan.kind, r.plan.subject));
    const lock = await tx.get(lockRef);
    const holderId = lock.exists ? (lock.get('requestId') as string) : undefined;
    if (holderId === undefined || holderId === selfId) return { lockRef, lockedBySelf: holderId === selfId };
    const holder = read(await tx.get(requests.doc(holderId)));
    // A lock whose request is gone or inactive is stale and may be taken over.
    return { lockRef, lockedBySelf: false, holder: holder && isActive(holder.state) ? holder : undefined };
  }

  const lockDoc = (r: GuardedRequest) => ({
    requestId: r.id,
    kind: r.plan.kind,
    subject: r.plan.subject,
    at: FieldValue.serverTimestamp(),
  });

  /** Contention past the client's retries: say who holds the request now. */
  async function afterContention(id: string): Promise<Outcome<never>> {
    const current = read(await requests.doc(id).get());
    return current
      ? { ok: false, reason: conflict(current) }
      : refuse('busy', 'The request is busy; try again in a moment.');
  }
  /**
   * A transaction on one stored request: read it (refusing a missing one), let `body` decide and
   * write; contention past the retry bound is answered with the request's current state.
   */
  async function onRequest(
    id: string,
    body: (
      tx: Transaction,
      ref: DocumentReference,
      current: GuardedRequest,
    ) => Promise<Outcome<GuardedRequest>>,
  ): Promise<Outcome<GuardedRequest>> {
    const ref = requests.doc(id);
    try {
      return await db.runTransaction(
        async (tx): Promise<Outcome<GuardedRequest>> => {
          const current = read(await tx.get(ref));
          if (!current) return refuse('not_found', `No request ${id}: it may have been removed.`);
          return body(tx, ref, current);
        },
        { maxAttempts },
      );
    } catch (error) {
      if (errorCode(error) === ABORTED) return afterContention(id);
      throw error;
    }
  }

  return {
    async create(request) {
      const ref = requests.doc(request.id);
      try {
        return await db.runTransaction(
          async (tx): Promise<CreateOutcome> => {
            const { lockRef, holder } = await lockHolder(tx, request, request.id);
            if (holder) return activeExists(holder);
            tx.create(ref, toDoc(request, retainDays));
            if (isActive(request.state)) tx.set(lockRef, lockDoc(request));
            return accept(request);
          },
          { maxAttempts },
        );
      } catch (error) {
        if (errorCode(error) === ALREADY_EXISTS)
          return refuse('conflict', `Request ${request.id} already exists.`);
        if (errorCode(error) === ABORTED)
          return refuse('busy', 'Too many requests at once; try again in a moment.');
        throw error;
      }
    },

    async get(id) {
      return read(await requests.doc(id).get());
    },

    transition(id, spec) {
      return onRequest(id, async (tx, ref, current) => {
        const refusal = checkTransition(current, spec);
        if (refusal) return { ok: false, reason: refusal };
        const entering = !isActive(current.state) && isActive(spec.to);
        const leaving = isActive(current.state) && !isActive(spec.to);
        if (entering || leaving) {
          const { lockRef, lockedBySelf, holder } = await lockHolder(tx, current, id);
          if (entering && holder) return activeExists(holder);
          if (entering) tx.set(lockRef, lockDoc(current));
          else if (lockedBySelf) tx.delete(lockRef);
        }
        const next = applyPatch(current, spec.patch, spec.to);
        tx.update(ref, {
          ...patchToDoc(spec.patch ?? {}, FieldValue.delete()),
          state: next.state,
          version: next.version,
        });
        return accept(next);
      });
    },

    update(id, patch, guard) {
      return onRequest(id, async (tx, ref, current) => {
        const refusal = checkGuard(current, guard);
        if (refusal) return { ok: false, reason: refusal };
        const next = applyPatch(current, patch);
        tx.update(ref, { ...patchToDoc(patch, FieldValue.delete()), version: next.version });
        return accept(next);
      });
    },

    async list({ subject, states, since, limit }) {
      let q = requests.orderBy('createdAt', 'desc');
      if (subject !== undefined) q = q.where('subject', '==', subject);
      if (states !== undefined) q = q.where('state', 'in', [...states]);
      if (since !== undefined) q = q.where('createdAt', '>=', ts(since));
      const snap = await q.limit(limit).get();
      return snap.docs.map((d) => fromDoc(d.data()));
    },
  };
}

let auditCounter = 0;

/** Orders entries appended in the same millisecond by one process; across processes the order is arbitrary. */
function auditSeq(at: Date): string {
  auditCounter = (auditCounter + 1) % 1e9;
  return `${String(at.getTime()).padStart(15, '0')}-${String(auditCounter).padStart(9, '0')}`;
}

export function createFirestoreAuditLog(
  db: Firestore,
  opts: { collection?: string; retainDays?: number } = {},
): AuditLog {
  const entries = db.collection(opts.collection ?? 'guarded_audit');
  // Kept longest of the bot's state: who did what stays answerable after the requests are gone.
  const retainDays = opts.retainDays ?? 400;
  return {
    async append(entry) {
      await entries.add(
        defined({
          ...entry,
          at: ts(entry.at),
          seq: auditSeq(entry.at),
          deleteAt: deleteAt(entry.at, retainDays),
        }),
      );
    },

    async list({ since, subject, requestId, limit }) {
      let q = entries.orderBy('at', 'desc').orderBy('seq', 'desc');
      if (subject !== undefined) q = q.where('subject', '==', subject);
      if (requestId !== undefined) q = q.where('requestId', '==', requestId);
      if (since !== undefined) q = q.where('at', '>=', ts(since));
      const snap = await q.limit(limit).get();
      return snap.docs.reverse().map((doc) => {
        const d = doc.data();
        const e: AuditEntry = {
          requestId: d.requestId,
          kind: d.kind,
          subject: d.subject,
          action: d.action,
          actor: d.actor,
          at: date(d.at) ?? new Date(0),
          planHash: d.planHash,
          outcome: d.outcome,
        };
        if (typeof d.detail === 'string') e.detail = d.detail;
        return e;
      });
    },
  };
}
