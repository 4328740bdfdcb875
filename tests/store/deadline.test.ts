import { describe, expect, it } from 'vitest';
import { StoreDeadlineExceeded, withDeadline } from '../../src/store/deadline.js';

describe('store deadline', () => {
  const store = {
    label: 'kept',
    fast: async (x: number) => x * 2,
    silent: () => new Promise<number>(() => {}),
    sync: (x: number) => x + 1,
    failing: async () => {
      throw new Error('boom');
    },
  };
  const bounded = withDeadline(store, 100, 'requests');

  it('passes answers, errors and plain values through', async () => {
    expect(await bounded.fast(21)).toBe(42);
    expect(bounded.sync(1)).toBe(2);
    expect(bounded.label).toBe('kept');
    await expect(bounded.failing()).rejects.toThrow('boom');
  });

  it('rejects a call that never answers, naming it', async () => {
    const started = Date.now();
    const err = await bounded.silent().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreDeadlineExceeded);
    expect(String((err as Error).message)).toBe('requests.silent: no answer within 0.1 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
