/**
 * The guarded-action engine: request → approve → run the plan's steps exactly once, persisted
 * step by step so any instance can report on, resume or undo a request. It knows nothing of
 * Slack or Google: it talks to a RequestStore, an AuditLog and one StepExecutor per step action.
 *
 * Exactly once rests on the store's compare-and-set: approve, retry, resume and undo each claim
 * the request in one transition that names this instance as runner; the runner (runner.ts,
 * run-session.ts) then writes only while `runner === instanceId`. How step states change is pure
 * (domain/step-transitions.ts); progress leaves through a listener that is never awaited.
 */
import { randomUUID } from 'node:crypto';
import { type Plan, planHashMatches } from '../domain/plan.js';
import type { Clock } from '../domain/ports.js';
import {
  type AuditLog,
  type CreateOutcome,
  conflict,
  describeReport,
  effectiveState,
  type GuardedRequest,
  type RequestPatch,
  type RequestState,
  type RequestStore,
  stepReport,
} from '../domain/requests.js';
import { accept, type Outcome, type Refusal, refuse } from '../domain/result.js';
import {
  alwaysLeft,
  cancelInterrupted,
  initialSteps,
  reopenForRetry,
  undoTargets,
} from '../domain/step-transitions.js';
import { createAuditTrail } from './audit-trail.js';
import { createProgressEmitter, type ProgressListener } from './progress-events.js';
import { createRunner, type Started } from './runner.js';
import type { StepExecutor } from './step-executor.js';

export type { Started } from './runner.js';
export { CANCEL_REASON, type StepExecutor } from './step-executor.js';

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
  /**
   * Told after every persisted change (claims, step start and end, the end of a run), in order,
   * and never awaited: publishing to Slack happens beside the run, so Slack's trouble cannot
   * hold it (see progress-events.ts).
   */
  onProgress?: ProgressListener;
  log?: (line: object) => void;
  newId?: () => string;
}

/** A policy decision, or a function making it from the stored request. */
export type Check = Outcome<true> | ((request: GuardedRequest) => Outcome<true>);

export interface Engine {
  submit(input: {
    plan: Plan;
    requester: string;
    channel: string;
    ttlMs: number;
    threadTs?: string;
    /** Why, as typed by the requester: kept with the request and in the audit entry. */
    reason?: string;
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
  /** Stop heartbeats, abort steps in flight and write nothing more; other instances may resume once stale. */
  shutdown(): void;
  /** Shutdown (SIGTERM) that marks each run held here handed over, for another instance to resume at once. */
  handOver(): Promise<void>;
}

const SYSTEM = 'system';

export function createEngine(deps: EngineDeps): Engine {
  const { store, executors, clock, instanceId } = deps;
  const staleAfterMs = deps.staleAfterMs ?? 30_000;
  const log = deps.log ?? (() => {});
  const newId = deps.newId ?? (() => randomUUID());
  const trail = createAuditTrail({ audit: deps.audit, clock, instanceId, log });
  const { record, refused } = trail;
  const notify = createProgressEmitter(deps.onProgress, log);
  const runner = createRunner({
    store,
    executors,
    clock,
    instanceId,
    heartbeatMs: deps.heartbeatMs ?? 5000,
    trail,
    emit: notify,
    log,
  });

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
      notify(res.value);
    }
  }

  const expiredRefusal = (r: GuardedRequest): Refusal => ({
    code: 'expired',
    message: `This request expired at ${r.expiresAt.toISOString().slice(11, 16)} UTC before anyone approved it. Ask for a new plan.`,
  });

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
    notify(res.value);
    return accept(runner.start(res.value));
  }

  /** Common front of every action a person takes: load, expire if due, check policy. */
  async function front(
    id: string,
    action: string,
    user: string,
    check: Check | undefined,
  ): Promise<Outcome<{ r: GuardedRequest; state: RequestState }>> {
    if (runner.isStopped())
      return refuse('stopped', 'This instance is shutting down; try again in a moment.');
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
          ...(input.reason ? { reason: input.reason } : {}),
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
        await record(created.value, 'submit', requester, 'pending_approval', input.reason);
        return created;
      }),

    approve: (id, user, approverCheck, opts = {}) =>
      guardedCall(async () => {
        if (runner.isStopped())
          return refuse('stopped', 'This instance is shutting down; try again in a moment.');
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
        notify(res.value);
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
          const steps = cancelInterrupted(r, user);
          if (alwaysLeft(r.plan, steps)) {
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
          notify(res.value);
          return res;
        }
        const res = await store.transition(id, {
          from: ['pending_approval', 'approved'],
          to: 'cancelled',
          patch: { closedBy: user },
        });
        if (!res.ok) return refused(r, 'cancel', user, res.reason);
        await record(res.value, 'cancel', user, 'cancelled');
        notify(res.value);
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
        runner.cancelStep(id);
        await record(res.value, 'request_cancel', user, 'running', 'stops the step in flight');
        notify(res.value);
        return res;
      }),

    execute: (id) => guardedCall(() => runner.execute(id)),

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
        const steps = reopenForRetry(r);
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
        if (state !== 'interrupted' || runner.isRunning(id)) {
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
        notify(res.value);
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

    idle: () => runner.idle(),

    shutdown: () => runner.shutdown(),

    handOver: () => runner.handOver(),
  };
  return engine;
}
