/**
 * Runs a claimed request's steps on this instance, in order, persisting each start and end so
 * any instance can report on, resume or undo it. The step-state changes themselves are pure
 * (src/domain/step-transitions.ts); the writes and their fencing are the run session's.
 */
import type { JsonValue, PlanStep } from '../domain/plan.js';
import { conflict, type GuardedRequest, type StepRun } from '../domain/requests.js';
import { fail, type Outcome, ok, type Probe, refuse } from '../domain/result.js';
import {
  afterUndo,
  alwaysLeft,
  endStep,
  revertedForRetry,
  skipForCancel,
  skipLeftByCancel,
  startStep,
  stepRun,
  undoingStep,
  undoTargets,
} from '../domain/step-transitions.js';
import { openSession, type RunSession, type SessionDeps } from './run-session.js';
import { CANCEL_REASON, type StepExecutor } from './step-executor.js';

/** A claimed request and the end of its run (never rejects). */
export interface Started {
  request: GuardedRequest;
  done: Promise<GuardedRequest>;
}

/** What a run session needs, and the executors; the runner adds the session's own two. */
export interface RunnerDeps extends Omit<SessionDeps, 'stopped' | 'onCancelRequested'> {
  executors: Record<string, StepExecutor>;
}

export interface Runner {
  /** Run the remaining steps; only by the request's runner. */
  execute(id: string): Promise<Outcome<GuardedRequest>>;
  /** execute() in the background, for a request this instance just claimed. */
  start(request: GuardedRequest): Started;
  isRunning(id: string): boolean;
  /** Stop the step in flight of a request run here (a person's Cancel). */
  cancelStep(id: string): void;
  /** Resolves when every run started here has ended. */
  idle(): Promise<void>;
  /** Abort the steps in flight and write nothing more. */
  shutdown(): void;
  /**
   * Shutdown that hands the runs over (SIGTERM): abort the steps in flight and mark each run
   * `handedOverBy` this instance, so another instance resumes it at once (not after the
   * heartbeat goes stale). A run claimed after this is handed over as soon as it starts.
   */
  handOver(): Promise<void>;
  isStopped(): boolean;
}

type Closing = { to: 'failed' } | { to: 'cancelled'; by: string } | undefined;

async function safely<T>(fn: () => Promise<Probe<T>>): Promise<Probe<T>> {
  try {
    return await fn();
  } catch (error) {
    return fail('error', error instanceof Error ? error.message : String(error));
  }
}

