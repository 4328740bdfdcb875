/**
 * The guarded-action engine: request → approve → run the plan's steps exactly once, persisted
 * step by step so any instance can report on, resume or undo a request. It knows nothing of
 * Slack or Google: it talks to a RequestStore, an AuditLog and one StepExecutor per step action.
 *
 * Exactly once rests on the store's compare-and-set: approve, retry, resume and undo each claim
 * the request in one transition that names this instance as runner; every later write by the
 * runner is guarded by `runner === instanceId`, so a runner that lost its claim (its heartbeat went
 * stale and another instance resumed) stops at its next write instead of running steps twice.
 */
import { randomUUID } from 'node:crypto';
import { type JsonValue, type Plan, type PlanStep, planHashMatches } from '../domain/plan.js';
import type { Clock } from '../domain/ports.js';
import type { AuditLog } from '../domain/requests.js';
import {
  type CreateOutcome,
  conflict,
  describeReport,
  effectiveState,
  type GuardedRequest,
  type RequestPatch,
  type RequestState,
  type RequestStore,
  type StepRun,
  stepReport,
} from '../domain/requests.js';
import { accept, fail, type Outcome, ok, type Probe, type Refusal, refuse } from '../domain/result.js';

export interface StepExecutor {
  /** Read what a destructive step will delete or overwrite; persisted into the step before run(). */
  snapshot?(step: PlanStep, request: GuardedRequest): Promise<Probe<JsonValue>>;
  /** Do the step; the value is kept as the step's undoData. Should honour `signal`. */
  run(
    step: PlanStep,
    request: GuardedRequest,
    ctx: { snapshot?: JsonValue; signal: AbortSignal },
  ): Promise<Probe<JsonValue | undefined>>;
  /** Revert the step from what was captured before it ran and what run() returned. */
  undo?(step: PlanStep, data: { snapshot?: JsonValue; undoData?: JsonValue }): Promise<Probe<unknown>>;
}

export interface EngineDeps {
  store: RequestStore;
  audit: AuditLog;
  /** By PlanStep.action. */
  executors: Record<string, StepExecutor>;
  clock: Clock;
  /** Unique per process (e.g. revision + random): names the runner of a request. */
  instanceId: string;
  heartbeatMs?: number;
  /** A running request whose heartbeat is older than this is interrupted and may be resumed. */
  staleAfterMs?: number;
  /** Called after every persisted change (claims, step start and end, the end of a run). */
  onProgress?: (request: GuardedRequest) => Promise<void> | void;
  log?: (line: object) => void;
  newId?: () => string;
}

/** A policy decision, or a function making it from the stored request. */
export type Check = Outcome<true> | ((request: GuardedRequest) => Outcome<true>);

/** A claimed request and the end of its run (never rejects). */
export interface Started {
  request: GuardedRequest;
  done: Promise<GuardedRequest>;
}

export interface Engine {
  submit(input: {
    plan: Plan;
    requester: string;
    channel: string;
    ttlMs: number;
    threadTs?: string;
    check?: Check;
  }): Promise<CreateOutcome>;
  /** pending_approval → running in one transition; the run starts in the background. */
  approve(
    id: string,
    user: string,
    approverCheck: Check,
    opts?: { planHash?: string },
  ): Promise<Outcome<Started>>;
  reject(id: string, user: string, check?: Check): Promise<Outcome<GuardedRequest>>;
  /**
   * Pending or approved → cancelled. A live run is asked to stop between steps (requestCancel);
   * an interrupted one is cancelled at once, unless `always` steps are left: this instance then
   * claims it, runs them, and ends it cancelled.
   */
  cancel(id: string, user: string, check?: Check): Promise<Outcome<GuardedRequest>>;
  /** Ask the runner, wherever it is, to stop before its next step. */
  requestCancel(id: string, user: string, check?: Check): Promise<Outcome<GuardedRequest>>;
  /** Run the remaining steps; only by the request's runner. */
  execute(id: string): Promise<Outcome<GuardedRequest>>;
  /**
   * failed → running, continuing from the failed step. `always` steps that already ran are
   * reverted first (their undo: the self-heal job is paused again) and run again at the end.
   */
  retry(id: string, user: string, check?: Check): Promise<Outcome<Started>>;
  /** Interrupted (stale heartbeat) → running here, continuing from the first unfinished step. */
  resume(id: string, user: string, check?: Check): Promise<Outcome<Started>>;
  /** succeeded/failed/cancelled → undo the done undoable steps in reverse → undone. */
  undo(id: string, user: string, check?: Check): Promise<Outcome<Started>>;
  /** Expire pending requests past their expiry; report interrupted ones. */
  expireStale(): Promise<{ expired: GuardedRequest[]; interrupted: GuardedRequest[] }>;
  /** The stored request and its effective state. */
  status(id: string): Promise<{ request: GuardedRequest; state: RequestState } | undefined>;
  /** Record where the request's Slack messages are. */
  attachMessage(id: string, ts: { threadTs?: string; progressTs?: string }): Promise<Outcome<GuardedRequest>>;
  /** Resolves when every run started by this engine has ended. */
  idle(): Promise<void>;
  /** Stop heartbeats, abort steps in flight and write nothing more (SIGTERM); other instances may resume. */
  shutdown(): void;
}

