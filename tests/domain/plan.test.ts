import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  hashPlan,
  makePlan,
  type Plan,
  planHashMatches,
  withoutSteps,
} from '../../src/domain/plan.js';

const base = (): Omit<Plan, 'hash'> => ({
  kind: 'heal',
  title: 'Heal 2026-01-20',
  subject: '2026-01-20',
  summary: ['clear 2 stuck runs', 'trigger phase 3'],
  steps: [
    {
      id: 'clear',
      action: 'clear_run_history',
      label: 'Delete 2 run_history documents',
      destructive: true,
      undoable: true,
      params: {
        collection: 'run_history',
        docs: ['a', 'b'],
        filter: { date: '2026-01-20', status: 'running' },
      },
    },
    {
      id: 'trigger',
      action: 'trigger_phase',
      label: 'Trigger phase 3',
      destructive: false,
      undoable: false,
      params: { phase: 'phase3', date: '2026-01-20' },
    },
  ],
});

describe('plan hash', () => {
  it('is a sha256 hex digest that does not depend on key order', () => {
    const a = base();
    // Same content, every object built with its keys in reverse order.
    const reversed = JSON.parse(JSON.stringify(a), (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    ) as Omit<Plan, 'hash'>;
    expect(Object.keys(reversed)[0]).toBe('steps');
    expect(hashPlan(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashPlan(reversed)).toBe(hashPlan(a));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it('changes when a step, its params or the order of steps changes', () => {
    const h = hashPlan(base());
    const params = base();
    params.steps[0]!.params.docs = ['a', 'b', 'c'];
    const destructive = base();
    destructive.steps[1]!.destructive = true;
    const order = base();
    order.steps.reverse();
    const subject = { ...base(), subject: '2026-01-19' };
    for (const changed of [params, destructive, order, subject]) expect(hashPlan(changed)).not.toBe(h);
  });

  it('ignores an existing hash field and verifies one', () => {
    const plan = makePlan(base());
    expect(hashPlan(plan)).toBe(plan.hash);
    expect(planHashMatches(plan)).toBe(true);
    expect(planHashMatches({ ...plan, title: 'Heal something else' })).toBe(false);
  });

  it('refuses numbers JSON cannot represent', () => {
    const bad = base();
    bad.steps[0]!.params.n = Number.NaN;
    expect(() => hashPlan(bad)).toThrow(/not JSON/);
  });
});

describe('withoutSteps', () => {
  it('drops the unticked steps and rehashes', () => {
    const plan = makePlan(base());
    const trimmed = withoutSteps(plan, ['clear', 'unknown']);
    expect(trimmed.steps.map((s) => s.id)).toEqual(['trigger']);
    expect(trimmed.hash).not.toBe(plan.hash);
    expect(planHashMatches(trimmed)).toBe(true);
    expect(withoutSteps(plan, []).hash).toBe(plan.hash);
    expect(plan.steps).toHaveLength(2);
  });
});
