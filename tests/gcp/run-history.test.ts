/** The run_history adapter against the Firestore emulator, seeded from the sandbox's scenarios. */
import { createServer } from 'node:net';
import { type Firestore, GeoPoint, Timestamp } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import { seedRunHistory } from '../../devstack/src/sandbox/firestore-seed.js';
import { buildScenario, SEED_DATE } from '../../devstack/src/sandbox/scenarios.js';
import { loadPipeline } from '../../src/config.js';
import type { IsoDate } from '../../src/domain/ports.js';
import {
  createRunHistoryAdapter,
  firestoreClient,
  rfc3339ToTimestamp,
  timestampToRfc3339,
} from '../../src/gcp/run-history.js';
import { testFirestore } from '../helpers/firestore.js';

const config = loadPipeline('config/pipeline.example.yml');
const rh = config.runHistory;
const now = new Date('2026-01-21T15:00:00Z');
const HOUR = 3_600_000;

const clients: Firestore[] = [];
function freshDb(): Firestore {
  const db = testFirestore();
  clients.push(db);
  return db;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((db) => db.terminate()));
});

function adapter(db: Firestore, deadlineMs = 10_000) {
  return createRunHistoryAdapter({ db, config: rh, deadlineMs });
}

describe('failed runs', () => {
  it('reads the error message field of a run that failed (breakdown)', async () => {
    const db = freshDb();
    await seedRunHistory(db, rh.collection, buildScenario('breakdown', config, now).runHistory);
    const forDate = await adapter(db).runsForDate(SEED_DATE as IsoDate);
    if (!forDate.ok) throw new Error(forDate.error.message);
    const failed = forDate.value.filter((r) => r.status === rh.failedStatus);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(/^google\.api_core\.exceptions\.Forbidden: 403/);
    expect(forDate.value.filter((r) => r.error !== undefined)).toHaveLength(1);
  });
});

