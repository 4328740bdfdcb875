/** The delivery log shared by instances (Firestore emulator), its memory form, and the delivery keys. */
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryKey } from '../../src/slack-dedupe.js';
import {
  createFirestoreDeliveryLog,
  createMemoryDeliveryLog,
  DELIVERY_MEMORY_KEYS,
  deliveryDocId,
} from '../../src/store/slack-deliveries.js';
import { testFirestore, testProjectId } from '../helpers/firestore.js';

let db: Firestore;
beforeAll(() => {
  db = testFirestore(testProjectId());
});
afterAll(async () => {
  await db?.terminate();
});

describe('the Firestore delivery log', () => {
  it('gives one key to exactly one of 20 concurrent claims from two instances', async () => {
    let now = Date.parse('2026-01-20T12:00:00Z');
    const clock = { now: () => new Date(now) };
    const a = createFirestoreDeliveryLog({ db, clock, deadlineMs: 5000 });
    const b = createFirestoreDeliveryLog({ db, clock, deadlineMs: 5000 });
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('command:T1:trigger-1')),
    );
    expect(claims.filter((c) => c === 'first')).toHaveLength(1);
    expect(claims.filter((c) => c === 'duplicate')).toHaveLength(19);
    const doc = await db.collection('slack_deliveries').doc(deliveryDocId('command:T1:trigger-1')).get();
    // The TTL field Firestore deletes it by (firestore.indexes.json), an hour on.
    expect(doc.get('deleteAt').toMillis()).toBe(now + 3_600_000);
    now += 1000;
    expect(await a.claim('command:T1:trigger-2')).toBe('first');
  });

  it('answers unknown when Firestore does not answer within its deadline', async () => {
    const silent = {
      collection: () => ({ doc: () => ({ create: () => new Promise(() => {}) }) }),
    } as unknown as Firestore;
    const log = createFirestoreDeliveryLog({ db: silent, clock: { now: () => new Date() }, deadlineMs: 50 });
    expect(await log.claim('command:T1:x')).toBe('unknown');
    // The same key again on this instance is still caught, with no round trip.
    expect(await log.claim('command:T1:x')).toBe('duplicate');
  });
});

describe('the memory delivery log', () => {
  it('forgets a key after the keep window', async () => {
    let now = 0;
    const log = createMemoryDeliveryLog({ now: () => new Date(now) }, 1000);
    expect(await log.claim('k')).toBe('first');
    expect(await log.claim('k')).toBe('duplicate');
    now = 1500;
    expect(await log.claim('k')).toBe('first');
  });

  it('holds at most its bound of keys, the newest, however many come within the window', async () => {
    const log = createMemoryDeliveryLog({ now: () => new Date(0) }, 60_000, 100);
    for (let i = 0; i < 1000; i++) expect(await log.claim(`command:T1:tr${i}`)).toBe('first');
    expect(log.size()).toBe(100);
    // The newest are still caught; the oldest fell out (Firestore still holds them in production).
    expect(await log.claim('command:T1:tr999')).toBe('duplicate');
    expect(await log.claim('command:T1:tr900')).toBe('duplicate');
    expect(await log.claim('command:T1:tr0')).toBe('first');
    expect(log.size()).toBe(100);
  });

  it('is bounded by default', async () => {
    const log = createMemoryDeliveryLog({ now: () => new Date(0) });
    for (let i = 0; i < DELIVERY_MEMORY_KEYS + 500; i++) await log.claim(`k${i}`);
    expect(log.size()).toBe(DELIVERY_MEMORY_KEYS);
  });
});

describe('deliveryKey', () => {
  it('keys commands and clicks by trigger_id, events by event_id, and not options lookups', () => {
    expect(deliveryKey({ command: '/heal', team_id: 'T1', trigger_id: 'tr1' })).toBe('command:T1:tr1');
    expect(deliveryKey({ type: 'block_actions', team: { id: 'T1' }, trigger_id: 'tr2' })).toBe(
      'block_actions:T1:tr2',
    );
    expect(deliveryKey({ type: 'event_callback', team_id: 'T1', event_id: 'Ev1' })).toBe('event:T1:Ev1');
    expect(deliveryKey({ type: 'block_suggestion', value: 'x' }, 'env-1')).toBeUndefined();
    const closed = { type: 'view_closed', view: { id: 'V1' } };
    expect(deliveryKey(closed)).toBe(deliveryKey(structuredClone(closed)));
    expect(deliveryKey({ type: 'something_new' }, 'env-2')).toBe('envelope:env-2');
  });
});
