/** The status cache: shared computations, a short reuse, and what `--fresh` accepts. */
import { describe, expect, it } from 'vitest';
import { SingleFlightCache } from '../../src/domain/single-flight.js';

function clockAt(start: number) {
  let now = start;
  return { now: () => now, set: (t: number) => (now = t) };
}

describe('SingleFlightCache', () => {
  it('shares one computation between concurrent callers, fresh or not', async () => {
    const clock = clockAt(0);
    const cache = new SingleFlightCache<number>(30_000, clock.now);
    let computed = 0;
    let finish!: (n: number) => void;
    const compute = () => {
      computed++;
      return new Promise<number>((r) => {
        finish = r;
      });
    };
    const all = Promise.all([
      cache.get('d', compute),
      cache.get('d', compute, { fresh: true, notBefore: 0 }),
      cache.get('d', compute, { fresh: true }),
    ]);
    finish(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(computed).toBe(1);
  });

  it('serves a finished result for its ttl, not after', async () => {
    const clock = clockAt(0);
    const cache = new SingleFlightCache<number>(30_000, clock.now);
    let computed = 0;
    const compute = async () => ++computed;
    expect(await cache.get('d', compute)).toBe(1);
    clock.set(29_999);
    expect(await cache.get('d', compute)).toBe(1);
    clock.set(30_000);
    expect(await cache.get('d', compute)).toBe(2);
  });

  it('gives --fresh a finished result begun after it was asked, and never one begun before', async () => {
    const clock = clockAt(1000);
    const cache = new SingleFlightCache<number>(30_000, clock.now);
    let computed = 0;
    const compute = async () => ++computed;
    // Asked at 1000 and 1500; the report that ends up computed began at 2000 (after both asked).
    clock.set(2000);
    expect(await cache.get('d', compute, { fresh: true, notBefore: 1000 })).toBe(1);
    clock.set(2600);
    expect(await cache.get('d', compute, { fresh: true, notBefore: 1500 })).toBe(1);
    // Asked after it began: a new one.
    expect(await cache.get('d', compute, { fresh: true, notBefore: 2500 })).toBe(2);
    // Without a time asked, fresh means begun from now on.
    clock.set(3000);
    expect(await cache.get('d', compute, { fresh: true })).toBe(3);
    expect(computed).toBe(3);
  });

  it('keeps at most maxEntries keys', async () => {
    const cache = new SingleFlightCache<string>(30_000, () => 0, 3);
    for (const k of ['a', 'b', 'c', 'd']) await cache.get(k, async () => k);
    let recomputed = false;
    await cache.get('a', async () => {
      recomputed = true;
      return 'a';
    });
    expect(recomputed).toBe(true);
  });
});
