/** The coalescing publisher: newest state wins, paced per subject, bounded calls, retried until taken. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPublisher, type PublishFailure } from '../../src/workflows/publisher.js';

interface State {
  id: string;
  version: number;
}

function harness(
  opts: { answer?: (s: State) => Promise<void> | void; classify?: (e: unknown) => PublishFailure } = {},
) {
  const delivered: { at: number; state: string }[] = [];
  const logs: Record<string, unknown>[] = [];
  const refused: { state: string; code: string | undefined }[] = [];
  const p = createPublisher<State>({
    key: (s) => s.id,
    older: (a, b) => a.version < b.version,
    async deliver(s) {
      await opts.answer?.(s);
      delivered.push({ at: Date.now(), state: `${s.id}@${s.version}` });
    },
    classify: opts.classify ?? (() => ({ retry: true })),
    log: (line) => logs.push(line),
    refused: (s, failure) => refused.push({ state: `${s.id}@${s.version}`, code: failure.code }),
    minIntervalMs: 1000,
    timeoutMs: 5000,
    backoff: { initialMs: 1000, maxMs: 8000 },
    now: () => Date.now(),
  });
  return { p, delivered, logs, refused };
}

describe('coalescing publisher', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first state at once, then at most one a second, the newest replacing queued ones', async () => {
    const h = harness();
    h.p.publish({ id: 'r1', version: 1 });
    await vi.advanceTimersByTimeAsync(0);
    for (let v = 2; v <= 6; v++) h.p.publish({ id: 'r1', version: v });
    h.p.publish({ id: 'r2', version: 1 }); // another message is paced on its own
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.delivered).toEqual([
      { at: 0, state: 'r1@1' },
      { at: 0, state: 'r2@1' },
      { at: 1000, state: 'r1@6' },
    ]);
  });

  it('ignores a state older than one already accepted', async () => {
    const h = harness();
    h.p.publish({ id: 'r1', version: 5 });
    await vi.advanceTimersByTimeAsync(0);
    h.p.publish({ id: 'r1', version: 4 });
    await vi.advanceTimersByTimeAsync(3000);
    expect(h.delivered.map((d) => d.state)).toEqual(['r1@5']);
  });

  it('never waits: publish returns before the receiver answers, and a hung call is bounded', async () => {
    let calls = 0;
    const h = harness({
      answer: () => {
        calls++;
        // The first call hangs forever; the publisher gives up on it after 5 s and retries.
        return calls === 1 ? new Promise<void>(() => {}) : undefined;
      },
    });
    h.p.publish({ id: 'r1', version: 1 });
    expect(h.delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ event: 'publish.failed', attempt: 1, retry: true }),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.delivered.map((d) => d.state)).toEqual(['r1@1']);
  });

  it('honours Retry-After and delivers the newest state once the receiver answers again', async () => {
    const failingUntil = 10_000;
    const h = harness({
      answer: () => {
        if (Date.now() < failingUntil) throw Object.assign(new Error('ratelimited'), { retryAfter: 3 });
      },
      classify: (e) => ({ retry: true, afterMs: (e as { retryAfter: number }).retryAfter * 1000 }),
    });
    h.p.publish({ id: 'r1', version: 1 });
    await vi.advanceTimersByTimeAsync(0);
    h.p.publish({ id: 'r1', version: 2 });
    await vi.advanceTimersByTimeAsync(4000);
    h.p.publish({ id: 'r1', version: 3 });
    const attemptsAt = () => h.logs.length;
    await vi.advanceTimersByTimeAsync(20_000);
    // Attempts at 0, 3, 6, 9 s (each waiting Retry-After), then success at 12 s with the newest.
    expect(attemptsAt()).toBe(4);
    expect(h.delivered).toEqual([{ at: 12_000, state: 'r1@3' }]);
  });

  it('backs off exponentially on errors without Retry-After, up to the bound', async () => {
    const attempts: number[] = [];
    const h = harness({
      answer: () => {
        attempts.push(Date.now());
        if (Date.now() < 20_000) throw new Error('500');
      },
    });
    h.p.publish({ id: 'r1', version: 1 });
    await vi.advanceTimersByTimeAsync(40_000);
    expect(attempts).toEqual([0, 1000, 3000, 7000, 15_000, 23_000]);
    expect(h.delivered).toEqual([{ at: 23_000, state: 'r1@1' }]);
  });

  it('drops a state the receiver refuses for good, and drain resolves', async () => {
    const h = harness({
      answer: () => {
        throw new Error('invalid_blocks');
      },
      classify: () => ({ retry: false, code: 'invalid_blocks' }),
    });
    h.p.publish({ id: 'r1', version: 1 });
    const drained = h.p.drain(60_000);
    await vi.advanceTimersByTimeAsync(10);
    await drained;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.logs).toEqual([expect.objectContaining({ retry: false, code: 'invalid_blocks' })]);
    // Handed over once, so the people watching the request can be told (issue 9, item 5).
    expect(h.refused).toEqual([{ state: 'r1@1', code: 'invalid_blocks' }]);
  });

  it('hands nothing over for failures it retries', async () => {
    let calls = 0;
    const h = harness({
      answer: () => {
        calls += 1;
        if (calls < 3) throw new Error('fatal_error');
      },
      classify: () => ({ retry: true, code: 'http_500' }),
    });
    h.p.publish({ id: 'r1', version: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.delivered.map((d) => d.state)).toEqual(['r1@1']);
    expect(h.refused).toEqual([]);
  });
});
