/**
 * A plan is the exact list of what a guarded action will touch, as plain data with a content
 * hash. The request stores the plan and its hash, so what runs is what was shown and approved.
 */
import { createHash } from 'node:crypto';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type PlanKind = 'heal' | 'backfill' | 'rollback' | 'self-heal';

export interface PlanStep {
  /** Unique within the plan; the checkbox value in the confirmation modal. */
  id: string;
  /** Which executor runs it: 'clear_run_history', 'trigger_phase', 'run_job', 'update_traffic', … */
  action: string;
  label: string;
  /** Deletes or overwrites something: snapshotted before it runs, marked in the modal. */
  destructive: boolean;
  undoable: boolean;
  /**
   * Runs even when an earlier step failed or the run was cancelled (e.g. resume a job the plan
   * paused). Left out (not false) when unset, so plans without it keep their hash.
   */
  always?: boolean;
  /** The exact documents, endpoints, topics, jobs and dates. */
  params: Record<string, JsonValue>;
}

export interface Plan {
  kind: PlanKind;
  title: string;
  /** What the plan acts on (a date, a service): one active request per (kind, subject). */
  subject: string;
  summary: string[];
  /** Why this plan: short lines for a person (failing checks, stuck runs, errors seen). */
  evidence?: string[];
  steps: PlanStep[];
  /** sha256 of the canonical JSON of everything else. */
  hash: string;
}

export type UnhashedPlan = Omit<Plan, 'hash'>;

/** JSON with object keys sorted at every level and undefined members dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // Non-finite numbers would silently become null: refuse them so two plans cannot collide.
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`not JSON: ${value}`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function hashPlan(plan: UnhashedPlan): string {
  const { hash: _ignored, ...rest } = plan as UnhashedPlan & { hash?: string };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function makePlan(plan: UnhashedPlan): Plan {
  return { ...plan, hash: hashPlan(plan) };
}

export function planHashMatches(plan: Plan): boolean {
  return hashPlan(plan) === plan.hash;
}

/** The plan without the unticked steps, rehashed. Unknown ids are ignored. */
export function withoutSteps(plan: Plan, stepIds: readonly string[]): Plan {
  const drop = new Set(stepIds);
  const { hash: _old, ...rest } = plan;
  return makePlan({ ...rest, steps: plan.steps.filter((s) => !drop.has(s.id)) });
}
