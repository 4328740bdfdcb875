/**
 * Which Slack deliveries were already taken, across every instance: a Slack retry
 * (`X-Slack-Retry-Num`), a Socket Mode redelivery or an exact replay of a signed request carries
 * the same key as the first delivery, and only the first `claim` of a key wins. Firestore
 * decides between instances (`create()` fails on an existing document); a small in-memory log
 * answers repeats on this instance at once, and stands alone in the offline demo.
 */
import { createHash } from 'node:crypto';
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import type { Clock } from '../domain/ports.js';

/** `first`: act on it; `duplicate`: already taken; `unknown`: the store did not answer in time. */
export type DeliveryClaim = 'first' | 'duplicate' | 'unknown';

export interface DeliveryLog {
  claim(key: string): Promise<DeliveryClaim>;
}

/**
 * How long a key is kept. Bolt refuses a signed request older than 5 minutes, and Slack's
 * retries come within a minute (docs.slack.dev/apis/events-api#retries): an hour is plenty.
 */
export const DELIVERY_KEEP_MS = 60 * 60_000;

/**
 * How many keys the in-memory log holds at most, whatever the window. Bounded by time alone it
 * held every delivery of the last hour: memory growing with the traffic (about 150 bytes a
 * command). Repeats come within a minute; 10,000 keys is a minute at 160 deliveries a second,
 * and in front of Firestore a key that fell out is still caught there.
 */
export const DELIVERY_MEMORY_KEYS = 10_000;

const ALREADY_EXISTS = 6;

/** The document id of a key: a hash, so ids from payloads never shape the path. */
export const deliveryDocId = (key: string): string => createHash('sha256').update(key).digest('hex');

export interface MemoryDeliveryLog extends DeliveryLog {
  /** Keys held now (for tests). */
  size(): number;
}

export function createMemoryDeliveryLog(
  clock: Clock,
  keepMs = DELIVERY_KEEP_MS,
  maxKeys = DELIVERY_MEMORY_KEYS,
): MemoryDeliveryLog {
  const seen = new Map<string, number>();
  return {
    async claim(key) {
      const now = clock.now().getTime();
      // Map keeps insertion order: the oldest keys are first, so pruning stops at the first live one.
      for (const [k, at] of seen) {
        if (now - at < keepMs) break;
        seen.delete(k);
      }
      if (seen.has(key)) return 'duplicate';
      // Full: the oldest make room.
      for (const k of seen.keys()) {
        if (seen.size < maxKeys) break;
        seen.delete(k);
      }
      seen.set(key, now);
      return 'first';
    },
    size: () => seen.size,
  };
}

/**
 * The shared log in Firestore, collection `slack_deliveries`, each document with a `deleteAt`
 * TTL field (firestore.indexes.json). `deadlineMs` bounds the create: the delivery still has
 * to be acked within Slack's 3 seconds.
 */
export function createFirestoreDeliveryLog(opts: {
  db: Firestore;
  clock: Clock;
  deadlineMs?: number;
  collection?: string;
  keepMs?: number;
  /** Bound of the in-memory log in front of Firestore (DELIVERY_MEMORY_KEYS by default). */
  memoryKeys?: number;
}): DeliveryLog {
  const { db, clock } = opts;
  const deadlineMs = opts.deadlineMs ?? 1000;
  const keepMs = opts.keepMs ?? DELIVERY_KEEP_MS;
  const collection = db.collection(opts.collection ?? 'slack_deliveries');
  const local = createMemoryDeliveryLog(clock, keepMs, opts.memoryKeys);
  return {
    async claim(key) {
      // A repeat on this instance needs no round trip (and is caught even when Firestore is down).
      if ((await local.claim(key)) === 'duplicate') return 'duplicate';
      const now = clock.now().getTime();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'unknown'>((resolve) => {
        timer = setTimeout(() => resolve('unknown'), deadlineMs);
        timer.unref();
      });
      const created = collection
        .doc(deliveryDocId(key))
        .create({ at: Timestamp.fromMillis(now), deleteAt: Timestamp.fromMillis(now + keepMs) })
        .then(
          (): DeliveryClaim => 'first',
          (error: unknown): DeliveryClaim =>
            (error as { code?: unknown }).code === ALREADY_EXISTS ? 'duplicate' : 'unknown',
        );
      try {
        return await Promise.race([created, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
