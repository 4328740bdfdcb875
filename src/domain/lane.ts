/**
 * A lane for the work that follows an ack (rendering a report, serializing and starting its
 * post): at most `concurrency` tasks at a time, each started only after a turn of the event
 * loop. Requests still waiting for their ack are read, verified and acked between two tasks,
 * instead of after every report of a burst has been rendered and posted.
 */
export interface Lane {
  /** Run `task` when the lane has room, after yielding once; resolves or rejects as it does. */
  run<T>(task: () => Promise<T> | T): Promise<T>;
  /** Tasks waiting or running. */
  size(): number;
}

/** One macrotask turn: pending I/O callbacks (new connections, request bodies) run first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createLane(concurrency: number, yieldTurn: () => Promise<void> = nextTurn): Lane {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be ≥ 1');
  let running = 0;
  const waiting: (() => void)[] = [];
  // A finished task hands its slot to the next waiting one, or frees it.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async run<T>(task: () => Promise<T> | T): Promise<T> {
      if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      else running++;
      try {
        await yieldTurn();
        return await task();
      } finally {
        release();
      }
    },
    size: () => running + waiting.length,
  };
}
