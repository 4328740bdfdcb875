/** The emulators from global setup, through the real client libraries, as the adapters use them. */
import { Timestamp } from '@google-cloud/firestore';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testFirestore, testPubSub, testSubscriberClient } from './helpers/firestore.js';

describe('global setup', () => {
  it('reaches forked workers through the env vars and inject()', () => {
    expect(process.env.FIRESTORE_EMULATOR_HOST).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(process.env.PUBSUB_EMULATOR_HOST).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(process.env.FIRESTORE_EMULATOR_HOST).toBe(inject('firestoreHost'));
    expect(process.env.PUBSUB_EMULATOR_HOST).toBe(inject('pubsubHost'));
  });
});

describe('Firestore emulator', () => {
  const db = testFirestore();
  afterAll(() => db.terminate());

  it('writes and reads back a document, Timestamps included', async () => {
    const at = new Timestamp(1_768_900_000, 123_456_000);
    const ref = db.collection('round_trip').doc('a');
    await ref.set({ name: 'a', count: 3, at, nested: { list: [1, 'two', null] } });
    const snap = await ref.get();
    expect(snap.exists).toBe(true);
    expect(snap.get('name')).toBe('a');
    expect(snap.get('nested')).toEqual({ list: [1, 'two', null] });
    const read = snap.get('at') as Timestamp;
    expect(read).toBeInstanceOf(Timestamp);
    expect([read.seconds, read.nanoseconds]).toEqual([1_768_900_000, 123_456_000]);
  });

  it('runs a transaction exactly once per claim', async () => {
    const ref = db.collection('round_trip').doc('counter');
    await ref.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 5 }, () =>
        db.runTransaction(async (tx) => {
          const snap = await tx.get(ref);
          tx.update(ref, { n: (snap.get('n') as number) + 1 });
        }),
      ),
    );
    expect((await ref.get()).get('n')).toBe(5);
  });

  it('keeps projects apart', async () => {
    const other = testFirestore();
    try {
      expect((await other.collection('round_trip').get()).empty).toBe(true);
    } finally {
      await other.terminate();
    }
  });
});

describe('Pub/Sub emulator', () => {
  const pubsub = testPubSub();
  const subscriber = testSubscriberClient();
  afterAll(async () => {
    await subscriber.close();
    await pubsub.close();
  });

  it('publishes to a topic and pulls and acks from a subscription', async () => {
    const [topic] = await pubsub.createTopic('nba-phase3-analytics-complete');
    const [subscription] = await topic.createSubscription('phase3-to-phase4-orchestrator');
    const id = await topic.publishMessage({
      json: { game_date: '2026-01-20' },
      attributes: { source: 'test' },
    });
    expect(id).toBeTruthy();

    const [pulled] = await subscriber.pull({ subscription: subscription.name, maxMessages: 10 });
    const messages = pulled.receivedMessages ?? [];
    expect(messages).toHaveLength(1);
    const message = messages[0]!.message!;
    expect(JSON.parse(Buffer.from(message.data as Uint8Array).toString('utf8'))).toEqual({
      game_date: '2026-01-20',
    });
    expect(message.attributes).toEqual({ source: 'test' });
    await subscriber.acknowledge({ subscription: subscription.name, ackIds: [messages[0]!.ackId!] });

    // Acked: nothing is redelivered.
    const [again] = await subscriber.pull({
      subscription: subscription.name,
      maxMessages: 10,
      returnImmediately: true,
    });
    expect(again.receivedMessages ?? []).toHaveLength(0);
  });
});
