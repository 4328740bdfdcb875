/**
 * In-memory request store and audit log for the offline demo and unit tests. Each method does its
 * check and write with no await in between, which makes it atomic on Node's single thread.
 * Values are cloned in and out so callers cannot change stored state by mutating a result.
 */
import {
  type ActiveRequestRefusal,
  type AuditEntry,
  type AuditLog,
  applyPatch,
  type CreateOutcome,
  checkGuard,
  checkTransition,
  describeHolder,
  type GuardedRequest,
  isActive,
  lockKey,
  type RequestStore,
} from '../domain/requests.js';
import { accept, refuse } from '../domain/result.js';

const notFound = (id: string) => refuse('not_found', `No request ${id}: it may have been removed.`);

export function createMemoryRequestStore(): RequestStore {
  const requests = new Map<string, GuardedRequest>();
  // lock key → id of the active request holding it.
  const locks = new Map<string, string>();

  const holderOf = (r: GuardedRequest): GuardedRequest | undefined => {
    const id = locks.get(lockKey(r.plan.kind, r.plan.subject));
    const holder = id === undefined ? undefined : requests.get(id);
    return holder && holder.id !== r.id && isActive(holder.state) ? holder : undefined;
  };

  const activeExists = (holder: GuardedRequest): CreateOutcome => {
    const reason: ActiveRequestRefusal = {
      code: 'active_exists',
      message: `There is already a ${holder.plan.kind} request for ${holder.plan.subject} (${holder.id}), ${describeHolder(holder)}.`,
      existingId: holder.id,
    };
    return { ok: false, reason };
  };

  const save = (next: GuardedRequest, prevState: GuardedRequest['state']) => {
    const key = lockKey(next.plan.kind, next.plan.subject);
    requests.set(next.id, next);
    if (isActive(next.state)) locks.set(key, next.id);
    else if (isActive(prevState) && locks.get(key) === next.id) locks.delete(key);
  };

  return {
    async create(request) {
      if (requests.has(request.id)) return refuse('conflict', `Request ${request.id} already exists.`);
      const holder = holderOf(request);
      if (holder) return activeExists(holder);
      const stored = structuredClone(request);
      requests.set(stored.id, stored);
      if (isActive(stored.state)) locks.set(lockKey(stored.plan.kind, stored.plan.subject), stored.id);
      return accept(structuredClone(stored));
    },

    async get(id) {
      const r = requests.get(id);
      return r && structuredClone(r);
    },

    async transition(id, spec) {
      const current = requests.get(id);
      if (!current) return notFound(id);
      const refusal = checkTransition(current, spec);
      if (refusal) return { ok: false, reason: refusal };
      if (!isActive(current.state) && isActive(spec.to)) {
        // Retry or undo takes the subject again: refuse if a newer request holds it.
        const holder = holderOf(current);
        if (holder) return activeExists(holder);
      }
      const next = applyPatch(current, structuredClone(spec.patch), spec.to);
      save(next, current.state);
      return accept(structuredClone(next));
    },

    async update(id, patch, guard) {
      const current = requests.get(id);
      if (!current) return notFound(id);
      const refusal = checkGuard(current, guard);
      if (refusal) return { ok: false, reason: refusal };
      const next = applyPatch(current, structuredClone(patch));
      requests.set(id, next);
      return accept(structuredClone(next));
    },

    async list({ subject, states, since, limit }) {
      return [...requests.values()]
        .filter((r) => subject === undefined || r.plan.subject === subject)
        .filter((r) => states === undefined || states.includes(r.state))
        .filter((r) => since === undefined || r.createdAt >= since)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, limit)
        .map((r) => structuredClone(r));
    },
  };
}

export function createMemoryAuditLog(): AuditLog {
  const entries: AuditEntry[] = [];
  return {
    async append(entry) {
      entries.push(structuredClone(entry));
    },
    async list({ since, subject, requestId, limit }) {
      const matching = entries.filter(
        (e) =>
          (since === undefined || e.at >= since) &&
          (subject === undefined || e.subject === subject) &&
          (requestId === undefined || e.requestId === requestId),
      );
      return matching.slice(Math.max(0, matching.length - limit)).map((e) => structuredClone(e));
    },
  };
}
