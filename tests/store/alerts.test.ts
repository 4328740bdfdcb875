/** The alert store on the Firestore emulator: one post per tick across instances, flaps, resolve, ack, silence. */
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import { type Finding, fingerprintOf } from '../../src/domain/alerts.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { createFirestoreAlertStore } from '../../src/store/firestore-alerts.js';
import { testFirestore, testProjectId } from '../helpers/firestore.js';

const DATE = '2026-01-20' as IsoDate;
const t0 = new Date('2026-01-21T10:00:00Z');
const at = (min: number) => new Date(t0.getTime() + min * 60_000);
const tick = (min: number) => ({ id: `tick-${min}`, now: at(min) });

function finding(component: string): Finding {
  const kind = 'missing-data';
  return {
    fingerprint: fingerprintOf({ component, kind, date: DATE }),
    group: DATE,
    component,
    kind,
    date: DATE,
    severity: 'fail',
    message: `${component} has no rows`,
  };
}

const project = testProjectId();
const dbs: Firestore[] = [testFirestore(project), testFirestore(project)];
afterAll(async () => {
  for (const db of dbs) await db.terminate();
});

let n = 0;
/** Two instances (own clients, own instance ids) on one database and one collection. */
function instances() {
  const collection = `alert_groups_${n++}`;
  return dbs.map((db, i) => createFirestoreAlertStore(db, { collection, instanceId: `instance-${i}` }));
}

describe('the Firestore alert store', () => {
  it('posts once when two instances evaluate the same tick at the same time', async () => {
    const [a, b] = instances();
    const findings = [finding('p3')];
    await Promise.all([a!.evaluate(DATE, findings, tick(0)), b!.evaluate(DATE, findings, tick(0))]);
    const results = await Promise.all([
      a!.evaluate(DATE, findings, tick(5)),
      b!.evaluate(DATE, findings, tick(5)),
    ]);
    expect(results.map((r) => r.action.kind).sort()).toEqual(['none', 'post']);
    // Another tick before the post is recorded: the claim holds, nobody posts again.
    expect((await b!.evaluate(DATE, findings, tick(6))).action.kind).toBe('none');
    await a!.recordShown(DATE, 'x', '1737450000.000100');
    const stored = await b!.get(DATE);
    expect(stored?.group).toMatchObject({ state: 'open', ts: '1737450000.000100', openedAt: at(5) });
    expect(stored?.alerts.map((x) => [x.state, x.seenInRow])).toEqual([['firing', 3]]);
  });

  it('never posts a flap, and a claim whose instance died is taken over', async () => {
    const [a, b] = instances();
    await a!.evaluate(DATE, [finding('p3')], tick(0));
    expect((await a!.evaluate(DATE, [], tick(5))).action.kind).toBe('none');
    expect((await a!.get(DATE))?.alerts).toEqual([]);
    await a!.evaluate(DATE, [finding('p3')], tick(10));
    expect((await a!.evaluate(DATE, [finding('p3')], tick(15))).action.kind).toBe('post');
    // a died before posting; two minutes later b claims it.
    expect((await b!.evaluate(DATE, [finding('p3')], tick(16))).action.kind).toBe('none');
    expect((await b!.evaluate(DATE, [finding('p3')], tick(18))).action.kind).toBe('post');
  });

  it('resolves in place with the time it was open, and keeps acknowledgements and silences', async () => {
    const collection = `alert_groups_${n}`;
    const [a] = instances();
    const findings = [finding('p3'), finding('p4')];
    await a!.evaluate(DATE, findings, tick(0));
    expect((await a!.evaluate(DATE, findings, tick(5))).action.kind).toBe('post');
    await a!.recordShown(DATE, 'shown-1', '1.1');
    const acked = await a!.acknowledge(DATE, 'U0BOB');
    expect(acked?.alerts.map((x) => [x.state, x.acknowledgedBy])).toEqual([
      ['acknowledged', 'U0BOB'],
      ['acknowledged', 'U0BOB'],
    ]);
    const silenced = await a!.silence(DATE, 'U0CAROL', at(65));
    expect(
      silenced?.alerts.every(
        (x) => x.state === 'silenced' && x.silencedUntil?.getTime() === at(65).getTime(),
      ),
    ).toBe(true);
    expect((await a!.evaluate(DATE, findings, tick(10))).action.kind).toBe('update');
    const gone = await a!.evaluate(DATE, [], tick(135));
    expect(gone.action).toEqual({ kind: 'resolve', afterMs: 130 * 60_000 });
    await a!.recordResolved(DATE, at(135));
    expect(await a!.open(10)).toEqual([]);
    expect((await a!.get(DATE))?.group).toMatchObject({ state: 'resolved', resolvedAt: at(135) });
    // Firestore's TTL policy on deleteAt (firestore.indexes.json) removes it 30 days after it resolved.
    const raw = (await dbs[0]!.collection(collection).get()).docs[0]!;
    expect(raw.get('deleteAt').toMillis()).toBe(at(135).getTime() + 30 * 86_400_000);
  });

  it('lists open groups newest first', async () => {
    const [a] = instances();
    for (const [group, min] of [
      ['2026-01-19', 0],
      ['2026-01-20', 30],
    ] as const) {
      const f = { ...finding('p3'), group, fingerprint: `p3/missing-data/${group}` };
      await a!.evaluate(group, [f], tick(min));
      await a!.evaluate(group, [f], tick(min + 5));
      await a!.recordShown(group, 's', `${min}.1`);
    }
    expect((await a!.open(10)).map((g) => g.group.id)).toEqual(['2026-01-20', '2026-01-19']);
  });
});
