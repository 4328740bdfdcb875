/**
 * One run of a request by this instance: the runner's view of the stored request, its heartbeat,
 * and the only ways it writes. Every write is guarded by `runner === instanceId`, so a runner that
 * lost its claim (its heartbeat went stale and another instance resumed) stops at its next write;
 * the final transition is a compare-and-set on the same condition.
 */
import type { Clock } from '../domain/ports.js';
import {
  describeReport,
  type GuardedRequest,
  type RequestPatch,
  type RequestState,
  type RequestStore,
  type StepRun,
  stepReport,
} from '../domain/requests.js';
import { accept, type Outcome, type Refusal } from '../domain/result.js';
import { withStep } from '../domain/step-transitions.js';
import type { AuditTrail } from './audit-trail.js';

export interface SessionDeps {
  store: RequestStore;
  clock: Clock;
  instanceId: string;
  heartbeatMs: number;
  trail: AuditTrail;
  emit: (request: GuardedRequest) => void;
  log: (line: object) => void;
  /** Whether this instance is shutting down (it then writes nothing more). */
  stopped: () => boolean;
  /** A Cancel clicked on another instance, seen in the stored request at a heartbeat. */
  onCancelRequested: () => void;
}

export interface RunSession {
  /** The request as this run last wrote or read it. */
  readonly current: GuardedRequest;
  /** Aborted at shutdown or when the claim is lost. */
  readonly signal: AbortSignal;
  /** True once this run may write nothing more (shutdown, or the claim was lost). */
  ended(): boolean;
  /** Write the runner's progress; false when this instance may no longer write. */
  persist(patch: RequestPatch): Promise<boolean>;
  /** Persist one step's new state. */
  saveStep(next: StepRun): Promise<boolean>;
  /** The final transition, a compare-and-set on `runner === instanceId`. */
  finish(to: RequestState, patch?: RequestPatch): Promise<Outcome<GuardedRequest>>;
  /** The outcome of a run that stopped before its end. */
  stoppedEarly(): Outcome<GuardedRequest>;
  /** Stop the heartbeat. */
  close(): void;
}

export function openSession(
  deps: SessionDeps,
  request: GuardedRequest,
  controller: AbortController,
): RunSession {
  const { store, clock, instanceId, log } = deps;
  const id = request.id;
  const self = `instance:${instanceId}`;
  const guard = { states: ['running'] as RequestState[], runner: instanceId };
  let current = request;
  let lost = false;
  const ended = () => deps.stopped() || lost;

  const lose = (reason: Refusal) => {
    lost = true;
    controller.abort();
    log({ event: 'guarded.claim_lost', requestId: id, instance: instanceId, reason: reason.message });
  };

  /**
   * This session's writes to its request, one at a time: a heartbeat and a step's save are both
   * transactions on the one document, and side by side they contend (Firestore aborts one and the
   * client retries it after a backoff of a second or more, which stalled runs between steps).
   */
  let writes: Promise<unknown> = Promise.resolve();
  const serially = <T>(write: () => Promise<T>): Promise<T> => {
    const next = writes.then(write, write);
    writes = next.catch(() => undefined);
    return next;
  };

  let beating = false;
  const timer = setInterval(() => {
    if (beating || ended()) return;
    beating = true;
    serially(() => store.update(id, { heartbeatAt: clock.now() }, guard))
      .then((res) => {
        if (!res.ok) lose(res.reason);
        else if (res.value.cancelRequestedBy) deps.onCancelRequested();
      })
      .catch((error: unknown) =>
        log({ event: 'guarded.heartbeat_failed', requestId: id, error: String(error) }),
      )
      .finally(() => {
        beating = false;
      });
  }, deps.heartbeatMs);
  timer.unref();

  const session: RunSession = {
    get current() {
      return current;
    },
    signal: controller.signal,
    ended,
    async persist(patch) {
      if (ended()) return false;
      const res = await serially(() => store.update(id, patch, guard));
      if (!res.ok) {
        lose(res.reason);
        return false;
      }
      current = res.value;
      deps.emit(current);
      return true;
    },
    saveStep: (next) => session.persist({ steps: withStep(current.steps, next) }),
    async finish(to, patch = {}) {
      if (ended()) return { ok: false, reason: { code: 'stopped', message: 'The run stopped.' } };
      const res = await serially(() =>
        store.transition(id, {
          from: ['running'],
          to,
          expectRunner: instanceId,
          patch: { ...patch, cancelRequestedBy: undefined },
        }),
      );
      if (!res.ok) {
        lose(res.reason);
        return res;
      }
      current = res.value;
      await deps.trail.record(current, 'finish', self, to, describeReport(stepReport(current)));
      deps.emit(current);
      return accept(current);
    },
    stoppedEarly: () =>
      ended()
        ? { ok: false, reason: { code: 'stopped', message: 'The run stopped before it ended.' } }
        : accept(current),
    close: () => clearInterval(timer),
  };
  return session;
}
