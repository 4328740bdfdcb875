/**
 * Acks first: what a command does after its ack waits while other Slack requests are still
 * waiting for theirs, and until none has arrived for `quietMs` (a burst is still arriving), at
 * most `maxWaitMs`. In a burst of 200 commands the acks then go out before the claims, reports
 * and posts of the first ones take the event loop from the last; and the `--fresh` ones among
 * them, all asked by then, share the one report begun after the burst.
 * A request counts from its arrival at the HTTP server (before Bolt has read and verified its
 * body) until its response is written; over Socket Mode, from Bolt's processEvent to its ack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextTurn } from './domain/lane.js';

/** Longest that a command's work after its ack waits for the other requests' acks. */
export const ACKS_FIRST_MS = 1000;
/** How long no request must have arrived: what a lone command's work waits after its ack. */
export const QUIET_MS = 25;

export interface AcksFirst {
  /** A request now waits for its ack; the returned function says it was answered (once). */
  waiting(): () => void;
  /** Resolves once no request waits and none arrived for `quietMs`, or after `maxWaitMs`. */
  drained(): Promise<void>;
  /** Requests waiting now. */
  pending(): number;
  /**
   * Count the HTTP receiver's Slack requests from their arrival: POSTs under `/slack/` (Bolt's
   * endpoint), not /healthz nor a scheduler's call, which may take long and acks no one.
   */
  watch(receiver: { requestListener?: (req: IncomingMessage, res: ServerResponse) => void }): void;
}

export function createAcksFirst(maxWaitMs = ACKS_FIRST_MS, quietMs = QUIET_MS): AcksFirst {
  let pending = 0;
  let lastArrival = 0;
  const waiting = () => {
    pending++;
    lastArrival = Date.now();
    let open = true;
    return () => {
      if (open) pending--;
      open = false;
    };
  };
  // One gate for every waiting command: a burst's 200 waiters poll as one.
  let gate: Promise<void> | undefined;
  const open = async () => {
    const until = Date.now() + maxWaitMs;
    await nextTurn();
    for (;;) {
      const now = Date.now();
      const quietIn = quietMs - (now - lastArrival);
      if ((pending === 0 && quietIn <= 0) || now >= until) return;
      // A timer that holds the process open: at SIGTERM the drain waits for this command's work
      // (app.ts stop), and a loop with nothing else to do would otherwise just end the process.
      await sleep(Math.max(1, Math.min(pending > 0 ? 5 : quietIn, until - now)));
    }
  };
  return {
    waiting,
    pending: () => pending,
    drained() {
      gate ??= open().finally(() => {
        gate = undefined;
      });
      return gate;
    },
    watch(receiver) {
      const inner = receiver.requestListener;
      if (typeof inner !== 'function') return;
      receiver.requestListener = (req, res) => {
        if (req.method === 'POST' && (req.url ?? '').startsWith('/slack/')) res.once('close', waiting());
        inner(req, res);
      };
    },
  };
}
