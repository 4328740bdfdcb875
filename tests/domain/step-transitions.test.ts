/** The step-state changes of a guarded run, as pure functions: no store, no engine, no clock. */
import { describe, expect, it } from 'vitest';
import { makePlan, type Plan, type PlanStep } from '../../src/domain/plan.js';
import type { StepRun, StepStatus } from '../../src/domain/requests.js';
import { fail, ok } from '../../src/domain/result.js';
import {
  afterUndo,
  alwaysLeft,
  cancelInterrupted,
  endStep,
  initialSteps,
  reopenForRetry,
  revertedForRetry,
  skipForCancel,
  skipLeftByCancel,
  startStep,
  undoTargets,
  withStep,
} from '../../src/domain/step-transitions.js';

const T = (s: number) => new Date(Date.parse('2026-01-21T10:00:00Z') + s * 1000);

const step = (id: string, extra: Partial<PlanStep> = {}): PlanStep => ({
  id,
  action: 'noop',
  label: `Step ${id}`,
  destructive: false,
  undoable: false,
  params: {},
  ...extra,
});

/** pause (always) → clear (destructive, undoable) → traffic (undoable) → trigger → resume (always). */
const plan: Plan = makePlan({
  kind: 'heal',
  title: 'Heal 2026-01-20',
  subject: '2026-01-20',
  summary: [],
  steps: [
    step('pause', { always: true, undoable: true }),
    step('clear', { destructive: true, undoable: true }),
    step('traffic', { undoable: true }),
    step('trigger'),
    step('resume', { always: true, undoable: true }),
  ],
});

/** Steps from a compact spec: `{ clear: 'done', traffic: 'running' }`; the others pending. */
const steps = (spec: Record<string, StepStatus | StepRun>): StepRun[] =>
  plan.steps.map((s) => {
    const v = spec[s.id];
    return v === undefined
      ? { id: s.id, status: 'pending' }
      : typeof v === 'string'
        ? { id: s.id, status: v }
        : v;
  });
const statuses = (list: StepRun[]) => Object.fromEntries(list.map((s) => [s.id, s.status]));

