/**
 * One contract for every RequestStore/AuditLog: the in-memory store used by the demo and the
 * Firestore store, the latter against the real emulator.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlan, type PlanKind, planHashMatches } from '../../src/domain/plan.js';
import type { AuditEntry, AuditLog, GuardedRequest, RequestStore } from '../../src/domain/requests.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from '../../src/store/firestore-requests.js';
import { createMemoryAuditLog, createMemoryRequestStore } from '../../src/store/memory-requests.js';
import { testFirestore } from '../helpers/firestore.js';

interface Stores {
  store: RequestStore;
  audit: AuditLog;
}

const t0 = new Date('2026-01-21T10:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function request(over: { id?: string; subject?: string; kind?: PlanKind } = {}): GuardedRequest {
  const plan = makePlan({
    kind: over.kind ?? 'heal',
    title: `Heal ${over.subject ?? '2026-01-20'}`,
    subject: over.subject ?? '2026-01-20',
    summary: ['clear 2 stuck runs', 'trigger phase 3'],
    evidence: ['phase3 has 0 rows'],
    steps: [
      {
        id: 'clear',
        action: 'clear_run_history',
        label: 'Delete 2 stuck run_history documents',
        destructive: true,
        undoable: true,
        // Arrays inside arrays: Firestore cannot store these natively.
        params: {
          docs: ['a', 'b'],
          matrix: [
            [1, 2],
            [3, [4.5, null]],
          ],
          nested: { deep: { é: 'ü', n: -7 } },
        },
      },
      {
        id: 'trigger',
        action: 'trigger_phase',
        label: 'Trigger phase 3',
        destructive: false,
        undoable: false,
        params: { phase: 'phase3', date: '2026-01-20' },
      },
    ],
  });
  return {
    id: over.id ?? `req-${randomUUID()}`,
    plan,
    planHash: plan.hash,
    requester: 'U0REQUESTER',
    channel: 'C0PIPELINE',
    threadTs: '1737450000.000100',
    createdAt: t0,
    expiresAt: at(15 * 60),
    state: 'pending_approval',
    mode: 'run',
    steps: plan.steps.map((s) => ({ id: s.id, status: 'pending' })),
    version: 1,
  };
}

function entry(requestId: string, n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    requestId,
    kind: 'heal',
    subject: '2026-01-20',
    action: `a${n}`,
    actor: 'U0APPROVER',
    at: t0,
    planHash: 'h',
    outcome: 'ok',
    ...over,
  };
}

function requestStoreContract(name: string, makeStores: () => Stores): void {
  describe(`RequestStore contract: ${name}`, () => {
    it('creates and reads back a request exactly (dates, nested arrays, snapshots)', async () => {
      const { store } = makeStores();
      const r = request();
      const created = await store.create(r);
      expect(created.ok).toBe(true);
      const back = await store.get(r.id);
      expect(back).toEqual(r);
      expect(back?.createdAt).toBeInstanceOf(Date);
      expect(planHashMatches(back!.plan)).toBe(true);
      expect(await store.get('no-such-request')).toBeUndefined();

      const snapshot = {
        rows: [
          ['a', 1, true, null],
          ['b', 2.25, false, { x: [[]] }],
        ],
        empty: {},
        s: 'ß\n"q"',
      };
      const updated = await store.update(r.id, {
        steps: [
          {
            id: 'clear',
            status: 'done',
            startedAt: at(1),
            endedAt: at(2),
            durationMs: 1000,
            snapshot,
            undoData: [[1]],
          },
          { id: 'trigger', status: 'pending' },
        ],
        heartbeatAt: at(2),
      });
      expect(updated.ok).toBe(true);
      const after = await store.get(r.id);
      expect(after?.steps[0]?.snapshot).toEqual(snapshot);
      expect(after?.steps[0]?.undoData).toEqual([[1]]);
      expect(after?.steps[0]?.endedAt).toEqual(at(2));
      expect(after?.heartbeatAt).toEqual(at(2));
      expect(after?.version).toBe(2);
    });

    it('allows one active request per (kind, subject) and names the existing one', async () => {
      const { store } = makeStores();
      const subject = `2026-01-${randomUUID().slice(0, 4)}`;
      const first = request({ subject });
      expect((await store.create(first)).ok).toBe(true);

      const second = await store.create(request({ subject }));
      expect(second.ok).toBe(false);
      if (second.ok) return;
      expect(second.reason.code).toBe('active_exists');
      expect(second.reason.existingId).toBe(first.id);
      expect(second.reason.message).toContain(first.id);
      expect(second.reason.message).toContain('<@U0REQUESTER>');

      // Other kinds and other subjects are independent.
      expect((await store.create(request({ subject, kind: 'backfill' }))).ok).toBe(true);
      expect((await store.create(request({ subject: `${subject}-other` }))).ok).toBe(true);

      // Leaving the active states releases the subject.
      const cancelled = await store.transition(first.id, {
        from: ['pending_approval'],
        to: 'cancelled',
        patch: { closedBy: 'U0REQUESTER' },
      });
      expect(cancelled.ok).toBe(true);
      const third = request({ subject });
      expect((await store.create(third)).ok).toBe(true);

      // Coming back to an active state (undo of the cancelled one) needs the subject again.
      const back = await store.transition(first.id, { from: ['cancelled'], to: 'running' });
      expect(back.ok).toBe(false);
      if (!back.ok) expect((back.reason as { existingId?: string }).existingId).toBe(third.id);
      expect((await store.get(first.id))?.state).toBe('cancelled');
    });

    it('gives exactly one winner to 20 concurrent creates for one subject', async () => {
      const { store } = makeStores();
      const subject = `race-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.create(request({ subject }))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason.code === 'active_exists')).toHaveLength(19);
    });

    it('transitions by compare-and-set on state, version and runner', async () => {
      const { store } = makeStores();
      const r = request();
      await store.create(r);

      const wrongFrom = await store.transition(r.id, { from: ['running'], to: 'succeeded' });
      expect(wrongFrom).toMatchObject({ ok: false, reason: { code: 'conflict' } });
      if (!wrongFrom.ok)
        expect(wrongFrom.reason.message).toContain('waiting for approval, requested by <@U0REQUESTER>');

      const wrongVersion = await store.transition(r.id, {
        from: ['pending_approval'],
        to: 'running',
        expectVersion: 7,
      });
      expect(wrongVersion).toMatchObject({ ok: false, reason: { code: 'conflict' } });

      const illegal = await store.transition(r.id, { from: ['pending_approval'], to: 'undone' });
      expect(illegal).toMatchObject({ ok: false, reason: { code: 'illegal_transition' } });

      const running = await store.transition(r.id, {
        from: ['pending_approval'],
        to: 'running',
        expectVersion: 1,
        patch: { approver: 'U0APPROVER', runner: 'inst-a', heartbeatAt: at(1), cancelRequestedBy: 'U0X' },
      });
      expect(running.ok).toBe(true);
      if (!running.ok) return;
      expect(running.value).toMatchObject({
        state: 'running',
        version: 2,
        approver: 'U0APPROVER',
        runner: 'inst-a',
      });

      const fenced = await store.update(
        r.id,
        { heartbeatAt: at(2) },
        { runner: 'inst-b', states: ['running'] },
      );
      expect(fenced).toMatchObject({ ok: false, reason: { code: 'conflict' } });
      if (!fenced.ok) expect(fenced.reason.message).toContain('inst-a');

      const wrongRunner = await store.transition(r.id, {
        from: ['running'],
        to: 'succeeded',
        expectRunner: 'inst-b',
      });
      expect(wrongRunner.ok).toBe(false);

      // undefined in a patch removes the field.
      const done = await store.transition(r.id, {
        from: ['running'],
        to: 'succeeded',
        expectRunner: 'inst-a',
        patch: { cancelRequestedBy: undefined },
      });
      expect(done.ok).toBe(true);
      const stored = await store.get(r.id);
      expect(stored).toMatchObject({ state: 'succeeded', version: 3, runner: 'inst-a' });
      expect(stored).not.toHaveProperty('cancelRequestedBy');

      expect(await store.transition('missing', { from: ['running'], to: 'failed' })).toMatchObject({
        ok: false,
        reason: { code: 'not_found' },
      });
    });

    it('gives exactly one success to 20 concurrent pending_approval → running transitions', async () => {
      const { store } = makeStores();
      const r = request();
      await store.create(r);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transition(r.id, {
            from: ['pending_approval'],
            to: 'running',
            patch: { approver: `U0APPROVER${i}`, runner: `inst-${i}` },
          }),
        ),
      );
      const winners = results.filter((x) => x.ok);
      expect(winners).toHaveLength(1);
      const winner = (await store.get(r.id))!;
      expect(winner.version).toBe(2);
      for (const x of results) {
        if (!x.ok) {
          expect(x.reason.code).toBe('conflict');
          expect(x.reason.message).toContain(`already running, approved by <@${winner.approver}>`);
        }
      }
    });

    it('lists requests newest first, by subject and state', async () => {
      const { store } = makeStores();
      const subject = `list-${randomUUID()}`;
      const ids: string[] = [];
      for (const [i, kind] of (['heal', 'backfill', 'rollback'] as const).entries()) {
        const r = { ...request({ subject, kind }), createdAt: at(i) };
        ids.push(r.id);
        await store.create(r);
      }
      await store.transition(ids[0]!, { from: ['pending_approval'], to: 'rejected' });
      const all = await store.list({ subject, limit: 10 });
      expect(all.map((r) => r.id)).toEqual([...ids].reverse());
      expect((await store.list({ subject, limit: 2 })).map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const pending = await store.list({ subject, states: ['pending_approval'], limit: 10 });
      expect(pending.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      expect((await store.list({ subject, since: at(1), limit: 10 })).map((r) => r.id)).toEqual([
        ids[2],
        ids[1],
      ]);
    });

    it('appends audit entries and lists the latest ones in the order they were appended', async () => {
      const { audit } = makeStores();
      const id = `req-${randomUUID()}`;
      // Same timestamp for several: order must still be the append order.
      for (let n = 0; n < 6; n++) {
        await audit.append(
          entry(id, n, { at: at(n < 3 ? 0 : n), ...(n === 4 ? { detail: 'Done: x' } : {}) }),
        );
      }
      await audit.append(entry(`req-${randomUUID()}`, 99, { subject: 'other' }));

      const listed = await audit.list({ requestId: id, limit: 50 });
      expect(listed.map((e) => e.action)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
      expect(listed[4]).toEqual(entry(id, 4, { at: at(4), detail: 'Done: x' }));
      expect((await audit.list({ requestId: id, limit: 2 })).map((e) => e.action)).toEqual(['a4', 'a5']);
      expect((await audit.list({ requestId: id, since: at(4), limit: 50 })).map((e) => e.action)).toEqual([
        'a4',
        'a5',
      ]);
      const bySubject = await audit.list({ subject: 'other', limit: 50 });
      expect(bySubject.map((e) => e.action)).toContain('a99');
      expect(bySubject.every((e) => e.subject === 'other')).toBe(true);
    });
  });
}

requestStoreContract('memory', () => ({ store: createMemoryRequestStore(), audit: createMemoryAuditLog() }));

// The Firestore store is only meaningful against the real emulator, which tests/global-setup.ts
// starts and announces through FIRESTORE_EMULATOR_HOST; without it these tests are skipped.
describe.skipIf(!process.env.FIRESTORE_EMULATOR_HOST)('Firestore emulator', () => {
  let db: Firestore;
  beforeAll(() => {
    db = testFirestore();
  });
  afterAll(async () => {
    await db?.terminate();
  });
  requestStoreContract('firestore', () => {
    // Fresh collections per test: the subject locks of one test never meet another's.
    const suffix = randomUUID().slice(0, 8);
    return {
      store: createFirestoreRequestStore(db, {
        collection: `requests_${suffix}`,
        lockCollection: `locks_${suffix}`,
      }),
      audit: createFirestoreAuditLog(db, { collection: `audit_${suffix}` }),
    };
  });
});
