/** The lane that work after an ack goes through: bounded, and yielding a turn before each task. */
import { describe, expect, it } from 'vitest';
import { createLane } from '../../src/domain/lane.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('createLane', () => {
  it('runs at most `concurrency` tasks at a time, in order, and hands a finished slot on', async () => {
    const lane = createLane(2);
    const gates = Array.from({ length: 5 }, deferred);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const all = gates.map((gate, i) =>
      lane.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    expect(lane.size()).toBe(5);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(lane.size()).toBe(0);
  });

  it('lets I/O queued before a task run first: a turn of the event loop before each task', async () => {
    const lane = createLane(1);
    const order: string[] = [];
    const tasks = [1, 2, 3].map((n) => lane.run(() => void order.push(`task ${n}`)));
    // Callbacks queued as the tasks are (as an incoming request's would be) run between them.
    setImmediate(() => order.push('io 1'));
    await Promise.all(tasks);
    expect(order.indexOf('io 1')).toBeLessThan(order.indexOf('task 2'));
  });

  it('frees the slot of a task that fails', async () => {
    const lane = createLane(1);
    await expect(lane.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lane.run(() => 'next')).toBe('next');
    expect(lane.size()).toBe(0);
  });

  it('refuses a concurrency below one', () => {
    expect(() => createLane(0)).toThrow(RangeError);
  });
});
