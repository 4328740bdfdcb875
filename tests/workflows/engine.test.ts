import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type JsonValue, makePlan, type Plan, type PlanStep } from '../../src/domain/plan.js';
import { mayApprove } from '../../src/domain/policy.js';
import type { AuditLog, GuardedRequest, RequestStore } from '../../src/domain/requests.js';
import { accept, fail, ok, refuse } from '../../src/domain/result.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from '../../src/store/firestore-requests.js';
import { createMemoryAuditLog, createMemoryRequestStore } from '../../src/store/memory-requests.js';
import { createEngine, type EngineDeps, type StepExecutor } from '../../src/workflows/engine.js';
import { testFirestore } from '../helpers/firestore.js';

const T0 = Date.parse('2026-01-21T10:00:00.000Z');
const TTL = 15 * 60_000;
const yes = accept(true as const);

function fakeClock() {
  let t = T0;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A tiny "database" the executors delete from and restore into, and a log of every call. */
function world() {
  const db = new Map<string, JsonValue>([
    ['run_history/a', { status: 'running', processor: 'p3' }],
    ['run_history/b', { status: 'running', processor: 'p3' }],
  ]);
  const calls: string[] = [];
  const count = (what: string) => calls.filter((c) => c === what).length;
  return { db, calls, count };
}

function plan(subject = '2026-01-20', extra: Partial<PlanStep>[] = []): Plan {
  const steps: PlanStep[] = [
    {
      id: 'clear',
      action: 'clear_run_history',
      label: 'Delete stuck run_history docs',
      destructive: true,
      undoable: true,
      params: { docs: ['run_history/a', 'run_history/b'] },
    },
    {
      id: 'traffic',
      action: 'update_traffic',
      label: 'Route traffic to rev-2',
      destructive: true,
      undoable: true,
      params: { service: 'p3', revision: 'rev-2' },
    },
    {
      id: 'trigger',
      action: 'trigger_phase',
      label: 'Trigger phase 3',
      destructive: false,
      undoable: false,
      params: { phase: 'phase3', date: subject },
    },
    ...extra.map((s, i) => ({
      id: `extra${i}`,
      action: 'noop',
      label: `Extra ${i}`,
      destructive: false,
      undoable: false,
      params: {},
      ...s,
    })),
  ];
  return makePlan({ kind: 'heal', title: `Heal ${subject}`, subject, summary: ['heal'], steps });
}

type Harness = ReturnType<typeof harness>;

function harness(opts: { store?: RequestStore; audit?: AuditLog; fail?: Record<string, number> } = {}) {
  const w = world();
  const clock = fakeClock();
  const store = opts.store ?? createMemoryRequestStore();
  const audit = opts.audit ?? createMemoryAuditLog();
  let traffic: JsonValue = { 'rev-1': 100 };
  const failuresLeft = { ...(opts.fail ?? {}) };
  /** Lets a test hold a step open: set `gate[stepId]` to a promise the step awaits. */
  const gate: Record<string, (signal: AbortSignal) => Promise<void>> = {};
  const started: Record<string, () => void> = {};

  const hold = async (step: PlanStep, signal: AbortSignal) => {
    started[step.id]?.();
    const g = gate[step.id];
    if (g) {
      delete gate[step.id];
      await g(signal);
    }
    if (signal.aborted) return fail('error', 'aborted');
    if ((failuresLeft[step.id] ?? 0) > 0) {
      failuresLeft[step.id]! -= 1;
      return fail('unavailable', `${step.id} answered 503`);
    }
    return undefined;
  };

  const executors: Record<string, StepExecutor> = {
    clear_run_history: {
      async snapshot(step) {
        w.calls.push(`snapshot:${step.id}`);
        const docs = step.params.docs as string[];
        return ok(Object.fromEntries(docs.filter((d) => w.db.has(d)).map((d) => [d, w.db.get(d)!])));
      },
      async run(step, request, { snapshot, signal }) {
        w.calls.push(`run:${step.id}`);
        // The snapshot must already be stored when the write starts.
        const stored = (await store.get(request.id))?.steps.find((s) => s.id === step.id)?.snapshot;
        w.calls.push(`stored-snapshot-before-write:${JSON.stringify(stored) === JSON.stringify(snapshot)}`);
        const held = await hold(step, signal);
        if (held) return held;
        for (const d of step.params.docs as string[]) w.db.delete(d);
        return ok(undefined);
      },
      async undo(step, data) {
        w.calls.push(`undo:${step.id}`);
        for (const [k, v] of Object.entries(data.snapshot as Record<string, JsonValue>)) w.db.set(k, v);
        return ok(null);
      },
    },
    update_traffic: {
      async run(step, _request, { signal }) {
        w.calls.push(`run:${step.id}`);
        const held = await hold(step, signal);
        if (held) return held;
        const previous = traffic;
        traffic = { [step.params.revision as string]: 100 };
        return ok({ previous });
      },
      async undo(step, data) {
        w.calls.push(`undo:${step.id}`);
        traffic = (data.undoData as { previous: JsonValue }).previous;
        return ok(null);
      },
    },
    trigger_phase: {
      async run(step, _request, { signal }) {
        w.calls.push(`run:${step.id}`);
        return (await hold(step, signal)) ?? ok(undefined);
      },
    },
    noop: {
      async run(step, _request, { signal }) {
        w.calls.push(`run:${step.id}`);
        return (await hold(step, signal)) ?? ok(undefined);
      },
    },
  };

  const progress: string[] = [];
  const logs: object[] = [];
  const engine = (instanceId: string, over: Partial<EngineDeps> = {}) =>
    createEngine({
      store,
      audit,
      executors,
      clock,
      instanceId,
      onProgress: (r) => {
        progress.push(`${r.state}|${r.steps.map((s) => `${s.id}:${s.status}`).join(',')}`);
      },
      log: (line) => logs.push(line),
      ...over,
    });

  /** Resolves when `stepId` starts running. */
  const whenStarted = (stepId: string) => new Promise<void>((resolve) => (started[stepId] = resolve));

  return {
    ...w,
    clock,
    store,
    audit,
    engine,
    progress,
    logs,
    gate,
    whenStarted,
    traffic: () => traffic,
    executors,
  };
}

async function submitted(e: ReturnType<Harness['engine']>, p = plan()): Promise<GuardedRequest> {
  const created = await e.submit({ plan: p, requester: 'U0REQUESTER', channel: 'C0PIPELINE', ttlMs: TTL });
  if (!created.ok) throw new Error(created.reason.message);
  return created.value;
}

const auditTrail = async (h: Harness, id: string) =>
  (await h.audit.list({ requestId: id, limit: 100 })).map((e) => `${e.action}:${e.actor}:${e.outcome}`);

async function concurrentApprovals(h: Harness) {
  // Two instances, ten clicks each: a double click, a retried delivery and a second replica.
  const engines = [h.engine('inst-a'), h.engine('inst-b')];
  const r = await submitted(engines[0]!);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => engines[i % 2]!.approve(r.id, `U0APPROVER${i}`, yes)),
  );
  const winners = results.filter((x) => x.ok);
  expect(winners).toHaveLength(1);
  const winner = winners[0]!;
  if (!winner.ok) return;
  const final = await winner.value.done;
  expect(final.state).toBe('succeeded');
  for (const x of results) {
    if (!x.ok)
      expect(x.reason.message).toMatch(
        /already (running|finished \(succeeded\)), approved by <@U0APPROVER\d+>/,
      );
  }
  expect(h.count('snapshot:clear')).toBe(1);
  expect(h.count('run:clear')).toBe(1);
  expect(h.count('run:traffic')).toBe(1);
  expect(h.count('run:trigger')).toBe(1);
  const trail = await auditTrail(h, r.id);
  expect(trail.filter((t) => t.startsWith('approve:') && t.endsWith(':running'))).toHaveLength(1);
  expect(trail.filter((t) => t.startsWith('approve:') && t.includes(':refused:'))).toHaveLength(19);
}

