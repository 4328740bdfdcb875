/**
 * Steps marked `always` (a heal pausing the self-heal job first and resuming it last): they run
 * even when a step fails or the run is cancelled; a retry reverts them (pauses again), runs the
 * failed steps, then runs them again, so the job ends resumed exactly once per attempt.
 * Memory store; the real scheduler executors over a fake Cloud Scheduler.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/config.js';
import { makePlan, type Plan, type PlanStep } from '../../src/domain/plan.js';
import type { SchedulerControl, SchedulerJobState, SchedulerPort } from '../../src/domain/ports.js';
import type { GuardedRequest } from '../../src/domain/requests.js';
import { accept, fail, ok, type Probe } from '../../src/domain/result.js';
import { schedulerStep } from '../../src/domain/self-heal-plan.js';
import { createMemoryAuditLog, createMemoryRequestStore } from '../../src/store/memory-requests.js';
import { createEngine, type StepExecutor } from '../../src/workflows/engine.js';
import { schedulerExecutors } from '../../src/workflows/scheduler-executors.js';

const config = loadPipeline('config/pipeline.example.yml');
const JOB = config.selfHeal!.schedulerJob;
const yes = accept(true as const);

/** A Cloud Scheduler job in memory; `failNext` makes the next call of a verb fail. */
function fakeScheduler() {
  let state: SchedulerJobState['state'] = 'ENABLED';
  const calls: string[] = [];
  const failNext: Partial<Record<'pause' | 'resume' | 'run', string>> = {};
  const answer = (): Probe<SchedulerJobState> => ok({ name: JOB, state });
  const verb = (name: 'pause' | 'resume' | 'run', to?: SchedulerJobState['state']) => async () => {
    calls.push(name);
    const f = failNext[name];
    if (f) {
      delete failNext[name];
      return fail('unavailable', f);
    }
    if (to) state = to;
    return answer();
  };
  const port: SchedulerPort & SchedulerControl = {
    getJob: async () => answer(),
    pause: verb('pause', 'PAUSED'),
    resume: verb('resume', 'ENABLED'),
    run: verb('run'),
  };
  return { port, calls, failNext, state: () => state };
}

