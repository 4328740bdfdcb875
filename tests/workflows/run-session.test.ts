/**
 * A run's writes to its request go one at a time: the heartbeat and a step's save are both
 * transactions on one document, and side by side they contend (Firestore aborts one and its
 * retry waits a second or more; e2e heals stalled 3 s between steps that way).
 */
import { describe, expect, it } from 'vitest';
import type { GuardedRequest, RequestStore } from '../../src/domain/requests.js';
import { accept } from '../../src/domain/result.js';
import { openSession } from '../../src/workflows/run-session.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a run session', () => {
  it('never writes its request twice at once: heartbeats wait for a step save, and saves for a heartbeat', async () => {
    const request = {
      id: 'r1',
      state: 'running',
      runner: 'inst-a',
      steps: [],
      plan: { steps: [] },
    } as unknown as GuardedRequest;
    let inFlight = 0;
    let most = 0;
    const writes: string[] = [];
    const write = async (what: string) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      writes.push(what);
      await sleep(15);
      inFlight -= 1;
      return accept(request);
    };
    const store = {
      update: (_id: string, patch: object) => write('heartbeatAt' in patch ? 'heartbeat' : 'save'),
      transition: () => write('finish'),
    } as unknown as RequestStore;
    const session = openSession(
      {
        store,
        clock: { now: () => new Date() },
        instanceId: 'inst-a',
        heartbeatMs: 5,
        trail: { record: async () => undefined } as never,
        emit: () => undefined,
        log: () => undefined,
        stopped: () => false,
        onCancelRequested: () => undefined,
      },
      request,
      new AbortController(),
    );
    try {
      for (let i = 0; i < 8; i++) {
        expect(await session.persist({})).toBe(true);
        await sleep(3);
      }
      expect((await session.finish('succeeded')).ok).toBe(true);
    } finally {
      session.close();
    }
    // The heartbeat did beat during the run, and never beside a save or the final transition.
    expect(writes.filter((w) => w === 'heartbeat').length).toBeGreaterThan(0);
    expect(writes.filter((w) => w === 'save')).toHaveLength(8);
    expect(most).toBe(1);
  });
});
