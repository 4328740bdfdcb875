/**
 * firestore.indexes.json holds exactly the composite indexes the bot's own queries need. The
 * emulator does not enforce indexes, so the stores run every filter combination their `list`
 * accepts against it through a recording Firestore, and each query's shape gives the index
 * Firestore would ask for (firebase.google.com/docs/firestore/query-data/index-overview:
 * equality fields first, then the order-by fields in their directions; a query on one field
 * uses the automatic single-field index). Its TTL overrides name the field every document of
 * those collections carries, set from the configured retention.
 */
import { readFileSync } from 'node:fs';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import { buildState } from '../../src/app.js';
import { loadPipeline } from '../../src/config.js';
import { fingerprintOf } from '../../src/domain/alerts.js';
import { makePlan } from '../../src/domain/plan.js';
import type { IsoDate } from '../../src/domain/ports.js';
import type { GuardedRequest, RequestState } from '../../src/domain/requests.js';
import { buildAlerts } from '../../src/run.js';
import { createFirestoreAlertStore } from '../../src/store/firestore-alerts.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from '../../src/store/firestore-requests.js';
import { createFirestorePlanDrafts } from '../../src/store/plan-drafts.js';
import { DELIVERY_KEEP_MS, deliveryDocId } from '../../src/store/slack-deliveries.js';
import { testFirestore } from '../helpers/firestore.js';

interface Shape {
  collection: string;
  filters: { field: string; op: string }[];
  orders: { field: string; direction: 'asc' | 'desc' }[];
}

interface IndexField {
  fieldPath: string;
  order: 'ASCENDING' | 'DESCENDING';
}

interface IndexFile {
  indexes: { collectionGroup: string; queryScope: string; fields: IndexField[] }[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; ttl?: boolean }[];
}

/** A Firestore whose queries record their shape when they run; everything else passes through. */
function recording(db: Firestore, seen: Shape[]): Firestore {
  const pass = (target: object, prop: string | symbol) => {
    const value = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  // biome-ignore lint/suspicious/noExplicitAny: a pass-through wrapper over the client's query builders.
  const wrap = (query: any, shape: Shape): any =>
    new Proxy(query, {
      get(target, prop) {
        if (prop === 'where') {
          return (field: string, op: string, value: unknown) =>
            wrap(target.where(field, op, value), { ...shape, filters: [...shape.filters, { field, op }] });
        }
        if (prop === 'orderBy') {
          return (field: string, direction: 'asc' | 'desc' = 'asc') =>
            wrap(target.orderBy(field, direction), {
              ...shape,
              orders: [...shape.orders, { field, direction }],
            });
        }
        if (prop === 'limit') return (n: number) => wrap(target.limit(n), shape);
        if (prop === 'get') {
          return () => {
            seen.push(shape);
            return target.get();
          };
        }
        return pass(target, prop);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'collection') {
        return (name: string) => wrap(target.collection(name), { collection: name, filters: [], orders: [] });
      }
      return pass(target, prop);
    },
  });
}

const EQUALITY = new Set(['==', 'in', 'array-contains', 'array-contains-any']);

/** The composite index a query needs, or undefined when a single-field index serves it. */
function neededIndex(shape: Shape): string | undefined {
  const fields: IndexField[] = [];
  for (const f of shape.filters) {
    if (EQUALITY.has(f.op) && !fields.some((x) => x.fieldPath === f.field)) {
      fields.push({ fieldPath: f.field, order: 'ASCENDING' });
    }
  }
  for (const o of shape.orders) {
    fields.push({ fieldPath: o.field, order: o.direction === 'desc' ? 'DESCENDING' : 'ASCENDING' });
  }
  // A range filter must be on the first order-by field (Firestore refuses the query otherwise).
  for (const f of shape.filters) {
    if (!EQUALITY.has(f.op))
      expect(f.field, `range filter in ${JSON.stringify(shape)}`).toBe(shape.orders[0]?.field);
  }
  return fields.length > 1 ? key(shape.collection, fields) : undefined;
}

const key = (collection: string, fields: IndexField[]) =>
  `${collection}: ${fields.map((f) => `${f.fieldPath} ${f.order}`).join(', ')}`;

/** Every combination of the optional filters. */
function combinations<T extends object>(options: T): Partial<T>[] {
  let out: Partial<T>[] = [{}];
  for (const [k, v] of Object.entries(options)) {
    out = out.flatMap((c) => [c, { ...c, [k]: v }]);
  }
  return out;
}

const file = JSON.parse(readFileSync('firestore.indexes.json', 'utf8')) as IndexFile;
const db = testFirestore();
afterAll(() => db.terminate());

describe('firestore.indexes.json', () => {
  it('lists exactly the composite indexes the request store, the audit log and the alert store query with', async () => {
    const seen: Shape[] = [];
    const rec = recording(db, seen);
    const store = createFirestoreRequestStore(rec);
    const audit = createFirestoreAuditLog(rec);
    const states: readonly RequestState[] = ['pending_approval', 'running'];
    for (const q of combinations({ subject: '2026-01-20', states, since: new Date('2026-01-01') })) {
      await store.list({ ...q, limit: 5 });
    }
    for (const q of combinations({ subject: '2026-01-20', requestId: 'r1', since: new Date('2026-01-01') })) {
      await audit.list({ ...q, limit: 5 });
    }
    await createFirestoreAlertStore(rec, { instanceId: 'i' }).open(5);
    expect(seen).toHaveLength(17);
    const needed = new Set(seen.map(neededIndex).filter((k) => k !== undefined));
    const listed = new Set(
      file.indexes.map((i) => {
        expect(i.queryScope).toBe('COLLECTION');
        return key(i.collectionGroup, i.fields);
      }),
    );
    expect([...listed].sort()).toEqual([...needed].sort());
  });
});

