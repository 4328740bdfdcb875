/**
 * Delivers the latest state of each subject (a guarded request's messages) beside the work that
 * produces it, so a slow or failing receiver (Slack) never holds the producer (issue 9, item 6):
 *
 * - `publish` only queues: it never waits for a delivery.
 * - Per subject, a newer state replaces a queued older one, and deliveries start at most once
 *   per `minIntervalMs` (Slack allows about one `chat.update` per second per message).
 * - Each attempt is bounded by `timeoutMs`; a failed one is retried with exponential backoff
 *   (at least the receiver's Retry-After), with the newest state, until it is delivered. A
 *   failure the receiver will answer again the same way (a refusal) is dropped, logged and
 *   handed to `refused`, so the caller can tell the people who watch the subject.
 *
 * It knows nothing of Slack: `deliver` and `classify` are given by the caller.
 */

export interface PublishFailure {
  /** Whether trying again can help (rate limited, server error, timeout). */
  retry: boolean;
  /** Wait at least this long before the next attempt (a 429's Retry-After). */
  afterMs?: number;
  /** For the log line: what the receiver said. */
  code?: string;
}

export interface PublisherOptions<T> {
  /** Which subject `item` is a state of: states of one subject replace each other. */
  key(item: T): string;
  /** True when `a` is older than `b` (a stale read must not replace a newer queued state). */
  older(a: T, b: T): boolean;
  /** Deliver one state; reject to fail. Should honour `signal` (aborted when the attempt times out). */
  deliver(item: T, signal: AbortSignal): Promise<void>;
  classify(error: unknown): PublishFailure;
  log(line: Record<string, unknown>): void;
  /** A state dropped because the receiver refused it (not worth retrying); must not throw. */
  refused?(item: T, failure: PublishFailure): void;
  minIntervalMs?: number;
  timeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Monotonic milliseconds; real time, since it paces real timers (not the domain Clock). */
  now?: () => number;
}

export interface Publisher<T> {
  publish(item: T): void;
  /** Resolves when nothing is queued or in flight, or after `maxMs`. */
  drain(maxMs: number): Promise<void>;
  /** Stop delivering: queued states are dropped, timers cleared. */
  close(): void;
}

interface Slot<T> {
  pending?: T | undefined;
  /** The newest state accepted (queued, in flight or delivered): an older one is ignored. */
  newest?: T;
  inFlight: boolean;
  timer?: NodeJS.Timeout | undefined;
  /** Earliest time the next attempt may start. */
  notBefore: number;
  failures: number;
}

/** A timeout as a failure the classifier sees like any transport error. */
export class PublishTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'PublishTimeout';
  }
}

export function createPublisher<T>(opts: PublisherOptions<T>): Publisher<T> {
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const backoff = opts.backoff ?? { initialMs: 1000, maxMs: 8000 };
  const now = opts.now ?? (() => performance.now());
  const slots = new Map<string, Slot<T>>();
  const idle: (() => void)[] = [];
  let closed = false;

  const busy = () => [...slots.values()].some((s) => s.inFlight || s.pending !== undefined);
  const settle = () => {
    if (!busy()) for (const resolve of idle.splice(0)) resolve();
  };

  /** Forget subjects idle for a minute (kept until then for their pacing and newest state). */
  function prune(): void {
    if (slots.size < 200) return;
    const before = now() - 60_000;
    for (const [key, slot] of slots) {
      if (!slot.inFlight && slot.pending === undefined && slot.notBefore < before) slots.delete(key);
    }
  }

  function schedule(key: string, slot: Slot<T>): void {
    if (closed || slot.inFlight || slot.timer || slot.pending === undefined) return;
    const wait = slot.notBefore - now();
    // Due now: start at once, so a run's first state (its progress message) is not merged into later ones.
    if (wait <= 0) {
      void attempt(key, slot);
      return;
    }
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void attempt(key, slot);
    }, wait);
    // A pending update must not keep a process alive that is otherwise done (tests, CLI).
    slot.timer.unref?.();
  }

  async function attempt(key: string, slot: Slot<T>): Promise<void> {
    const item = slot.pending;
    if (item === undefined || closed) return;
    slot.pending = undefined;
    slot.inFlight = true;
    const started = now();
    slot.notBefore = started + minIntervalMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        opts.deliver(item, controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new PublishTimeout(timeoutMs));
          }, timeoutMs);
        }),
      ]);
      slot.failures = 0;
    } catch (error) {
      const failure = opts.classify(error);
      slot.failures += 1;
      opts.log({
        event: 'publish.failed',
        key,
        attempt: slot.failures,
        retry: failure.retry,
        ...(failure.code === undefined ? {} : { code: failure.code }),
        ...(failure.afterMs === undefined ? {} : { afterMs: failure.afterMs }),
      });
      if (failure.retry) {
        // Keep the newest: a state queued while this one was in flight wins over it.
        if (slot.pending === undefined) slot.pending = item;
        // The receiver's own wait when it gives one (Retry-After), else exponential backoff.
        const delay =
          failure.afterMs ?? Math.min(backoff.maxMs, backoff.initialMs * 2 ** (slot.failures - 1));
        slot.notBefore = now() + Math.max(minIntervalMs, delay);
      } else {
        slot.failures = 0;
        try {
          opts.refused?.(item, failure);
        } catch {
          // Telling about a refusal must never stop the deliveries.
        }
      }
    } finally {
      clearTimeout(timer);
      slot.inFlight = false;
    }
    schedule(key, slot);
    settle();
  }

  return {
    publish(item) {
      if (closed) return;
      const key = opts.key(item);
      let slot = slots.get(key);
      if (!slot) {
        prune();
        slot = { inFlight: false, notBefore: 0, failures: 0 };
        slots.set(key, slot);
      }
      if (slot.newest !== undefined && opts.older(item, slot.newest)) return;
      slot.newest = item;
      slot.pending = item;
      schedule(key, slot);
    },
    drain(maxMs) {
      if (!busy()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxMs);
        timer.unref?.();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close() {
      closed = true;
      for (const slot of slots.values()) clearTimeout(slot.timer);
      slots.clear();
      settle();
    },
  };
}