const SYSTEM = 'system';

/** The abort reason of a step stopped by a person's Cancel (not by shutdown or a takeover). */
export const CANCEL_REASON = 'cancelled by a person';

export function createEngine(deps: EngineDeps): Engine {
  const { store, audit, executors, clock, instanceId } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 5000;
  const staleAfterMs = deps.staleAfterMs ?? 30_000;
  const log = deps.log ?? (() => {});
  const newId = deps.newId ?? (() => randomUUID());
  const self = `instance:${instanceId}`;
  const inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  /** Abort the step in flight of a request this instance runs (a person's Cancel). */
  const stepCancels = new Map<string, () => void>();
  let stopped = false;

  async function record(
    r: Pick<GuardedRequest, 'id' | 'plan' | 'planHash'>,
    action: string,
    actor: string,
    outcome: string,
    detail?: string,
  ): Promise<void> {
    const entry = {
      requestId: r.id,
      kind: r.plan.kind,
      subject: r.plan.subject,
      action,
      actor,
      at: clock.now(),
      planHash: r.planHash,
      outcome,
      ...(detail === undefined ? {} : { detail }),
    };
    log({ event: 'guarded.audit', instance: instanceId, ...entry, at: entry.at.toISOString() });
    try {
      await audit.append(entry);
    } catch (error) {
      // The transition already happened; losing its audit line must be loud, not fatal.
      log({ event: 'guarded.audit_failed', requestId: r.id, action, error: String(error) });
    }
  }

  async function refused<T>(
    r: Pick<GuardedRequest, 'id' | 'plan' | 'planHash'>,
    action: string,
    actor: string,
    reason: Refusal,
  ): Promise<Outcome<T>> {
    await record(r, action, actor, `refused:${reason.code}`, reason.message);
    return { ok: false, reason };
  }

  async function notify(r: GuardedRequest): Promise<void> {
    if (!deps.onProgress) return;
    try {
      await deps.onProgress(r);
    } catch (error) {
      log({ event: 'guarded.progress_failed', requestId: r.id, error: String(error) });
    }
  }

  const decide = (check: Check | undefined, r: GuardedRequest): Outcome<true> =>
    check === undefined ? accept(true) : typeof check === 'function' ? check(r) : check;

  async function load(id: string): Promise<Outcome<GuardedRequest>> {
    const r = await store.get(id);
    return r ? accept(r) : refuse('not_found', `No request ${id}.`);
  }

  /** Persist `expired` for a request found past its expiry; the caller explains the refusal. */
  async function expire(r: GuardedRequest): Promise<void> {
    const res = await store.transition(r.id, { from: ['pending_approval', 'approved'], to: 'expired' });
    if (res.ok) {
      await record(res.value, 'expire', SYSTEM, 'expired');
      await notify(res.value);
    }
  }

  const expiredRefusal = (r: GuardedRequest): Refusal => ({
    code: 'expired',
    message: `This request expired at ${r.expiresAt.toISOString().slice(11, 16)} UTC before anyone approved it. Ask for a new plan.`,
  });

  // ---- running the steps -------------------------------------------------------------

  const initialSteps = (plan: Plan): StepRun[] => plan.steps.map((s) => ({ id: s.id, status: 'pending' }));

  async function safely<T>(fn: () => Promise<Probe<T>>): Promise<Probe<T>> {
    try {
      return await fn();
    } catch (error) {
      return fail('error', error instanceof Error ? error.message : String(error));
    }
  }

  function startRun(r: GuardedRequest): Started {
    const done = execute(r.id)
      .then(async (o) => (o.ok ? o.value : ((await store.get(r.id)) ?? r)))
      .catch((error: unknown) => {
        log({ event: 'guarded.run_crashed', requestId: r.id, error: String(error) });
        return r;
      });
    return { request: r, done };
  }

  async function execute(id: string): Promise<Outcome<GuardedRequest>> {
    if (stopped) return refuse('stopped', 'This instance is shutting down.');
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
    const loaded = await load(id);
    if (!loaded.ok) return loaded;
    let current = loaded.value;
    if (current.state !== 'running' || current.runner !== instanceId)
      return { ok: false, reason: conflict(current) };
    const guard = { states: ['running'] as RequestState[], runner: instanceId };
    let lost = false;

    const lose = (reason: Refusal) => {
      lost = true;
      controller.abort();
      log({ event: 'guarded.claim_lost', requestId: id, instance: instanceId, reason: reason.message });
    };

    let beating = false;
    const timer = setInterval(() => {
      if (beating || lost || stopped) return;
      beating = true;
      store
        .update(id, { heartbeatAt: clock.now() }, guard)
        .then((res) => {
          if (!res.ok) lose(res.reason);
          // A Cancel clicked on another instance reaches the runner through the stored request.
          else if (res.value.cancelRequestedBy) stepCancels.get(id)?.();
        })
        .catch((error: unknown) =>
          log({ event: 'guarded.heartbeat_failed', requestId: id, error: String(error) }),
        )
        .finally(() => {
          beating = false;
        });
    }, heartbeatMs);
    timer.unref();

    /** Write the runner's progress; false when this instance may no longer write. */
    const persist = async (patch: RequestPatch): Promise<boolean> => {
      if (stopped || lost) return false;
      const res = await store.update(id, patch, guard);
      if (!res.ok) {
        lose(res.reason);
        return false;
      }
      current = res.value;
      await notify(current);
      return true;
    };

    const setStep = (stepId: string, next: StepRun): StepRun[] =>
      current.steps.map((s) => (s.id === stepId ? next : s));

    const finish = async (to: RequestState, patch: RequestPatch = {}): Promise<Outcome<GuardedRequest>> => {
      if (stopped || lost) return { ok: false, reason: { code: 'stopped', message: 'The run stopped.' } };
      const res = await store.transition(id, {
        from: ['running'],
        to,
        expectRunner: instanceId,
        patch: { ...patch, cancelRequestedBy: undefined },
      });
      if (!res.ok) {
        lose(res.reason);
        return res;
      }
      current = res.value;
      await record(current, 'finish', self, to, describeReport(stepReport(current)));
      await notify(current);
      return accept(current);
    };

    const stoppedEarly = async (): Promise<Outcome<GuardedRequest>> =>
      stopped || lost
        ? { ok: false, reason: { code: 'stopped', message: 'The run stopped before it ended.' } }
        : accept(current);

    try {
      if (current.mode === 'undo') return await undoSteps();
      return await runSteps();
    } finally {
      clearInterval(timer);
    }

    /**
     * Steps run in order. Once a step fails or a cancel is seen, the run is "closing": the
     * remaining steps marked `always` still run, in order (e.g. resuming a scheduler job the
     * plan paused), the others are left (failed: pending, for a retry; cancelled: skipped), and
     * the request then ends failed or cancelled. A running request that already holds a failed
     * step (its runner died while closing) resumes in the closing phase.
     */
    async function runSteps(): Promise<Outcome<GuardedRequest>> {
      const always = new Set(current.plan.steps.filter((s) => s.always).map((s) => s.id));
      const by = current.cancelRequestedBy;
      let closing: { to: 'failed' } | { to: 'cancelled'; by: string } | undefined = !current.steps.some(
        (s) => s.status === 'failed',
      )
        ? undefined
        : by
          ? { to: 'cancelled', by }
          : { to: 'failed' };
      if (!closing) {
        const reopened = await reopenAlways();
        if (reopened === 'stopped') return stoppedEarly();
        if (reopened === 'failed') closing = { to: 'failed' };
      }
      for (const step of current.plan.steps) {
        if (stopped || lost) return stoppedEarly();
        const run = current.steps.find((s) => s.id === step.id) ?? { id: step.id, status: 'pending' };
        if (run.status === 'done' || run.status === 'skipped' || run.status === 'undone') continue;

        if (!closing && current.cancelRequestedBy) {
          const who = current.cancelRequestedBy;
          const steps = current.steps.map(
            (s): StepRun =>
              (s.status === 'pending' || s.status === 'failed') && !always.has(s.id)
                ? { ...s, status: 'skipped', message: `cancelled by <@${who}>` }
                : s,
          );
          const closers = steps.some(
            (s) => always.has(s.id) && (s.status === 'pending' || s.status === 'running'),
          );
          if (!closers) return finish('cancelled', { steps, closedBy: who });
          if (!(await persist({ steps }))) return stoppedEarly();
          closing = { to: 'cancelled', by: who };
        }
        // Closing: only the `always` steps not yet done run (a failed one is not retried here).
        if (closing && (!step.always || run.status === 'failed')) continue;

        const startedAt = clock.now();
        const { endedAt: _e, durationMs: _d, message: _m, ...kept } = run;
        if (!(await persist({ steps: setStep(step.id, { ...kept, status: 'running', startedAt }) }))) {
          return stoppedEarly();
        }
        log({ event: 'guarded.step', requestId: id, step: step.id, action: step.action, status: 'running' });

        const executor = executors[step.action];
        let outcome: Probe<JsonValue | undefined>;
        let snapshot = run.snapshot;
        if (!executor) {
          outcome = fail('invalid', `no executor for action ${step.action}`);
        } else {
          // Keep a snapshot from an earlier attempt: it is the state before any write.
          if (step.destructive && executor.snapshot && snapshot === undefined) {
            const snap = await safely(() => executor.snapshot!(step, current));
            if (stopped || lost) return stoppedEarly();
            if (!snap.ok) {
              outcome = fail(
                snap.error.kind,
                `could not read what it would change, so nothing was changed: ${snap.error.message}`,
              );
            } else {
              snapshot = snap.value;
              const running = current.steps.find((s) => s.id === step.id)!;
              if (!(await persist({ steps: setStep(step.id, { ...running, snapshot }) })))
                return stoppedEarly();
              outcome = await runStep(executor, step, snapshot);
            }
          } else {
            outcome = await runStep(executor, step, snapshot);
          }
        }
        if (stopped || lost) return stoppedEarly();

        const endedAt = clock.now();
        const latest = current.steps.find((s) => s.id === step.id)!;
        const ended: StepRun = outcome.ok
          ? {
              ...latest,
              status: 'done',
              endedAt,
              durationMs: endedAt.getTime() - startedAt.getTime(),
              ...(outcome.value === undefined ? {} : { undoData: outcome.value }),
            }
          : {
              ...latest,
              status: 'failed',
              endedAt,
              durationMs: endedAt.getTime() - startedAt.getTime(),
              message: outcome.error.message,
            };
        if (!(await persist({ steps: setStep(step.id, ended) }))) return stoppedEarly();
        log({
          event: 'guarded.step',
          requestId: id,
          step: step.id,
          action: step.action,
          status: ended.status,
          durationMs: ended.durationMs,
          ...(ended.message === undefined ? {} : { message: ended.message }),
        });
        if (!outcome.ok) {
          // A step stopped by a person's Cancel closes the run as cancelled, not failed.
          if (!closing && current.cancelRequestedBy)
            closing = { to: 'cancelled', by: current.cancelRequestedBy };
          else if (closing?.to !== 'failed') closing = { to: 'failed' };
        }
      }
      if (closing?.to === 'cancelled') {
        const who = closing.by;
        // Steps a cancel left out are skipped, not pending: a retry is not what follows a cancel.
        const steps = current.steps.map(
          (s): StepRun =>
            s.status === 'pending' && !always.has(s.id)
              ? { ...s, status: 'skipped', message: `cancelled by <@${who}>` }
              : s,
        );
        return finish('cancelled', { closedBy: who, steps });
      }
      return finish(closing ? 'failed' : 'succeeded');
    }

    /**
     * A retry of a run that failed: its `always` steps already ran (the job it paused is resumed
     * again). Retry puts them back to pending with their undoData (engine.retry); here they are
     * reverted first, so the retried steps run in the state the plan set up (the job paused
     * again), and they then run again at their place in the plan. A step without undo or
     * undoData just runs again. If a revert fails, that step is marked failed and nothing else
     * is retried: the run closes (the revert did not happen, so what the step did still holds).
     */
    async function reopenAlways(): Promise<'ok' | 'failed' | 'stopped'> {
      for (const step of current.plan.steps) {
        if (!step.always) continue;
        const run = current.steps.find((s) => s.id === step.id);
        if (run?.status !== 'pending' || run.undoData === undefined) continue;
        const undo = executors[step.action]?.undo;
        const { undoData, ...rest } = run;
        const outcome: Probe<unknown> = undo
          ? await safely(() =>
              undo(step, { ...(run.snapshot === undefined ? {} : { snapshot: run.snapshot }), undoData }),
            )
          : ok(null);
        if (stopped || lost) return 'stopped';
        log({ event: 'guarded.reopen_step', requestId: id, step: step.id, ok: outcome.ok });
        // Failed, the step keeps its undoData: the next retry tries the revert again.
        const next: StepRun = outcome.ok
          ? { ...rest, message: 'reverted for the retry; runs again at the end' }
          : {
              ...run,
              status: 'failed',
              message: `could not revert it before the retry: ${outcome.error.message}`,
            };
        if (!(await persist({ steps: setStep(step.id, next) }))) return 'stopped';
        if (!outcome.ok) return 'failed';
      }
      return 'ok';
    }

    /**
     * Each step gets its own signal: aborted with the run's (shutdown, takeover) or by a
     * person's Cancel (CANCEL_REASON), which stops a long step such as a backfill's execution
     * while the steps marked `always` still run afterwards with a fresh signal.
     */
    async function runStep(executor: StepExecutor, step: PlanStep, snapshot: JsonValue | undefined) {
      const own = new AbortController();
      const follow = () => own.abort(controller.signal.reason);
      controller.signal.addEventListener('abort', follow, { once: true });
      if (!step.always) stepCancels.set(id, () => own.abort(CANCEL_REASON));
      if (current.cancelRequestedBy && !step.always) own.abort(CANCEL_REASON);
      try {
        return await safely(() =>
          executor.run(step, current, {
            ...(snapshot === undefined ? {} : { snapshot }),
            signal: own.signal,
          }),
        );
      } finally {
        controller.signal.removeEventListener('abort', follow);
        stepCancels.delete(id);
      }
    }

    async function undoSteps(): Promise<Outcome<GuardedRequest>> {
      for (const step of undoTargets(current)) {
        if (stopped || lost) return stoppedEarly();
        const run = current.steps.find((s) => s.id === step.id)!;
        if (!(await persist({ steps: setStep(step.id, { ...run, message: 'undoing…' }) })))
          return stoppedEarly();
        const undo = executors[step.action]?.undo;
        const data = {
          ...(run.snapshot === undefined ? {} : { snapshot: run.snapshot }),
          ...(run.undoData === undefined ? {} : { undoData: run.undoData }),
        };
        const outcome: Probe<unknown> = undo
          ? await safely(() => undo(step, data))
          : fail('invalid', `no undo for action ${step.action}`);
        if (stopped || lost) return stoppedEarly();
        const latest = current.steps.find((s) => s.id === step.id)!;
        const next: StepRun = outcome.ok
          ? { ...latest, status: 'undone', message: 'undone' }
          : { ...latest, message: `undo failed: ${outcome.error.message}` };
        if (!(await persist({ steps: setStep(step.id, next) }))) return stoppedEarly();
        log({ event: 'guarded.undo_step', requestId: id, step: step.id, ok: outcome.ok });
        if (!outcome.ok) return finish('failed');
      }
      return finish('undone');
    }
  }

  /**
   * Steps to revert, last first: done undoable steps, and failed undoable steps that captured a
   * snapshot (their write may have half happened).
   */
  function undoTargets(r: GuardedRequest): PlanStep[] {
    return r.plan.steps
      .filter((step) => {
        const run = r.steps.find((s) => s.id === step.id);
        if (!step.undoable || !run) return false;
        return run.status === 'done' || (run.status === 'failed' && run.snapshot !== undefined);
      })
      .reverse();
  }

  /** Claim a finished or interrupted request for this instance, then run it in the background. */
  async function claim(
    r: GuardedRequest,
    action: string,
    user: string,
    spec: { from: RequestState[]; patch: RequestPatch; expectVersion?: number },
  ): Promise<Outcome<Started>> {
    const res = await store.transition(r.id, {
      from: spec.from,
      to: 'running',
      ...(spec.expectVersion === undefined ? {} : { expectVersion: spec.expectVersion }),
      patch: { ...spec.patch, runner: instanceId, heartbeatAt: clock.now() },
    });
    if (!res.ok) return refused(r, action, user, res.reason);
    await record(res.value, action, user, 'running');
    await notify(res.value);
    return accept(startRun(res.value));
  }

  /** Common front of every action a person takes: load, expire if due, check policy. */
  async function front(
    id: string,
    action: string,
    user: string,
    check: Check | undefined,
  ): Promise<Outcome<{ r: GuardedRequest; state: RequestState }>> {
    if (stopped) return refuse('stopped', 'This instance is shutting down; try again in a moment.');
    const loaded = await load(id);
    if (!loaded.ok) {
      log({ event: 'guarded.refused', requestId: id, action, actor: user, reason: loaded.reason });
      return loaded;
    }
    const r = loaded.value;
    const state = effectiveState(r, clock.now(), staleAfterMs);
    if (state === 'expired' && r.state !== 'expired') {
      await expire(r);
      return refused(r, action, user, expiredRefusal(r));
    }
    const decision = decide(check, r);
    if (!decision.ok) return refused(r, action, user, decision.reason);
    return accept({ r, state });
  }

  async function guardedCall<T>(fn: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    try {
      return await fn();
    } catch (error) {
      log({ event: 'guarded.store_error', error: String(error) });
      return refuse(
        'unavailable',
        'The request store did not answer; nothing was changed. Try again in a moment.',
      );
    }
  }

  const engine: Engine = {
    submit: (input) =>
      guardedCall(async (): Promise<CreateOutcome> => {
        const { plan, requester, channel, ttlMs } = input;
        const now = clock.now();
        const request: GuardedRequest = {
          id: newId(),
          plan,
          planHash: plan.hash,
          requester,
          channel,
          ...(input.threadTs === undefined ? {} : { threadTs: input.threadTs }),
          createdAt: now,
          expiresAt: new Date(now.getTime() + ttlMs),
          state: 'pending_approval',
          mode: 'run',
          steps: initialSteps(plan),
          version: 1,
        };
        if (!planHashMatches(plan)) {
          return refused(request, 'submit', requester, {
            code: 'plan_hash',
            message: 'The plan does not match its hash; compute it again.',
          });
        }
        const unknown = plan.steps.filter((s) => !executors[s.action]).map((s) => s.action);
        if (unknown.length > 0) {
          // A plan this bot cannot carry out must not reach an approver.
          return refused(request, 'submit', requester, {
            code: 'unknown_action',
            message: `This bot has no way to run: ${[...new Set(unknown)].join(', ')}.`,
          });
        }
        if (plan.steps.length === 0) {
          return refused(request, 'submit', requester, {
            code: 'empty_plan',
            message: 'The plan has no steps left.',
          });
        }
        const decision = decide(input.check, request);
        if (!decision.ok) return refused(request, 'submit', requester, decision.reason);
        const created = await store.create(request);
        if (!created.ok) {
          await record(
            request,
            'submit',
            requester,
            `refused:${created.reason.code}`,
            created.reason.message,
          );
          return created;
        }
        await record(created.value, 'submit', requester, 'pending_approval');
        return created;
      }),

    approve: (id, user, approverCheck, opts = {}) =>
      guardedCall(async () => {
        if (stopped) return refuse('stopped', 'This instance is shutting down; try again in a moment.');
        const loaded = await load(id);
        if (!loaded.ok) return loaded;
        const r = loaded.value;
        if (effectiveState(r, clock.now(), staleAfterMs) === 'expired' && r.state !== 'expired') {
          await expire(r);
          return refused(r, 'approve', user, expiredRefusal(r));
        }
        // State before policy: "already running, approved by X" tells a second clicker more.
        if (r.state !== 'pending_approval') return refused(r, 'approve', user, conflict(r));
        const decision = decide(approverCheck, r);
        if (!decision.ok) return refused(r, 'approve', user, decision.reason);
        if (opts.planHash !== undefined && opts.planHash !== r.planHash) {
          return refused(r, 'approve', user, {
            code: 'plan_changed',
            message: 'The plan changed since you saw it; look at the new one before approving.',
          });
        }
        if (r.plan.hash !== r.planHash || !planHashMatches(r.plan)) {
          return refused(r, 'approve', user, {
            code: 'plan_hash',
            message: 'The stored plan does not match its hash, so it will not run. Ask for a new plan.',
          });
        }
        return claim(r, 'approve', user, { from: ['pending_approval'], patch: { approver: user } });
      }),

    reject: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'reject', user, check);
        if (!front_.ok) return front_;
        const { r } = front_.value;
        const res = await store.transition(id, {
          from: ['pending_approval', 'approved'],
          to: 'rejected',
          patch: { closedBy: user },
        });
        if (!res.ok) return refused(r, 'reject', user, res.reason);
        await record(res.value, 'reject', user, 'rejected');
        await notify(res.value);
        return res;
      }),

    cancel: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'cancel', user, check);
        if (!front_.ok) return front_;
        const { r, state } = front_.value;
        if (state === 'running') return engine.requestCancel(id, user);
        if (state === 'interrupted') {
          // Nobody is running it: close it now. A step caught mid-write is marked failed so undo restores it.
          const always = new Set(r.plan.steps.filter((s) => s.always).map((s) => s.id));
          const steps = r.steps.map(
            (s): StepRun =>
              always.has(s.id) && (s.status === 'running' || s.status === 'pending')
                ? { ...s, status: 'pending' }
                : s.status === 'running'
                  ? { ...s, status: 'failed', message: `interrupted; cancelled by <@${user}>` }
                  : s.status === 'pending'
                    ? { ...s, status: 'skipped', message: `cancelled by <@${user}>` }
                    : s,
          );
          if (steps.some((s) => always.has(s.id) && s.status === 'pending')) {
            // Steps that run even when cancelled are left: run them here, then end cancelled.
            const claimed = await claim(r, 'cancel', user, {
              from: ['running'],
              expectVersion: r.version,
              patch: { closedBy: user, steps, cancelRequestedBy: user },
            });
            return claimed.ok ? accept(claimed.value.request) : claimed;
          }
          const res = await store.transition(id, {
            from: ['running'],
            to: 'cancelled',
            expectVersion: r.version,
            patch: { closedBy: user, steps, cancelRequestedBy: undefined },
          });
          if (!res.ok) return refused(r, 'cancel', user, res.reason);
          await record(res.value, 'cancel', user, 'cancelled', describeReport(stepReport(res.value)));
          await notify(res.value);
          return res;
        }
        const res = await store.transition(id, {
          from: ['pending_approval', 'approved'],
          to: 'cancelled',
          patch: { closedBy: user },
        });
        if (!res.ok) return refused(r, 'cancel', user, res.reason);
        await record(res.value, 'cancel', user, 'cancelled');
        await notify(res.value);
        return res;
      }),

    requestCancel: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'request_cancel', user, check);
        if (!front_.ok) return front_;
        const { r } = front_.value;
        const res = await store.update(id, { cancelRequestedBy: user }, { states: ['running'] });
        if (!res.ok) return refused(r, 'request_cancel', user, res.reason);
        // Here, stop the step in flight now; elsewhere, the runner sees it at its next heartbeat.
        stepCancels.get(id)?.();
        await record(res.value, 'request_cancel', user, 'running', 'stops the step in flight');
        await notify(res.value);
        return res;
      }),

    execute: (id) => guardedCall(() => execute(id)),

    retry: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'retry', user, check);
        if (!front_.ok) return front_;
        const { r } = front_.value;
        if (r.state !== 'failed')
          return refused(r, 'retry', user, conflict(r, 'Only a failed request can be retried.'));
        // The failed step runs again; its snapshot is kept as the state before any write.
        // `always` steps that ran while the run closed are reverted and run again at the end
        // (see reopenAlways): they keep their undoData for that.
        const always = new Set(r.plan.steps.filter((s) => s.always).map((s) => s.id));
        const steps = r.steps.map((s): StepRun => {
          if (r.mode === 'undo') return s;
          if (s.status !== 'failed' && !(s.status === 'done' && always.has(s.id))) return s;
          const { message: _m, endedAt: _e, durationMs: _d, ...rest } = s;
          return { ...rest, status: 'pending' };
        });
        return claim(r, 'retry', user, {
          from: ['failed'],
          expectVersion: r.version,
          patch: { steps, cancelRequestedBy: undefined },
        });
      }),

    resume: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'resume', user, check);
        if (!front_.ok) return front_;
        const { r, state } = front_.value;
        if (state !== 'interrupted' || inFlight.has(id)) {
          const beat = r.heartbeatAt ? ` (last heartbeat ${r.heartbeatAt.toISOString()})` : '';
          return refused(
            r,
            'resume',
            user,
            state === 'running' ? conflict(r, `Its runner ${r.runner ?? ''} is alive${beat}.`) : conflict(r),
          );
        }
        // CAS on version: of two resumes, or a resume racing a late heartbeat, exactly one wins.
        return claim(r, 'resume', user, { from: ['running'], expectVersion: r.version, patch: {} });
      }),

    undo: (id, user, check) =>
      guardedCall(async () => {
        const front_ = await front(id, 'undo', user, check);
        if (!front_.ok) return front_;
        const { r } = front_.value;
        if (!['succeeded', 'failed', 'cancelled'].includes(r.state)) {
          return refused(r, 'undo', user, conflict(r, 'Only a finished request can be undone.'));
        }
        if (undoTargets(r).length === 0) {
          return refused(r, 'undo', user, {
            code: 'nothing_to_undo',
            message: 'No step that ran can be undone.',
          });
        }
        return claim(r, 'undo', user, {
          from: [r.state],
          expectVersion: r.version,
          patch: { mode: 'undo', closedBy: user, cancelRequestedBy: undefined },
        });
      }),

    async expireStale() {
      const now = clock.now();
      const expired: GuardedRequest[] = [];
      const pending = await store.list({ states: ['pending_approval', 'approved'], limit: 200 });
      for (const r of pending) {
        if (effectiveState(r, now, staleAfterMs) !== 'expired') continue;
        const res = await store.transition(r.id, {
          from: [r.state],
          to: 'expired',
          expectVersion: r.version,
        });
        if (!res.ok) continue;
        await record(res.value, 'expire', SYSTEM, 'expired');
        await notify(res.value);
        expired.push(res.value);
      }
      const running = await store.list({ states: ['running'], limit: 200 });
      const interrupted = running.filter((r) => effectiveState(r, now, staleAfterMs) === 'interrupted');
      return { expired, interrupted };
    },

    async status(id) {
      const r = await store.get(id);
      return r && { request: r, state: effectiveState(r, clock.now(), staleAfterMs) };
    },

    attachMessage: (id, ts) =>
      guardedCall(() =>
        store.update(id, {
          ...(ts.threadTs === undefined ? {} : { threadTs: ts.threadTs }),
          ...(ts.progressTs === undefined ? {} : { progressTs: ts.progressTs }),
        }),
      ),

    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()].map((f) => f.done));
    },

    shutdown() {
      stopped = true;
      for (const { controller } of inFlight.values()) controller.abort();
    },
  };
  return engine;
}
