import { describe, expect, it } from 'vitest';
import { makePlan } from '../../src/domain/plan.js';
import {
  canTransition,
  checkTransition,
  describeReport,
  effectiveState,
  type GuardedRequest,
  lockKey,
  stepReport,
} from '../../src/domain/requests.js';

const t0 = new Date('2026-01-21T10:00:00Z');
const plus = (ms: number) => new Date(t0.getTime() + ms);

function req(over: Partial<GuardedRequest> = {}): GuardedRequest {
  const plan = makePlan({
    kind: 'backfill',
    title: 'Backfill',
    subject: 'raw/bdl 2026-01-01..2026-01-05',
    summary: [],
    steps: ['a', 'b', 'c'].map((id) => ({
      id,
      action: 'run_job',
      label: `Step ${id}`,
      destructive: false,
      undoable: false,
      params: {},
    })),
  });
  return {
    id: 'r1',
    plan,
    planHash: plan.hash,
    requester: 'U0ALICE',
    channel: 'C0PIPELINE',
    createdAt: t0,
    expiresAt: plus(15 * 60_000),
    state: 'pending_approval',
    mode: 'run',
    steps: plan.steps.map((s) => ({ id: s.id, status: 'pending' })),
    version: 1,
    ...over,
  };
}

describe('effectiveState', () => {
  it('expires a pending request at its expiry', () => {
    expect(effectiveState(req(), plus(15 * 60_000 - 1), 30_000)).toBe('pending_approval');
    expect(effectiveState(req(), plus(15 * 60_000), 30_000)).toBe('expired');
  });

  it('reads a running request with a stale heartbeat as interrupted', () => {
    const running = req({ state: 'running', heartbeatAt: plus(60_000) });
    expect(effectiveState(running, plus(90_000), 30_000)).toBe('running');
    expect(effectiveState(running, plus(90_001), 30_000)).toBe('interrupted');
    // Running requests do not expire.
    expect(effectiveState(running, plus(3_600_000), 1e9)).toBe('running');
  });

  it('leaves finished states alone', () => {
    expect(effectiveState(req({ state: 'succeeded' }), plus(1e9), 1)).toBe('succeeded');
  });
});

describe('transitions', () => {
  it('allow the claim in one step and forbid leaving terminal states', () => {
    expect(canTransition('pending_approval', 'running')).toBe(true);
    expect(canTransition('running', 'running')).toBe(true);
    expect(canTransition('rejected', 'running')).toBe(false);
    expect(canTransition('undone', 'running')).toBe(false);
    expect(canTransition('pending_approval', 'succeeded')).toBe(false);
  });

  it('explain a conflict with the current state and who holds it', () => {
    const running = req({ state: 'running', approver: 'U0BOB', runner: 'inst-a' });
    expect(checkTransition(running, { from: ['pending_approval'], to: 'running' })).toEqual({
      code: 'conflict',
      message: 'This request is already running, approved by <@U0BOB>.',
    });
    expect(
      checkTransition(running, { from: ['running'], to: 'failed', expectRunner: 'inst-b' })?.message,
    ).toContain('inst-a');
    expect(checkTransition(running, { from: ['running'], to: 'failed', expectVersion: 1 })).toBeUndefined();
  });
});

describe('reports', () => {
  it('say what was done and what was not', () => {
    const r = req({
      steps: [
        { id: 'a', status: 'done' },
        { id: 'b', status: 'failed', message: 'job failed' },
        { id: 'c', status: 'pending' },
      ],
    });
    expect(stepReport(r)).toEqual({
      done: ['Step a'],
      notDone: ['Step b', 'Step c'],
      undone: [],
      failed: { label: 'Step b', message: 'job failed' },
    });
    expect(describeReport(stepReport(r))).toBe(
      'Failed: Step b: job failed. Done: Step a. Not done: Step b; Step c',
    );
  });

  it('make lock keys that are valid Firestore document ids', () => {
    expect(lockKey('backfill', 'raw/bdl 2026-01-01')).not.toContain('/');
  });
});