describe('docs/deploy.md', () => {
  it('enables every TTL policy of firestore.indexes.json, and no other', () => {
    const docs = readFileSync('docs/deploy.md', 'utf8');
    const enabled = [
      ...docs.matchAll(/gcloud firestore fields ttls update (\S+) --collection-group=(\S+) --enable-ttl/g),
    ].map((m) => `${m[2]}.${m[1]}`);
    const policies = file.fieldOverrides
      .filter((o) => o.ttl)
      .map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    expect(enabled.sort()).toEqual(policies.sort());
  });
});

describe('TTL: old state is deleted by Firestore, audit kept longest', () => {
  const DAY = 86_400_000;
  const createdAt = new Date('2026-01-21T10:00:00.000Z');

  function request(): GuardedRequest {
    const plan = makePlan({
      kind: 'heal',
      title: 'Heal 2026-01-20',
      subject: '2026-01-20',
      summary: ['trigger phase 3'],
      evidence: [],
      steps: [
        {
          id: 'trigger',
          action: 'trigger_phase',
          label: 'Trigger phase 3',
          destructive: false,
          undoable: false,
          params: {},
        },
      ],
    });
    return {
      id: `ttl-${Date.now()}`,
      plan,
      planHash: plan.hash,
      requester: 'U0REQUESTER',
      channel: 'C0PIPELINE',
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
      state: 'pending_approval',
      mode: 'run',
      steps: [{ id: 'trigger', status: 'pending' }],
      version: 1,
    };
  }

  it('writes each document with the field its collection’s TTL policy names, per the retention', async () => {
    const ttl = new Map(
      file.fieldOverrides.filter((o) => o.ttl).map((o) => [o.collectionGroup, o.fieldPath]),
    );
    expect([...ttl.keys()].sort()).toEqual([
      'alert_groups',
      'guarded_audit',
      'guarded_requests',
      'plan_drafts',
      'slack_deliveries',
    ]);
    // Through the composition root, from the YAML's `retention`.
    const { store, audit } = buildState(
      db,
      { now: () => createdAt },
      {
        retention: { requestsDays: 7, auditDays: 30, alertsDays: 1 },
      },
    );
    const drafts = createFirestorePlanDrafts(db, { now: () => createdAt });
    const r = request();
    expect((await store.create(r)).ok).toBe(true);
    await audit.append({
      requestId: r.id,
      kind: 'heal',
      subject: '2026-01-20',
      action: 'submit',
      actor: 'U0A',
      at: createdAt,
      planHash: r.planHash,
      outcome: 'ok',
    });
    await drafts.put(r.plan, 15 * 60_000);
    const field = (collection: string) => ttl.get(collection)!;
    const millis = async (collection: string, doc?: string) => {
      const snap = doc
        ? await db.collection(collection).doc(doc).get()
        : (await db.collection(collection).where('requestId', '==', r.id).get()).docs[0]!;
      const value = snap.get(field(collection)) as { toMillis(): number } | undefined;
      return value?.toMillis();
    };
    expect(await millis('guarded_requests', r.id)).toBe(createdAt.getTime() + 7 * DAY);
    expect(await millis('guarded_audit')).toBe(createdAt.getTime() + 30 * DAY);
    expect(await millis('plan_drafts', r.plan.hash)).toBe(createdAt.getTime() + 15 * 60_000);
  });

  it('writes the TTL field on Slack deliveries, alert groups and the digest’s claim, per the retention', async () => {
    const clock = { now: () => createdAt };
    const ttl = new Map(
      file.fieldOverrides.filter((o) => o.ttl).map((o) => [o.collectionGroup, o.fieldPath]),
    );
    const retention = { requestsDays: 7, auditDays: 30, alertsDays: 3 };
    const millisOf = (snap: { get(field: string): unknown }, collection: string) =>
      (snap.get(ttl.get(collection)!) as { toMillis(): number } | undefined)?.toMillis();

    // Through the composition root, as the bot builds them.
    const { deliveries } = buildState(db, clock, { retention });
    const key = `command:T0:ttl-${Date.now()}`;
    expect(await deliveries.claim(key)).toBe('first');
    const delivery = await db.collection('slack_deliveries').doc(deliveryDocId(key)).get();
    expect(millisOf(delivery, 'slack_deliveries')).toBe(createdAt.getTime() + DELIVERY_KEEP_MS);

    const config = { ...loadPipeline('config/pipeline.example.yml'), retention };
    const alerts = buildAlerts(config, db, 'ttl-instance');
    expect(alerts).toBeDefined();
    const group = `ttl-${Date.now()}`;
    const date = '2026-01-20' as IsoDate;
    const finding = {
      fingerprint: fingerprintOf({ component: 'p3', kind: 'missing-data', date }),
      group,
      component: 'p3',
      kind: 'missing-data',
      date,
      severity: 'fail' as const,
      message: 'p3 has no rows',
    };
    await alerts!.store.evaluate(group, [finding], { id: 'tick-0', now: createdAt });
    const stored = await db.collection('alert_groups').where('id', '==', group).get();
    expect(stored.docs).toHaveLength(1);
    expect(millisOf(stored.docs[0]!, 'alert_groups')).toBe(createdAt.getTime() + 3 * DAY);

    const day = `digest-${group}`;
    expect(await alerts!.store.claimDigest(day, createdAt)).toBe(true);
    const digest = await db.collection('alert_groups').where('digest', '==', day).get();
    expect(digest.docs).toHaveLength(1);
    expect(millisOf(digest.docs[0]!, 'alert_groups')).toBe(createdAt.getTime() + 3 * DAY);
  });
});