describe('step transitions', () => {
  it('a new request has every step pending', () => {
    expect(statuses(initialSteps(plan))).toEqual({
      pause: 'pending',
      clear: 'pending',
      traffic: 'pending',
      trigger: 'pending',
      resume: 'pending',
    });
  });

  it('a step starts afresh but keeps the snapshot of an earlier attempt', () => {
    const earlier: StepRun = {
      id: 'clear',
      status: 'failed',
      startedAt: T(0),
      endedAt: T(5),
      durationMs: 5000,
      message: 'answered 503',
      snapshot: { a: 1 },
    };
    expect(startStep(earlier, T(60))).toEqual({
      id: 'clear',
      status: 'running',
      startedAt: T(60),
      snapshot: { a: 1 },
    });
  });

  it('a step ends done with its undo data and duration, or failed with why', () => {
    const running: StepRun = { id: 'traffic', status: 'running', startedAt: T(10) };
    expect(endStep(running, ok({ previous: { 'rev-1': 100 } }), T(10), T(13))).toEqual({
      ...running,
      status: 'done',
      endedAt: T(13),
      durationMs: 3000,
      undoData: { previous: { 'rev-1': 100 } },
    });
    expect(endStep(running, ok(undefined), T(10), T(11))).not.toHaveProperty('undoData');
    expect(endStep(running, fail('unavailable', 'answered 503'), T(10), T(12))).toEqual({
      ...running,
      status: 'failed',
      endedAt: T(12),
      durationMs: 2000,
      message: 'answered 503',
    });
  });

  it('withStep replaces one step and leaves the others as they are', () => {
    const before = steps({ pause: 'done' });
    const after = withStep(before, { id: 'clear', status: 'running' });
    expect(statuses(after)).toMatchObject({ pause: 'done', clear: 'running', traffic: 'pending' });
    expect(statuses(before)).toMatchObject({ clear: 'pending' });
  });

  it('a cancel seen between steps skips what is left, failed included, but not the always steps', () => {
    const r = { plan, steps: steps({ pause: 'done', clear: 'done', traffic: 'failed' }) };
    const next = skipForCancel(r, 'U0CAROL');
    expect(statuses(next)).toEqual({
      pause: 'done',
      clear: 'done',
      traffic: 'skipped',
      trigger: 'skipped',
      resume: 'pending',
    });
    expect(next.find((s) => s.id === 'trigger')?.message).toBe('cancelled by <@U0CAROL>');
    expect(alwaysLeft(plan, next)).toBe(true);
    expect(alwaysLeft(plan, withStep(next, { id: 'resume', status: 'done' }))).toBe(false);
  });

  it('at the end of a cancelled run, pending steps are skipped and a failed one stays failed', () => {
    const r = { plan, steps: steps({ pause: 'done', clear: 'failed', resume: 'done' }) };
    expect(statuses(skipLeftByCancel(r, 'U0CAROL'))).toEqual({
      pause: 'done',
      clear: 'failed',
      traffic: 'skipped',
      trigger: 'skipped',
      resume: 'done',
    });
  });

  it('cancelling an interrupted run fails the step caught mid-write and leaves the always steps to run', () => {
    const r = { plan, steps: steps({ pause: 'done', clear: 'running' }) };
    const next = cancelInterrupted(r, 'U0CAROL');
    expect(statuses(next)).toEqual({
      pause: 'done',
      clear: 'failed',
      traffic: 'skipped',
      trigger: 'skipped',
      resume: 'pending',
    });
    expect(next.find((s) => s.id === 'clear')?.message).toBe('interrupted; cancelled by <@U0CAROL>');
    // An always step caught running by the dead runner runs again.
    const closing = cancelInterrupted(
      { plan, steps: steps({ pause: 'done', clear: 'done', resume: 'running' }) },
      'U',
    );
    expect(statuses(closing)).toMatchObject({ trigger: 'skipped', resume: 'pending' });
  });

  it('a retry reopens the failed step and the always steps that ran, keeping snapshots and undo data', () => {
    const r = {
      plan,
      mode: 'run' as const,
      steps: steps({
        pause: { id: 'pause', status: 'done', undoData: { was: 'ENABLED' }, endedAt: T(1) },
        clear: { id: 'clear', status: 'done', snapshot: { a: 1 } },
        traffic: {
          id: 'traffic',
          status: 'failed',
          message: '503',
          snapshot: { b: 2 },
          endedAt: T(3),
          durationMs: 1,
        },
        resume: { id: 'resume', status: 'done', undoData: { was: 'PAUSED' } },
      }),
    };
    const next = reopenForRetry(r);
    expect(statuses(next)).toEqual({
      pause: 'pending',
      clear: 'done',
      traffic: 'pending',
      trigger: 'pending',
      resume: 'pending',
    });
    expect(next.find((s) => s.id === 'traffic')).toEqual({
      id: 'traffic',
      status: 'pending',
      snapshot: { b: 2 },
    });
    expect(next.find((s) => s.id === 'resume')?.undoData).toEqual({ was: 'PAUSED' });
    // A failed undo is retried as it stands.
    expect(reopenForRetry({ ...r, mode: 'undo' })).toBe(r.steps);
  });

  it('an always step reverted for a retry drops its undo data; not reverted, it fails and keeps it', () => {
    const run: StepRun = { id: 'resume', status: 'pending', undoData: { was: 'PAUSED' } };
    expect(revertedForRetry(run, ok(null))).toEqual({
      id: 'resume',
      status: 'pending',
      message: 'reverted for the retry; runs again at the end',
    });
    expect(revertedForRetry(run, fail('unavailable', 'scheduler down'))).toEqual({
      ...run,
      status: 'failed',
      message: 'could not revert it before the retry: scheduler down',
    });
  });

  it('undo targets done undoable steps and failed ones with a snapshot, last first', () => {
    const r = {
      plan,
      steps: steps({
        pause: 'done',
        clear: { id: 'clear', status: 'failed', snapshot: { a: 1 } },
        traffic: 'failed',
        trigger: 'done',
        resume: 'done',
      }),
    };
    expect(undoTargets(r).map((s) => s.id)).toEqual(['resume', 'clear', 'pause']);
    const done: StepRun = { id: 'clear', status: 'done' };
    expect(afterUndo(done, ok(null))).toEqual({ id: 'clear', status: 'undone', message: 'undone' });
    expect(afterUndo(done, fail('error', 'gone'))).toEqual({
      id: 'clear',
      status: 'done',
      message: 'undo failed: gone',
    });
  });
});
