/**
 * The engine's side of progress publishing: after every persisted change it hands the stored
 * request to a listener and goes on at once. Slack being slow, rate limited or down must never
 * hold a run between steps (issue 9), so the listener's promise is not awaited; the listener
 * (src/interactions/progress.ts) coalesces and retries on its own.
 */
import type { GuardedRequest } from '../domain/requests.js';

export type ProgressListener = (request: GuardedRequest) => Promise<void> | void;

/** Emit `request` to `listener` without waiting; its failures are logged, never thrown. */
export function createProgressEmitter(
  listener: ProgressListener | undefined,
  log: (line: object) => void,
): (request: GuardedRequest) => void {
  const failed = (requestId: string) => (error: unknown) =>
    log({ event: 'guarded.progress_failed', requestId, error: String(error) });
  return (request) => {
    if (!listener) return;
    try {
      const pending = listener(request);
      if (pending) pending.catch(failed(request.id));
    } catch (error) {
      failed(request.id)(error);
    }
  };
}
