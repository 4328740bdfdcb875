/**
 * Plans shown in a confirmation modal, kept by hash until the modal is submitted (the
 * submission may reach another instance). Stored as JSON so the plan, and so its hash,
 * comes back exactly.
 */
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import { type Plan, planHashMatches } from '../domain/plan.js';
import type { Clock } from '../domain/ports.js';

export interface PlanDrafts {
  put(plan: Plan, ttlMs: number): Promise<void>;
  /** The plan, if it exists, has not expired and still matches its hash. */
  get(hash: string): Promise<Plan | undefined>;
  /** Forget a draft that was never shown (the modal could not be updated with it). */
  delete(hash: string): Promise<void>;
}

export function createMemoryPlanDrafts(clock: Clock, max = 500): PlanDrafts {
  const drafts = new Map<string, { json: string; until: number }>();
  return {
    async put(plan, ttlMs) {
      drafts.delete(plan.hash);
      drafts.set(plan.hash, { json: JSON.stringify(plan), until: clock.now().getTime() + ttlMs });
      while (drafts.size > max) drafts.delete(drafts.keys().next().value as string);
    },
    async get(hash) {
      const d = drafts.get(hash);
      if (!d || d.until < clock.now().getTime()) return undefined;
      const plan = JSON.parse(d.json) as Plan;
      return planHashMatches(plan) ? plan : undefined;
    },
    async delete(hash) {
      drafts.delete(hash);
    },
  };
}

export function createFirestorePlanDrafts(
  db: Firestore,
  clock: Clock,
  collection = 'plan_drafts',
): PlanDrafts {
  return {
    async put(plan, ttlMs) {
      // expiresAt doubles as a Firestore TTL policy field in production.
      await db
        .collection(collection)
        .doc(plan.hash)
        .set({ plan: JSON.stringify(plan), expiresAt: Timestamp.fromMillis(clock.now().getTime() + ttlMs) });
    },
    async get(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      const snap = await db.collection(collection).doc(hash).get();
      const data = snap.data() as { plan?: string; expiresAt?: Timestamp } | undefined;
      if (!data?.plan || !data.expiresAt || data.expiresAt.toMillis() < clock.now().getTime())
        return undefined;
      const plan = JSON.parse(data.plan) as Plan;
      return planHashMatches(plan) && plan.hash === hash ? plan : undefined;
    },
    async delete(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return;
      await db.collection(collection).doc(hash).delete();
    },
  };
}