describe('runsForDate and stuckRuns', () => {
  it('finds the jan20 runs and exactly its three stuck ones', async () => {
    const db = freshDb();
    await seedRunHistory(db, rh.collection, buildScenario('jan20', config, now).runHistory);
    const runs = adapter(db);

    const forDate = await runs.runsForDate(SEED_DATE as IsoDate);
    if (!forDate.ok) throw new Error(forDate.error.message);
    expect(forDate.value.map((r) => r.id).sort()).toEqual([
      'phase2_2026-01-20_ok',
      'phase3_2026-01-20_stuck',
      'phase4_2026-01-20_stuck',
      'phase5_2026-01-20_stuck',
    ]);
    expect(forDate.value.every((r) => r.date === SEED_DATE)).toBe(true);

    const stuck = await runs.stuckRuns(new Date(now.getTime() - 60 * 60_000));
    if (!stuck.ok) throw new Error(stuck.error.message);
    // Oldest first.
    expect(stuck.value).toEqual([
      {
        id: 'phase5_2026-01-20_stuck',
        processor: 'PredictionCoordinator',
        date: SEED_DATE,
        status: 'running',
        startedAt: new Date(now.getTime() - 26 * HOUR).toISOString(),
      },
      {
        id: 'phase3_2026-01-20_stuck',
        processor: 'PlayerGameSummaryProcessor',
        date: SEED_DATE,
        status: 'running',
        startedAt: new Date(now.getTime() - 3 * HOUR).toISOString(),
      },
      {
        id: 'phase4_2026-01-20_stuck',
        processor: 'MLFeatureStoreProcessor',
        date: SEED_DATE,
        status: 'running',
        startedAt: new Date(now.getTime() - 2.5 * HOUR).toISOString(),
      },
    ]);
    const older = await runs.stuckRuns(new Date(now.getTime() - 2.75 * HOUR));
    expect(older.ok && older.value.map((r) => r.id)).toEqual([
      'phase5_2026-01-20_stuck',
      'phase3_2026-01-20_stuck',
    ]);
    // The seed stored Dates as Timestamps.
    const raw = await db.collection(rh.collection).doc('phase3_2026-01-20_stuck').get();
    expect(raw.get(rh.fields.startedAt)).toBeInstanceOf(Timestamp);
  });

  it('finds none in the healthy scenario, and reseeding replaces the old documents', async () => {
    const db = freshDb();
    await seedRunHistory(db, rh.collection, buildScenario('jan20', config, now).runHistory);
    await seedRunHistory(db, rh.collection, buildScenario('healthy', config, now).runHistory);
    const runs = adapter(db);
    const stuck = await runs.stuckRuns(new Date(now.getTime() - 60 * 60_000));
    expect(stuck).toEqual({ ok: true, value: [] });
    const forDate = await runs.runsForDate(SEED_DATE as IsoDate);
    if (!forDate.ok) throw new Error(forDate.error.message);
    expect(forDate.value.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success']);
  });

  it('ages startedAt written as an ISO string, and leaves runs without a start time alone', async () => {
    const db = freshDb();
    const running = {
      [rh.fields.status]: 'running',
      [rh.fields.date]: SEED_DATE,
      [rh.fields.processor]: 'P',
    };
    await seedRunHistory(db, rh.collection, [
      { id: 'iso_old', data: { ...running, [rh.fields.startedAt]: '2026-01-21T10:00:00.000Z' } },
      { id: 'iso_recent', data: { ...running, [rh.fields.startedAt]: '2026-01-21T14:30:00-00:00' } },
      { id: 'ts_old', data: { ...running, [rh.fields.startedAt]: new Date('2026-01-21T09:00:00Z') } },
      { id: 'no_start', data: running },
      {
        id: 'done_old',
        data: { ...running, [rh.fields.status]: 'success', [rh.fields.startedAt]: '2026-01-20T00:00:00Z' },
      },
    ]);
    const stuck = await adapter(db).stuckRuns(new Date('2026-01-21T14:00:00Z'));
    if (!stuck.ok) throw new Error(stuck.error.message);
    expect(stuck.value.map((r) => [r.id, r.startedAt])).toEqual([
      ['ts_old', '2026-01-21T09:00:00.000Z'],
      ['iso_old', '2026-01-21T10:00:00.000Z'],
    ]);
  });
});

describe('snapshot, deleteIfUnchanged, restore', () => {
  it('restores deleted documents exactly, Timestamps and nested values included', async () => {
    const db = freshDb();
    const jan20 = buildScenario('jan20', config, now).runHistory;
    await seedRunHistory(db, rh.collection, [
      ...jan20,
      {
        id: 'rich',
        data: {
          at: new Timestamp(1_768_900_000, 123_456_000),
          nested: {
            deeper: { at: new Timestamp(1, 2) },
            list: [new Timestamp(3, 4), 'x', 7, null, { y: true }],
          },
          place: new GeoPoint(37.42, -122.08),
          bytes: Buffer.from([0, 1, 254, 255]),
          ref: db.doc('other/doc'),
          lookalike: { __ts: 'just a map' },
          fraction: 0.25,
          negativeZero: -0,
          notANumber: Number.NaN,
          empty: {},
          emptyList: [],
        },
      },
    ]);
    const runs = adapter(db);
    const coll = db.collection(rh.collection);
    const ids = ['phase3_2026-01-20_stuck', 'phase5_2026-01-20_stuck', 'rich', 'never_existed'];
    const before = await Promise.all(ids.map((id) => coll.doc(id).get()));

    const snap = await runs.snapshot(ids);
    if (!snap.ok) throw new Error(snap.error.message);
    expect(snap.value.map((s) => [s.id, s.exists])).toEqual(ids.map((id) => [id, id !== 'never_existed']));
    // JSON-safe: it can be stored as a string and still restore exactly.
    const stored = JSON.parse(JSON.stringify(snap.value)) as typeof snap.value;

    expect(await runs.deleteIfUnchanged(stored)).toEqual({ ok: true, value: 3 });
    for (const id of ids) expect((await coll.doc(id).get()).exists).toBe(false);

    const restorable = stored.flatMap((s) => (s.data ? [{ id: s.id, data: s.data }] : []));
    expect(await runs.restore(restorable)).toEqual({ ok: true, value: 3 });

    for (const [i, id] of ids.entries()) {
      const after = await coll.doc(id).get();
      expect(after.exists).toBe(before[i]!.exists);
      expect(after.data()).toEqual(before[i]!.data());
    }
    const started = (await coll.doc('phase3_2026-01-20_stuck').get()).get(rh.fields.startedAt) as Timestamp;
    const original = before[0]!.get(rh.fields.startedAt) as Timestamp;
    expect(started).toBeInstanceOf(Timestamp);
    expect([started.seconds, started.nanoseconds]).toEqual([original.seconds, original.nanoseconds]);
    const rich = (await coll.doc('rich').get()).data()!;
    expect(rich.at).toBeInstanceOf(Timestamp);
    expect([rich.at.seconds, rich.at.nanoseconds]).toEqual([1_768_900_000, 123_456_000]);
    expect(rich.nested.deeper.at).toBeInstanceOf(Timestamp);
    expect(rich.nested.list[0]).toBeInstanceOf(Timestamp);
    expect(rich.place).toBeInstanceOf(GeoPoint);
    expect(Object.is(rich.negativeZero, -0)).toBe(true);
    expect(rich.lookalike).toEqual({ __ts: 'just a map' });
    expect(rich.ref.path).toBe('other/doc');
  });

  it('deletes nothing when a document changed after its snapshot, and names it', async () => {
    const db = freshDb();
    await seedRunHistory(db, rh.collection, buildScenario('jan20', config, now).runHistory);
    const runs = adapter(db);
    const coll = db.collection(rh.collection);
    const ids = ['phase3_2026-01-20_stuck', 'phase4_2026-01-20_stuck', 'phase5_2026-01-20_stuck'];
    const snap = await runs.snapshot(ids);
    if (!snap.ok) throw new Error(snap.error.message);

    await coll.doc('phase4_2026-01-20_stuck').update({ [rh.fields.status]: 'success' });
    await coll.doc('phase5_2026-01-20_stuck').delete();

    const result = await runs.deleteIfUnchanged(snap.value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe('invalid');
    expect(result.error.message).toContain('phase4_2026-01-20_stuck (modified)');
    expect(result.error.message).toContain('phase5_2026-01-20_stuck (gone)');
    expect(result.error.message).not.toContain('phase3');
    // All or nothing: the unchanged one is still there.
    expect((await coll.doc('phase3_2026-01-20_stuck').get()).exists).toBe(true);
    expect((await coll.doc('phase4_2026-01-20_stuck').get()).get(rh.fields.status)).toBe('success');
  });

  it('keeps update times to the nanosecond', () => {
    const ts = new Timestamp(1_768_900_000, 123_456_789);
    const text = timestampToRfc3339(ts);
    expect(text).toBe('2026-01-20T09:06:40.123456789Z');
    expect(rfc3339ToTimestamp(text)?.isEqual(ts)).toBe(true);
    expect(rfc3339ToTimestamp('2026-01-20T09:06:40Z')?.nanoseconds).toBe(0);
    expect(rfc3339ToTimestamp('yesterday')).toBeUndefined();
  });
});

describe('an unreachable Firestore', () => {
  it('resolves to a failure within the deadline instead of hanging', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    // The library reads the env var in its constructor, and the env var beats settings.host.
    const saved = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${port}`;
    let db: Firestore;
    try {
      db = firestoreClient('test-unreachable', true);
    } finally {
      process.env.FIRESTORE_EMULATOR_HOST = saved;
    }
    const runs = adapter(db, 1_500);
    const started = Date.now();
    const [forDate, stuck] = await Promise.all([runs.runsForDate(SEED_DATE as IsoDate), runs.stuckRuns(now)]);
    const elapsed = Date.now() - started;
    expect(forDate.ok).toBe(false);
    expect(stuck.ok).toBe(false);
    if (!forDate.ok) expect(['timeout', 'unavailable']).toContain(forDate.error.kind);
    expect(elapsed).toBeLessThan(3_000);
    // The abandoned calls keep retrying inside the client; do not wait for them.
    void db.terminate().catch(() => undefined);
  });
});