function harness() {
  const scheduler = fakeScheduler();
  const store = createMemoryRequestStore();
  const audit = createMemoryAuditLog();
  let t = Date.parse('2026-01-21T17:20:00Z');
  const clock = {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
  /** Every step run, with the job's state at that moment: `work:b@PAUSED`. */
  const trail: string[] = [];
  const failuresLeft: Record<string, number> = {};
  const gates: Record<string, Promise<void>> = {};
  const work: StepExecutor = {
    async run(step, _r, { signal }) {
      trail.push(`work:${step.id}@${scheduler.state()}`);
      const gate = gates[step.id];
      if (gate) {
        delete gates[step.id];
        await Promise.race([gate, new Promise((resolve) => signal.addEventListener('abort', resolve))]);
      }
      if (signal.aborted) return fail('error', 'aborted');
      if ((failuresLeft[step.id] ?? 0) > 0) {
        failuresLeft[step.id]! -= 1;
        return fail('unavailable', `${step.id} answered 500`);
      }
      return ok(undefined);
    },
  };
  const executors = { ...schedulerExecutors({ scheduler: scheduler.port, config }), work };
  const progress: string[] = [];
  const engine = (instanceId: string) =>
    createEngine({
      store,
      audit,
      executors,
      clock,
      instanceId,
      heartbeatMs: 60_000,
      staleAfterMs: 30_000,
      onProgress: (r) => {
        progress.push(`${r.state}|${r.steps.map((s) => `${s.id}:${s.status}`).join(',')}`);
      },
    });
  return { scheduler, store, audit, clock, trail, failuresLeft, gates, engine, progress };
}

/** pause → a → b → c → resume (always), as a heal with the self-heal job due plans it. */
function guardedPlan(): Plan {
  const step = (id: string): PlanStep => ({
    id,
    action: 'work',
    label: `Step ${id}`,
    destructive: false,
    undoable: false,
    params: {},
  });
  return makePlan({
    kind: 'heal',
    title: 'Heal 2026-01-20',
    subject: '2026-01-20',
    summary: ['test'],
    steps: [
      schedulerStep('pause', JOB, { id: 'pause' }),
      step('a'),
      step('b'),
      step('c'),
      schedulerStep('resume', JOB, { id: 'resume', always: true }),
    ],
  });
}

type H = ReturnType<typeof harness>;

async function approved(h: H, e = h.engine('inst-a')) {
  const created = await e.submit({
    plan: guardedPlan(),
    requester: 'U0ALICE',
    channel: 'C0OPS',
    ttlMs: 900_000,
  });
  if (!created.ok) throw new Error(created.reason.message);
  const started = await e.approve(created.value.id, 'U0BOB', yes);
  if (!started.ok) throw new Error(started.reason.message);
  return { id: created.value.id, done: started.value.done, engine: e };
}

const statuses = (r: GuardedRequest) => Object.fromEntries(r.steps.map((s) => [s.id, s.status]));

describe('always steps', () => {
  it('run last when everything succeeds, once', async () => {
    const h = harness();
    const { done } = await approved(h);
    const r = await done;
    expect(r.state).toBe('succeeded');
    expect(h.scheduler.calls).toEqual(['pause', 'resume']);
    expect(h.trail).toEqual(['work:a@PAUSED', 'work:b@PAUSED', 'work:c@PAUSED']);
    expect(h.scheduler.state()).toBe('ENABLED');
  });

  it('still run when a middle step fails; the request ends failed and the audit says so', async () => {
    const h = harness();
    h.failuresLeft.b = 1;
    const { id, done } = await approved(h);
    const r = await done;
    expect(r.state).toBe('failed');
    expect(statuses(r)).toEqual({ pause: 'done', a: 'done', b: 'failed', c: 'pending', resume: 'done' });
    expect(h.trail).toEqual(['work:a@PAUSED', 'work:b@PAUSED']); // c never ran
    expect(h.scheduler.calls).toEqual(['pause', 'resume']);
    expect(h.scheduler.state()).toBe('ENABLED');
    // The progress shows the resume step running after the failure, before the end.
    const failedAt = h.progress.findIndex((p) => p.includes('b:failed'));
    const resumeRunning = h.progress.findIndex(
      (p) => p.startsWith('running|') && p.includes('resume:running'),
    );
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(resumeRunning).toBeGreaterThan(failedAt);
    expect(h.progress.at(-1)).toMatch(/^failed\|.*resume:done/);
    const finish = (await h.audit.list({ requestId: id, limit: 50 })).find((a) => a.action === 'finish');
    expect(finish?.outcome).toBe('failed');
    expect(finish?.detail).toMatch(/Failed: Step b: b answered 500/);
    expect(finish?.detail).toMatch(/Done: [^.]*Resume the Cloud Scheduler job/);
    expect(finish?.detail).toMatch(/Not done: Step b; Step c$/);
  });

  it('retry pauses again, runs from the failed step, and resumes at the end (not before)', async () => {
    const h = harness();
    h.failuresLeft.b = 1;
    const { id, done, engine } = await approved(h);
    expect((await done).state).toBe('failed');
    h.trail.length = 0;
    h.scheduler.calls.length = 0;
    const retried = await engine.retry(id, 'U0BOB', yes);
    if (!retried.ok) throw new Error(retried.reason.message);
    const r = await retried.value.done;
    expect(r.state).toBe('succeeded');
    // Re-paused (the resume step's undo), b and c while paused, then resumed once.
    expect(h.scheduler.calls).toEqual(['pause', 'resume']);
    expect(h.trail).toEqual(['work:b@PAUSED', 'work:c@PAUSED']);
    expect(h.scheduler.state()).toBe('ENABLED');
    expect(statuses(r)).toEqual({ pause: 'done', a: 'done', b: 'done', c: 'done', resume: 'done' });
    const trail = (await h.audit.list({ requestId: id, limit: 50 })).map((a) => `${a.action}:${a.outcome}`);
    expect(trail).toEqual([
      'submit:pending_approval',
      'approve:running',
      'finish:failed',
      'retry:running',
      'finish:succeeded',
    ]);
  });

  it('a retry that fails again still resumes the job', async () => {
    const h = harness();
    h.failuresLeft.b = 2;
    const { id, done, engine } = await approved(h);
    await done;
    const retried = await engine.retry(id, 'U0BOB', yes);
    if (!retried.ok) throw new Error(retried.reason.message);
    const r = await retried.value.done;
    expect(r.state).toBe('failed');
    expect(statuses(r)).toMatchObject({ b: 'failed', c: 'pending', resume: 'done' });
    expect(h.scheduler.calls).toEqual(['pause', 'resume', 'pause', 'resume']);
    expect(h.scheduler.state()).toBe('ENABLED');
  });

  it('when the job cannot be paused again, a retry retries nothing and leaves the job running', async () => {
    const h = harness();
    h.failuresLeft.b = 1;
    const { id, done, engine } = await approved(h);
    await done;
    h.trail.length = 0;
    h.scheduler.failNext.pause = 'scheduler down';
    const retried = await engine.retry(id, 'U0BOB', yes);
    if (!retried.ok) throw new Error(retried.reason.message);
    const r = await retried.value.done;
    expect(r.state).toBe('failed');
    expect(h.trail).toEqual([]);
    expect(statuses(r)).toMatchObject({ b: 'pending', resume: 'failed' });
    expect(r.steps.find((s) => s.id === 'resume')?.message).toMatch(/could not revert it before the retry/);
    expect(h.scheduler.state()).toBe('ENABLED');
    // The next retry tries the revert again and then goes through.
    const again = await engine.retry(id, 'U0BOB', yes);
    if (!again.ok) throw new Error(again.reason.message);
    expect((await again.value.done).state).toBe('succeeded');
    expect(h.trail).toEqual(['work:b@PAUSED', 'work:c@PAUSED']);
    expect(h.scheduler.state()).toBe('ENABLED');
  });

  it('a failing always step ends the run failed but the other steps are not affected', async () => {
    const h = harness();
    h.scheduler.failNext.resume = 'scheduler down';
    const { done } = await approved(h);
    const r = await done;
    expect(r.state).toBe('failed');
    expect(statuses(r)).toEqual({ pause: 'done', a: 'done', b: 'done', c: 'done', resume: 'failed' });
    expect(h.scheduler.state()).toBe('PAUSED');
  });

  it('still run when the run is cancelled; the request ends cancelled', async () => {
    const h = harness();
    let release!: () => void;
    h.gates.a = new Promise<void>((resolve) => (release = resolve));
    const { id, done, engine } = await approved(h);
    while (!h.trail.includes('work:a@PAUSED')) await new Promise((resolve) => setTimeout(resolve, 5));
    const asked = await engine.cancel(id, 'U0BOB', yes);
    expect(asked.ok).toBe(true);
    release();
    const r = await done;
    expect(r.state).toBe('cancelled');
    expect(r.closedBy).toBe('U0BOB');
    // The cancel aborts step a in flight; b and c are skipped; the resume still runs.
    expect(statuses(r)).toEqual({ pause: 'done', a: 'failed', b: 'skipped', c: 'skipped', resume: 'done' });
    expect(h.scheduler.state()).toBe('ENABLED');
  });

  it('cancelling an interrupted run runs the always steps on the cancelling instance', async () => {
    const h = harness();
    h.gates.a = new Promise<void>(() => {}); // never released: the runner dies in step a
    const { id, engine } = await approved(h);
    while (!h.trail.includes('work:a@PAUSED')) await new Promise((resolve) => setTimeout(resolve, 5));
    engine.shutdown();
    h.clock.advance(60_000); // its heartbeat is stale now
    const other = h.engine('inst-b');
    const res = await other.cancel(id, 'U0BOB', yes);
    expect(res.ok).toBe(true);
    await other.idle();
    const r = (await h.store.get(id))!;
    expect(r.state).toBe('cancelled');
    expect(statuses(r)).toEqual({ pause: 'done', a: 'failed', b: 'skipped', c: 'skipped', resume: 'done' });
    expect(h.scheduler.state()).toBe('ENABLED');
  });

  it('undo after a successful run leaves the job as it was before (enabled)', async () => {
    const h = harness();
    const { id, done, engine } = await approved(h);
    await done;
    h.scheduler.calls.length = 0;
    const undo = await engine.undo(id, 'U0BOB', yes);
    if (!undo.ok) throw new Error(undo.reason.message);
    expect((await undo.value.done).state).toBe('undone');
    // Reverse order: the resume is undone (pause), then the pause is undone (resume).
    expect(h.scheduler.calls).toEqual(['pause', 'resume']);
    expect(h.scheduler.state()).toBe('ENABLED');
  });
});