export function createRunner(deps: RunnerDeps): Runner {
  const { store, executors, clock, instanceId, log } = deps;
  const inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  /** Abort the step in flight of a request this instance runs (a person's Cancel). */
  const stepCancels = new Map<string, () => void>();
  let stopped = false;
  let handingOver = false;

  /** Mark a run held here as handed over; the step in flight stays `running` for the resumer to check. */
  async function handOverOne(id: string): Promise<void> {
    try {
      const res = await store.update(
        id,
        { handedOverBy: instanceId },
        { states: ['running'], runner: instanceId },
      );
      if (!res.ok) return;
      log({ event: 'guarded.handed_over', requestId: id, instance: instanceId });
      await deps.trail.record(res.value, 'hand_over', `instance:${instanceId}`, 'running', 'shutting down');
      deps.emit(res.value);
    } catch (error) {
      // Not written: the run is shown interrupted once its heartbeat goes stale instead.
      log({ event: 'guarded.hand_over_failed', requestId: id, error: String(error) });
    }
  }

  async function execute(id: string): Promise<Outcome<GuardedRequest>> {
    if (stopped) {
      // Claimed while this instance was stopping (an approval in flight at SIGTERM): pass it on.
      if (handingOver) await handOverOne(id);
      return refuse('stopped', 'This instance is shutting down.');
    }
    // Synchronous check-and-set: two execute() calls in one process cannot both pass.
    if (inFlight.has(id))
      return refuse('already_running', 'This request is already running on this instance.');
    const controller = new AbortController();
    let finished!: () => void;
    inFlight.set(id, { controller, done: new Promise<void>((resolve) => (finished = resolve)) });
    try {
      return await runLoop(id, controller);
    } finally {
      inFlight.delete(id);
      finished();
    }
  }

  async function runLoop(id: string, controller: AbortController): Promise<Outcome<GuardedRequest>> {
    const loaded = await store.get(id);
    if (!loaded) return refuse('not_found', `No request ${id}.`);
    if (loaded.state !== 'running' || loaded.runner !== instanceId)
      return { ok: false, reason: conflict(loaded) };
    const session = openSession(
      { ...deps, stopped: () => stopped, onCancelRequested: () => stepCancels.get(id)?.() },
      loaded,
      controller,
    );
    try {
      return loaded.mode === 'undo' ? await undoSteps(session) : await runSteps(session);
    } finally {
      session.close();
    }
  }

  /**
   * Steps run in order. Once a step fails or a cancel is seen, the run is "closing": the
   * remaining steps marked `always` still run, in order (e.g. resuming a scheduler job the
   * plan paused), the others are left (failed: pending, for a retry; cancelled: skipped), and
   * the request then ends failed or cancelled. A running request that already holds a failed
   * step (its runner died while closing) resumes in the closing phase.
   */
  async function runSteps(s: RunSession): Promise<Outcome<GuardedRequest>> {
    const by = s.current.cancelRequestedBy;
    let closing: Closing = !s.current.steps.some((x) => x.status === 'failed')
      ? undefined
      : by
        ? { to: 'cancelled', by }
        : { to: 'failed' };
    if (!closing) {
      const reopened = await reopenAlways(s);
      if (reopened === 'stopped') return s.stoppedEarly();
      if (reopened === 'failed') closing = { to: 'failed' };
    }
    for (const step of s.current.plan.steps) {
      if (s.ended()) return s.stoppedEarly();
      const run = stepRun(s.current, step.id);
      if (run.status === 'done' || run.status === 'skipped' || run.status === 'undone') continue;

      if (!closing && s.current.cancelRequestedBy) {
        const who = s.current.cancelRequestedBy;
        const steps = skipForCancel(s.current, who);
        if (!alwaysLeft(s.current.plan, steps)) return s.finish('cancelled', { steps, closedBy: who });
        if (!(await s.persist({ steps }))) return s.stoppedEarly();
        closing = { to: 'cancelled', by: who };
      }
      // Closing: only the `always` steps not yet done run (a failed one is not retried here).
      if (closing && (!step.always || run.status === 'failed')) continue;

      // Found running: its runner died or handed it over mid-step, and its effect may hold already.
      if (run.status === 'running') {
        const held = await alreadyDone(s, step, run);
        if (held === 'stopped') return s.stoppedEarly();
        if (held) continue;
      }
      const outcome = await runOne(s, step, run);
      if (outcome === 'stopped') return s.stoppedEarly();
      if (!outcome.ok) {
        // A step stopped by a person's Cancel closes the run as cancelled, not failed.
        if (!closing && s.current.cancelRequestedBy)
          closing = { to: 'cancelled', by: s.current.cancelRequestedBy };
        else if (closing?.to !== 'failed') closing = { to: 'failed' };
      }
    }
    if (closing?.to === 'cancelled') {
      return s.finish('cancelled', { closedBy: closing.by, steps: skipLeftByCancel(s.current, closing.by) });
    }
    return s.finish(closing ? 'failed' : 'succeeded');
  }

  /** One step: mark it running, snapshot what it will change, run it, record how it ended. */
  async function runOne(
    s: RunSession,
    step: PlanStep,
    run: StepRun,
  ): Promise<Probe<JsonValue | undefined> | 'stopped'> {
    const startedAt = clock.now();
    if (!(await s.saveStep(startStep(run, startedAt)))) return 'stopped';
    log({
      event: 'guarded.step',
      requestId: s.current.id,
      step: step.id,
      action: step.action,
      status: 'running',
    });

    const executor = executors[step.action];
    let outcome: Probe<JsonValue | undefined>;
    if (!executor) {
      outcome = fail('invalid', `no executor for action ${step.action}`);
    } else if (step.destructive && executor.snapshot && run.snapshot === undefined) {
      // Keep a snapshot from an earlier attempt: it is the state before any write.
      const snap = await safely(() => executor.snapshot!(step, s.current));
      if (s.ended()) return 'stopped';
      if (!snap.ok) {
        outcome = fail(
          snap.error.kind,
          `could not read what it would change, so nothing was changed: ${snap.error.message}`,
        );
      } else {
        if (!(await s.saveStep({ ...stepRun(s.current, step.id), snapshot: snap.value }))) return 'stopped';
        outcome = await runStep(s, executor, step, snap.value);
      }
    } else {
      outcome = await runStep(s, executor, step, run.snapshot);
    }
    if (s.ended()) return 'stopped';

    const ended = endStep(stepRun(s.current, step.id), outcome, startedAt, clock.now());
    if (!(await s.saveStep(ended))) return 'stopped';
    log({
      event: 'guarded.step',
      requestId: s.current.id,
      step: step.id,
      action: step.action,
      status: ended.status,
      durationMs: ended.durationMs,
      ...(ended.message === undefined ? {} : { message: ended.message }),
    });
    return outcome;
  }

  /**
   * A step left `running` by the previous runner is not simply run again: that would trigger a
   * processor twice when the kill came just after the trigger. The executor says whether the
   * step's effect already holds (its checks pass, its execution exists); if so it is recorded
   * done without running. Unknown, or the check fails: it runs again (with the same idempotency
   * key, so a processor that got the first trigger ignores the second).
   */
  async function alreadyDone(s: RunSession, step: PlanStep, run: StepRun): Promise<boolean | 'stopped'> {
    const check = executors[step.action]?.alreadyDone;
    if (!check) return false;
    const found = await safely(() => check(step, s.current));
    if (s.ended()) return 'stopped';
    log({
      event: 'guarded.already_done',
      requestId: s.current.id,
      step: step.id,
      done: found.ok && found.value !== undefined,
      ...(found.ok ? {} : { error: found.error.message }),
    });
    if (!found.ok || found.value === undefined) return false;
    const now = clock.now();
    const ended = endStep(run, ok(found.value.undoData), run.startedAt ?? now, now);
    const saved = await s.saveStep({ ...ended, message: `${found.value.detail} (found done when resumed)` });
    return saved ? true : 'stopped';
  }

  /**
   * A retry of a run that failed: its `always` steps already ran (the job it paused is resumed
   * again). Retry puts them back to pending with their undoData (engine.retry); here they are
   * reverted first, so the retried steps run in the state the plan set up (the job paused
   * again), and they then run again at their place in the plan. A step without undo or
   * undoData just runs again. If a revert fails, that step is marked failed and nothing else
   * is retried: the run closes (the revert did not happen, so what the step did still holds).
   */
  async function reopenAlways(s: RunSession): Promise<'ok' | 'failed' | 'stopped'> {
    for (const step of s.current.plan.steps) {
      if (!step.always) continue;
      const run = s.current.steps.find((x) => x.id === step.id);
      if (run?.status !== 'pending' || run.undoData === undefined) continue;
      const undo = executors[step.action]?.undo;
      const undoData = run.undoData;
      const outcome: Probe<unknown> = undo
        ? await safely(() =>
            undo(step, { ...(run.snapshot === undefined ? {} : { snapshot: run.snapshot }), undoData }),
          )
        : ok(null);
      if (s.ended()) return 'stopped';
      log({ event: 'guarded.reopen_step', requestId: s.current.id, step: step.id, ok: outcome.ok });
      if (!(await s.saveStep(revertedForRetry(run, outcome)))) return 'stopped';
      if (!outcome.ok) return 'failed';
    }
    return 'ok';
  }

  /**
   * Each step gets its own signal: aborted with the run's (shutdown, takeover) or by a
   * person's Cancel (CANCEL_REASON), which stops a long step such as a backfill's execution
   * while the steps marked `always` still run afterwards with a fresh signal.
   */
  async function runStep(
    s: RunSession,
    executor: StepExecutor,
    step: PlanStep,
    snapshot: JsonValue | undefined,
  ): Promise<Probe<JsonValue | undefined>> {
    const id = s.current.id;
    const own = new AbortController();
    const follow = () => own.abort(s.signal.reason);
    s.signal.addEventListener('abort', follow, { once: true });
    if (!step.always) stepCancels.set(id, () => own.abort(CANCEL_REASON));
    if (s.current.cancelRequestedBy && !step.always) own.abort(CANCEL_REASON);
    try {
      return await safely(() =>
        executor.run(step, s.current, {
          ...(snapshot === undefined ? {} : { snapshot }),
          signal: own.signal,
        }),
      );
    } finally {
      s.signal.removeEventListener('abort', follow);
      stepCancels.delete(id);
    }
  }

  async function undoSteps(s: RunSession): Promise<Outcome<GuardedRequest>> {
    for (const step of undoTargets(s.current)) {
      if (s.ended()) return s.stoppedEarly();
      const run = stepRun(s.current, step.id);
      if (!(await s.saveStep(undoingStep(run)))) return s.stoppedEarly();
      const undo = executors[step.action]?.undo;
      const data = {
        ...(run.snapshot === undefined ? {} : { snapshot: run.snapshot }),
        ...(run.undoData === undefined ? {} : { undoData: run.undoData }),
      };
      const outcome: Probe<unknown> = undo
        ? await safely(() => undo(step, data))
        : fail('invalid', `no undo for action ${step.action}`);
      if (s.ended()) return s.stoppedEarly();
      if (!(await s.saveStep(afterUndo(stepRun(s.current, step.id), outcome)))) return s.stoppedEarly();
      log({ event: 'guarded.undo_step', requestId: s.current.id, step: step.id, ok: outcome.ok });
      if (!outcome.ok) return s.finish('failed');
    }
    return s.finish('undone');
  }

  return {
    execute,
    start(r) {
      const done = execute(r.id)
        .then(async (o) => (o.ok ? o.value : ((await store.get(r.id)) ?? r)))
        .catch((error: unknown) => {
          log({ event: 'guarded.run_crashed', requestId: r.id, error: String(error) });
          return r;
        });
      return { request: r, done };
    },
    isRunning: (id) => inFlight.has(id),
    cancelStep: (id) => stepCancels.get(id)?.(),
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()].map((f) => f.done));
    },
    shutdown() {
      stopped = true;
      for (const { controller } of inFlight.values()) controller.abort();
    },
    async handOver() {
      handingOver = true;
      stopped = true;
      const held = [...inFlight.entries()];
      for (const [, { controller }] of held) controller.abort();
      await Promise.all(held.map(([id]) => handOverOne(id)));
    },
    isStopped: () => stopped,
  };
}
