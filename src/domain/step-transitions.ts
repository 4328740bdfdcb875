/**
 * How a guarded request's step list changes, as pure functions of (request or step, event, now):
 * a step starts, ends, is reverted for a retry or undone; a cancel skips what is left; a retry
 * reopens the failed step. The engine persists what these return; nothing here reads a store.
 */
import type { JsonValue, Plan, PlanStep } from './plan.js';
import type { GuardedRequest, StepRun } from './requests.js';
import type { Probe } from './result.js';

/** Every step of a new request, pending. */
export const initialSteps = (plan: Plan): StepRun[] =>
  plan.steps.map((s) => ({ id: s.id, status: 'pending' }));

/** Ids of the steps that run even when the run fails or is cancelled (e.g. resuming a paused job). */
export const alwaysSteps = (plan: Plan): Set<string> =>
  new Set(plan.steps.filter((s) => s.always).map((s) => s.id));

/** The run of `stepId` (pending when the request has no entry for it). */
export const stepRun = (r: Pick<GuardedRequest, 'steps'>, stepId: string): StepRun =>
  r.steps.find((s) => s.id === stepId) ?? { id: stepId, status: 'pending' };

/** `steps` with the entry of `next.id` replaced by `next`. */
export const withStep = (steps: readonly StepRun[], next: StepRun): StepRun[] =>
  steps.map((s) => (s.id === next.id ? next : s));

/** A step starting (again): what an earlier attempt said is dropped; its snapshot is kept. */
export function startStep(run: StepRun, now: Date): StepRun {
  const { endedAt: _e, durationMs: _d, message: _m, ...kept } = run;
  return { ...kept, status: 'running', startedAt: now };
}

/** A step that ended: done (keeping what the executor returned to undo it) or failed with why. */
export function endStep(
  run: StepRun,
  outcome: Probe<JsonValue | undefined>,
  startedAt: Date,
  now: Date,
): StepRun {
  const timing = { endedAt: now, durationMs: now.getTime() - startedAt.getTime() };
  return outcome.ok
    ? {
        ...run,
        status: 'done',
        ...timing,
        ...(outcome.value === undefined ? {} : { undoData: outcome.value }),
      }
    : { ...run, status: 'failed', ...timing, message: outcome.error.message };
}

const cancelledBy = (who: string) => `cancelled by <@${who}>`;

/**
 * A cancel seen by the runner between steps: the steps not yet done are skipped, except the
 * `always` ones, which still run. A failed one is skipped too: a cancel is not followed by a retry.
 */
export function skipForCancel(r: Pick<GuardedRequest, 'plan' | 'steps'>, who: string): StepRun[] {
  const always = alwaysSteps(r.plan);
  return r.steps.map(
    (s): StepRun =>
      (s.status === 'pending' || s.status === 'failed') && !always.has(s.id)
        ? { ...s, status: 'skipped', message: cancelledBy(who) }
        : s,
  );
}

/** At the end of a cancelled run: steps a cancel left out are skipped, not left pending for a retry. */
export function skipLeftByCancel(r: Pick<GuardedRequest, 'plan' | 'steps'>, who: string): StepRun[] {
  const always = alwaysSteps(r.plan);
  return r.steps.map(
    (s): StepRun =>
      s.status === 'pending' && !always.has(s.id)
        ? { ...s, status: 'skipped', message: cancelledBy(who) }
        : s,
  );
}

/** Whether `always` steps are still to run (pending, or caught running by a dead runner). */
export function alwaysLeft(plan: Plan, steps: readonly StepRun[]): boolean {
  const always = alwaysSteps(plan);
  return steps.some((s) => always.has(s.id) && (s.status === 'pending' || s.status === 'running'));
}

/**
 * A person cancels a request nobody runs any more (its runner died): the step caught mid-write
 * is marked failed, so undo restores it from its snapshot; the rest is skipped; `always` steps
 * not yet done go back to pending, to be run by whoever closes the request.
 */
export function cancelInterrupted(r: Pick<GuardedRequest, 'plan' | 'steps'>, user: string): StepRun[] {
  const always = alwaysSteps(r.plan);
  return r.steps.map(
    (s): StepRun =>
      always.has(s.id) && (s.status === 'running' || s.status === 'pending')
        ? { ...s, status: 'pending' }
        : s.status === 'running'
          ? { ...s, status: 'failed', message: `interrupted; ${cancelledBy(user)}` }
          : s.status === 'pending'
            ? { ...s, status: 'skipped', message: cancelledBy(user) }
            : s,
  );
}

/**
 * A retry of a failed run: the failed step runs again (its snapshot is kept as the state before
 * any write), and `always` steps that ran while the run closed go back to pending, keeping their
 * undoData so the runner can revert them first. A failed undo is retried as it stands.
 */
export function reopenForRetry(r: Pick<GuardedRequest, 'plan' | 'steps' | 'mode'>): StepRun[] {
  if (r.mode === 'undo') return r.steps;
  const always = alwaysSteps(r.plan);
  return r.steps.map((s): StepRun => {
    if (s.status !== 'failed' && !(s.status === 'done' && always.has(s.id))) return s;
    const { message: _m, endedAt: _e, durationMs: _d, ...rest } = s;
    return { ...rest, status: 'pending' };
  });
}

/**
 * An `always` step reverted before a retry (or not): reverted, it is pending without its
 * undoData and runs again at its place; not reverted, it is failed and keeps its undoData, so
 * the next retry tries the revert again.
 */
export function revertedForRetry(run: StepRun, outcome: Probe<unknown>): StepRun {
  if (!outcome.ok)
    return {
      ...run,
      status: 'failed',
      message: `could not revert it before the retry: ${outcome.error.message}`,
    };
  const { undoData: _u, ...rest } = run;
  return { ...rest, message: 'reverted for the retry; runs again at the end' };
}

/** A step being undone. */
export const undoingStep = (run: StepRun): StepRun => ({ ...run, message: 'undoing…' });

/** A step after its undo: undone, or as it was with why the undo failed. */
export const afterUndo = (run: StepRun, outcome: Probe<unknown>): StepRun =>
  outcome.ok
    ? { ...run, status: 'undone', message: 'undone' }
    : { ...run, message: `undo failed: ${outcome.error.message}` };

/**
 * Steps to revert, last first: done undoable steps, and failed undoable steps that captured a
 * snapshot (their write may have half happened).
 */
export function undoTargets(r: Pick<GuardedRequest, 'plan' | 'steps'>): PlanStep[] {
  return r.plan.steps
    .filter((step) => {
      const run = r.steps.find((s) => s.id === step.id);
      if (!step.undoable || !run) return false;
      return run.status === 'done' || (run.status === 'failed' && run.snapshot !== undefined);
    })
    .reverse();
}