describe('guarded-action engine', () => {
  it('runs an approved plan step by step, reporting progress in order', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const r = await submitted(e);
    expect(r.state).toBe('pending_approval');

    const approved = await e.approve(r.id, 'U0APPROVER', yes, { planHash: r.planHash });
    expect(approved.ok).toBe(true);
    if (!approved.ok) return;
    expect(approved.value.request).toMatchObject({
      state: 'running',
      approver: 'U0APPROVER',
      runner: 'inst-a',
    });
    const final = await approved.value.done;

    expect(final.state).toBe('succeeded');
    expect(final.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(h.progress).toEqual([
      'running|clear:pending,traffic:pending,trigger:pending',
      'running|clear:running,traffic:pending,trigger:pending',
      // the snapshot is persisted (and reported) before the write
      'running|clear:running,traffic:pending,trigger:pending',
      'running|clear:done,traffic:pending,trigger:pending',
      'running|clear:done,traffic:running,trigger:pending',
      'running|clear:done,traffic:done,trigger:pending',
      'running|clear:done,traffic:done,trigger:running',
      'running|clear:done,traffic:done,trigger:done',
      'succeeded|clear:done,traffic:done,trigger:done',
    ]);
    expect(h.calls).toEqual([
      'snapshot:clear',
      'run:clear',
      'stored-snapshot-before-write:true',
      'run:traffic',
      'run:trigger',
    ]);
    expect(h.db.size).toBe(0);
    expect(await auditTrail(h, r.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'approve:U0APPROVER:running',
      'finish:instance:inst-a:succeeded',
    ]);
    const entries = await h.audit.list({ requestId: r.id, limit: 100 });
    expect(entries.every((x) => x.planHash === r.planHash && x.subject === '2026-01-20')).toBe(true);
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        event: 'guarded.audit',
        action: 'approve',
        requestId: r.id,
        outcome: 'running',
      }),
    );
  });

  it('refuses a second request for the same subject and points at the first', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const first = await submitted(e);
    const second = await e.submit({ plan: plan(), requester: 'U0OTHER', channel: 'C0PIPELINE', ttlMs: TTL });
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.reason).toMatchObject({ code: 'active_exists', existingId: first.id });
    expect((await h.audit.list({ limit: 10 })).map((x) => x.outcome)).toEqual([
      'pending_approval',
      'refused:active_exists',
    ]);
  });

  it('refuses a plan whose hash does not match it or that it cannot run', async () => {
    const h = harness();
    const p = plan();
    const tampered = { ...p, steps: p.steps.slice(1) };
    const res = await h
      .engine('inst-a')
      .submit({ plan: tampered, requester: 'U0REQUESTER', channel: 'C0PIPELINE', ttlMs: TTL });
    expect(res).toMatchObject({ ok: false, reason: { code: 'plan_hash' } });
    const unknown = await h.engine('inst-a').submit({
      plan: plan('2026-01-20', [{ action: 'drop_table' }]),
      requester: 'U0REQUESTER',
      channel: 'C0PIPELINE',
      ttlMs: TTL,
    });
    expect(unknown).toMatchObject({ ok: false, reason: { code: 'unknown_action' } });
    expect((await h.audit.list({ limit: 10 })).map((x) => x.outcome)).toEqual([
      'refused:plan_hash',
      'refused:unknown_action',
    ]);
  });

  it('executes exactly once when 20 approvals race', async () => {
    await concurrentApprovals(harness());
  });

  it('passes the approver policy decision through and audits its refusal', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const r = await submitted(e);
    const access = {
      operators: { users: [] },
      approvers: { userGroup: 'S0ONCALL01', users: ['U0APPROVER'] },
      channels: [],
      twoPersonRule: true,
    };
    const own = await e.approve(r.id, 'U0REQUESTER', (req) =>
      mayApprove({ user: 'U0REQUESTER', request: req, access, approverIds: ['U0REQUESTER'] }),
    );
    expect(own).toMatchObject({ ok: false, reason: { code: 'two_person_rule' } });
    expect((await h.store.get(r.id))?.state).toBe('pending_approval');
    expect(await auditTrail(h, r.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'approve:U0REQUESTER:refused:two_person_rule',
    ]);
    expect(h.calls).toEqual([]);
  });

  it('stops at a failed step, says what was and was not done, and retry continues from it', async () => {
    const h = harness({ fail: { traffic: 1 } });
    const e = h.engine('inst-a');
    const r = await submitted(e);
    const approved = await e.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    const failed = await approved.value.done;

    expect(failed.state).toBe('failed');
    expect(failed.steps.map((s) => s.status)).toEqual(['done', 'failed', 'pending']);
    expect(failed.steps[1]?.message).toBe('traffic answered 503');
    const finish = (await h.audit.list({ requestId: r.id, limit: 10 })).at(-1);
    expect(finish).toMatchObject({ action: 'finish', outcome: 'failed' });
    expect(finish?.detail).toBe(
      'Failed: Route traffic to rev-2: traffic answered 503. Done: Delete stuck run_history docs. Not done: Route traffic to rev-2; Trigger phase 3',
    );

    expect(
      await e.retry(r.id, 'U0APPROVER', refuse('not_approver', 'Only approvers can retry this.')),
    ).toMatchObject({ ok: false });
    const retried = await e.retry(r.id, 'U0APPROVER');
    if (!retried.ok) throw new Error(retried.reason.message);
    const final = await retried.value.done;
    expect(final.state).toBe('succeeded');
    expect(h.count('run:clear')).toBe(1);
    expect(h.count('snapshot:clear')).toBe(1);
    expect(h.count('run:traffic')).toBe(2);
    expect(h.count('run:trigger')).toBe(1);
    expect(await auditTrail(h, r.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'approve:U0APPROVER:running',
      'finish:instance:inst-a:failed',
      'retry:U0APPROVER:refused:not_approver',
      'retry:U0APPROVER:running',
      'finish:instance:inst-a:succeeded',
    ]);
  });

  it('does not write when the snapshot cannot be read', async () => {
    const h = harness();
    h.executors.clear_run_history!.snapshot = async () => fail('unavailable', 'Firestore answered 503');
    const e = h.engine('inst-a');
    const r = await submitted(e);
    const approved = await e.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    const final = await approved.value.done;
    expect(final.state).toBe('failed');
    expect(final.steps[0]?.message).toContain('nothing was changed');
    expect(h.count('run:clear')).toBe(0);
    expect(h.db.size).toBe(2);
  });

  it('resumes on another instance after the runner stops heartbeating, exactly once', async () => {
    const h = harness();
    const a = h.engine('inst-a', { heartbeatMs: 3_600_000, staleAfterMs: 30_000 });
    const b = h.engine('inst-b', { staleAfterMs: 30_000 });
    const c = h.engine('inst-c', { staleAfterMs: 30_000 });
    const r = await submitted(a);
    // The traffic step hangs until the instance dies (its signal aborts).
    h.gate.traffic = (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
    const trafficStarted = h.whenStarted('traffic');
    const approved = await a.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    await trafficStarted;

    // Alive: nobody may take it over.
    const early = await b.resume(r.id, 'U0APPROVER');
    expect(early).toMatchObject({ ok: false, reason: { code: 'conflict' } });
    if (!early.ok) expect(early.reason.message).toContain('inst-a is alive');

    a.shutdown(); // the instance is killed: no more heartbeats, no more writes
    await a.idle();
    const stuck = (await h.store.get(r.id))!;
    expect(stuck.state).toBe('running');
    expect(stuck.steps.map((s) => s.status)).toEqual(['done', 'running', 'pending']);
    expect((await b.status(r.id))?.state).toBe('running');

    h.clock.advance(31_000);
    expect((await b.status(r.id))?.state).toBe('interrupted');
    expect((await b.expireStale()).interrupted.map((x) => x.id)).toEqual([r.id]);

    // Two instances resume at once: one wins the CAS on version.
    const [rb, rc] = await Promise.all([b.resume(r.id, 'U0APPROVER'), c.resume(r.id, 'U0OTHER')]);
    const winners = [rb, rc].filter((x) => x.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    if (!winner.ok) return;
    const final = await winner.value.done;
    expect(final.state).toBe('succeeded');
    expect(['inst-b', 'inst-c']).toContain(final.runner);
    expect(h.count('run:clear')).toBe(1);
    expect(h.count('run:traffic')).toBe(2); // the interrupted step runs again
    expect(h.count('run:trigger')).toBe(1);
    const trail = await auditTrail(h, r.id);
    expect(trail.filter((t) => t.startsWith('resume:'))).toHaveLength(3);
    expect(trail.filter((t) => t.startsWith('resume:') && t.endsWith(':running'))).toHaveLength(1);
  });

  it('keeps a live runner alive with heartbeats', async () => {
    const h = harness();
    const a = h.engine('inst-a', { heartbeatMs: 5, staleAfterMs: 30_000 });
    const b = h.engine('inst-b', { staleAfterMs: 30_000 });
    const r = await submitted(a);
    let release!: () => void;
    h.gate.traffic = () => new Promise((resolve) => (release = resolve));
    const started = h.whenStarted('traffic');
    const approved = await a.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    await started;
    for (let i = 0; i < 3; i++) {
      h.clock.advance(20_000);
      // A heartbeat lands at the new time (the timer is real, the clock is not).
      await vi.waitFor(async () => expect((await h.store.get(r.id))?.heartbeatAt).toEqual(h.clock.now()));
      expect((await b.status(r.id))?.state).toBe('running');
    }
    expect(await b.resume(r.id, 'U0APPROVER')).toMatchObject({ ok: false });
    release();
    expect((await approved.value.done).state).toBe('succeeded');
  });

  it('fences a runner that lost its claim: it writes nothing and runs no further step', async () => {
    const h = harness();
    const a = h.engine('inst-a', { heartbeatMs: 3_600_000 });
    const b = h.engine('inst-b');
    const r = await submitted(a);
    let releaseA!: () => void;
    // A long pause on A: its step ignores the signal and comes back late, while B holds the claim.
    h.gate.traffic = () => new Promise((resolve) => (releaseA = resolve));
    const aStarted = h.whenStarted('traffic');
    const approved = await a.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    await aStarted;
    h.clock.advance(31_000);

    let releaseB!: () => void;
    h.gate.trigger = () => new Promise((resolve) => (releaseB = resolve));
    const bAtTrigger = h.whenStarted('trigger');
    const resumed = await b.resume(r.id, 'U0APPROVER');
    if (!resumed.ok) throw new Error(resumed.reason.message);
    await bAtTrigger;
    const versionWhileB = (await h.store.get(r.id))!.version;

    releaseA();
    const late = await approved.value.done;
    expect(late).toMatchObject({ state: 'running', runner: 'inst-b' });
    expect((await h.store.get(r.id))!.version).toBe(versionWhileB);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ event: 'guarded.claim_lost', instance: 'inst-a' }),
    );

    releaseB();
    const final = await resumed.value.done;
    expect(final).toMatchObject({ state: 'succeeded', runner: 'inst-b' });
    expect(h.count('run:traffic')).toBe(2);
    expect(h.count('run:trigger')).toBe(1);
  });

  it('refuses the final transition of a runner another instance took over after its last step', async () => {
    const inner = createMemoryRequestStore();
    let takeover: GuardedRequest | undefined;
    // Another instance resumes the request between inst-a's last step write and its final transition:
    // that transition is then the first write inst-a tries, so only its runner check can stop it.
    const store: RequestStore = {
      ...inner,
      async transition(id, spec) {
        if (!takeover && spec.to === 'succeeded') {
          const current = (await inner.get(id))!;
          const taken = await inner.transition(id, {
            from: ['running'],
            to: 'running',
            expectVersion: current.version,
            patch: { runner: 'inst-b', heartbeatAt: new Date(T0) },
          });
          if (!taken.ok) throw new Error(taken.reason.message);
          takeover = taken.value;
        }
        return inner.transition(id, spec);
      },
    };
    const h = harness({ store });
    const a = h.engine('inst-a', { heartbeatMs: 3_600_000 });
    const r = await submitted(a);
    const approved = await a.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    const late = await approved.value.done;

    expect(takeover?.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(late).toMatchObject({ state: 'running', runner: 'inst-b', version: takeover!.version });
    expect(await h.store.get(r.id)).toMatchObject({ state: 'running', runner: 'inst-b' });
    expect(h.logs).toContainEqual(
      expect.objectContaining({ event: 'guarded.claim_lost', instance: 'inst-a' }),
    );
    expect((await auditTrail(h, r.id)).filter((t) => t.startsWith('finish:'))).toEqual([]);
  });

  it('refuses and audits approval of an expired request', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const r = await submitted(e);
    h.clock.advance(TTL + 1);
    const res = await e.approve(r.id, 'U0APPROVER', yes);
    expect(res).toMatchObject({ ok: false, reason: { code: 'expired' } });
    if (!res.ok) expect(res.reason.message).toContain('10:15 UTC');
    expect((await h.store.get(r.id))?.state).toBe('expired');
    expect(h.calls).toEqual([]);
    expect(await auditTrail(h, r.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'expire:system:expired',
      'approve:U0APPROVER:refused:expired',
    ]);
    // Any follow-up on a request past its expiry is refused the same way.
    const other = await submitted(e, plan('2026-01-19'));
    h.clock.advance(TTL + 1);
    expect(await e.cancel(other.id, 'U0REQUESTER')).toMatchObject({ ok: false, reason: { code: 'expired' } });
    expect((await h.store.get(other.id))?.state).toBe('expired');
    // Expired releases the subject: a new request for the date may be made.
    expect(
      (await e.submit({ plan: plan(), requester: 'U0REQUESTER', channel: 'C0PIPELINE', ttlMs: TTL })).ok,
    ).toBe(true);
  });

  it('expires stale pending requests in bulk', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const old = await submitted(e, plan('2026-01-18'));
    h.clock.advance(TTL - 1000);
    const fresh = await submitted(e, plan('2026-01-19'));
    h.clock.advance(2000);
    const { expired } = await e.expireStale();
    expect(expired.map((x) => x.id)).toEqual([old.id]);
    expect((await h.store.get(fresh.id))?.state).toBe('pending_approval');
    expect(await auditTrail(h, old.id)).toContain('expire:system:expired');
  });

  it('undoes done undoable steps in reverse with the snapshots taken before the writes', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const before = structuredClone([...h.db.entries()]);
    const r = await submitted(e);
    const approved = await e.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    const done = await approved.value.done;
    expect(h.db.size).toBe(0);
    expect(h.traffic()).toEqual({ 'rev-2': 100 });
    expect(done.steps[0]?.snapshot).toEqual(Object.fromEntries(before));
    expect(done.steps[1]?.undoData).toEqual({ previous: { 'rev-1': 100 } });

    const undo = await e.undo(r.id, 'U0APPROVER');
    if (!undo.ok) throw new Error(undo.reason.message);
    const undone = await undo.value.done;
    expect(undone).toMatchObject({ state: 'undone', mode: 'undo', closedBy: 'U0APPROVER' });
    expect(undone.steps.map((s) => s.status)).toEqual(['undone', 'undone', 'done']);
    expect(h.calls.filter((c) => c.startsWith('undo:'))).toEqual(['undo:traffic', 'undo:clear']);
    expect([...h.db.entries()]).toEqual(before);
    expect(h.traffic()).toEqual({ 'rev-1': 100 });

    expect(await e.undo(r.id, 'U0APPROVER')).toMatchObject({ ok: false, reason: { code: 'conflict' } });
    expect(await auditTrail(h, r.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'approve:U0APPROVER:running',
      'finish:instance:inst-a:succeeded',
      'undo:U0APPROVER:running',
      'finish:instance:inst-a:undone',
      'undo:U0APPROVER:refused:conflict',
    ]);
  });

  it('undo restores a failed destructive step from its snapshot', async () => {
    const h = harness({ fail: { clear: 1 } });
    const e = h.engine('inst-a');
    const r = await submitted(e);
    const approved = await e.approve(r.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    expect((await approved.value.done).state).toBe('failed');
    const undo = await e.undo(r.id, 'U0APPROVER');
    if (!undo.ok) throw new Error(undo.reason.message);
    expect((await undo.value.done).steps.map((s) => s.status)).toEqual(['undone', 'pending', 'pending']);
    expect(h.calls.filter((c) => c.startsWith('undo:'))).toEqual(['undo:clear']);
  });

  it('rejects and cancels pending requests, and stops a running one, aborting its step in flight', async () => {
    const h = harness();
    const e = h.engine('inst-a');
    const r1 = await submitted(e, plan('2026-01-10'));
    expect(await e.reject(r1.id, 'U0APPROVER')).toMatchObject({ ok: true, value: { state: 'rejected' } });
    const late = await e.approve(r1.id, 'U0APPROVER', yes);
    expect(late).toMatchObject({ ok: false });
    if (!late.ok) expect(late.reason.message).toContain('already rejected by <@U0APPROVER>');

    const r2 = await submitted(e, plan('2026-01-11'));
    expect(await e.cancel(r2.id, 'U0REQUESTER')).toMatchObject({ ok: true, value: { state: 'cancelled' } });

    const r3 = await submitted(e, plan('2026-01-12'));
    let release!: () => void;
    h.gate.traffic = () => new Promise((resolve) => (release = resolve));
    const started = h.whenStarted('traffic');
    const approved = await e.approve(r3.id, 'U0APPROVER', yes);
    if (!approved.ok) throw new Error(approved.reason.message);
    await started;
    const asked = await e.cancel(r3.id, 'U0REQUESTER');
    expect(asked).toMatchObject({ ok: true, value: { state: 'running', cancelRequestedBy: 'U0REQUESTER' } });
    release();
    const final = await approved.value.done;
    expect(final).toMatchObject({ state: 'cancelled', closedBy: 'U0REQUESTER' });
    // Cancel aborts the step in flight (its executor sees the signal), and skips the rest.
    expect(final.steps.map((s) => s.status)).toEqual(['done', 'failed', 'skipped']);
    expect(h.count('run:trigger')).toBe(0);
    expect(final).not.toHaveProperty('cancelRequestedBy');
    expect(await auditTrail(h, r3.id)).toEqual([
      'submit:U0REQUESTER:pending_approval',
      'approve:U0APPROVER:running',
      'request_cancel:U0REQUESTER:running',
      'finish:instance:inst-a:cancelled',
    ]);
  });

  it('cancels an interrupted request at once, marking the step caught mid-write failed', async () => {
    const h = harness();
    const a = h.engine('inst-a', { heartbeatMs: 3_600_000 });
    const b = h.engine('inst-b');
    const r = await submitted(a);
    h.gate.traffic = (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
    const started = h.whenStarted('traffic');
    await a.approve(r.id, 'U0APPROVER', yes);
    await started;
    a.shutdown();
    await a.idle();
    h.clock.advance(31_000);
    const res = await b.cancel(r.id, 'U0APPROVER');
    expect(res).toMatchObject({ ok: true, value: { state: 'cancelled' } });
    if (res.ok) expect(res.value.steps.map((s) => s.status)).toEqual(['done', 'failed', 'skipped']);
  });
});

// Needs the Firestore emulator (tests/global-setup.ts sets FIRESTORE_EMULATOR_HOST); skipped without it.
describe.skipIf(!process.env.FIRESTORE_EMULATOR_HOST)('guarded-action engine on Firestore', () => {
  let db: Firestore;
  beforeAll(() => {
    db = testFirestore();
  });
  afterAll(async () => {
    await db?.terminate();
  });

  it('executes exactly once when 20 approvals race', async () => {
    await concurrentApprovals(
      harness({ store: createFirestoreRequestStore(db), audit: createFirestoreAuditLog(db) }),
    );
  });
});
