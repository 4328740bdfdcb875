/**
 * The report deadline shared by every read of one report (status, trace): a single timer, and
 * each read raced against it, so what has not answered by then is a `timeout` failure of its own
 * line while the rest of the report still shows.
 */
import { fail, type Probe } from './result.js';

/** A read bounded by the report deadline: its own answer, or a `timeout` failure once the deadline passed. */
export type Bound = <T>(p: Promise<Probe<T>>) => Promise<Probe<T>>;

/** Runs `reads` with a `Bound` armed for `deadlineMs`; the timer is cleared as soon as they are done. */
export async function underReportDeadline<R>(
  deadlineMs: number,
  reads: (b: Bound) => Promise<R>,
): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<Probe<never>>((resolve) => {
    timer = setTimeout(() => resolve(fail('timeout', 'no answer before the report deadline')), deadlineMs);
  });
  const b: Bound = (p) => Promise.race([p, expired]);
  try {
    return await reads(b);
  } finally {
    clearTimeout(timer);
  }
}
