/**
 * Every Google call goes through `guarded`: a deadline of our own, retries for idempotent
 * reads, and errors mapped to a typed Failure. On the REST transport gax neither bounds a
 * call to a silent server nor retries HTTP errors (see shared OFFLINE-NOTES), so both are done here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FailureKind, fail, ok, type Probe } from '../domain/result.js';

export interface CallPolicy {
  /** Overall deadline for the call including retries, in ms. */
  deadlineMs: number;
  /** Retry transient failures (only for idempotent reads). Default true. */
  retry?: boolean;
  /** Base backoff in ms. */
  backoffMs?: number;
  maxAttempts?: number;
}

/** Map an error from gax, Gaxios, BigQuery's client or gRPC to a Failure kind. */
export function classify(error: unknown): { kind: FailureKind; message: string; transient: boolean } {
  const e = error as {
    code?: number | string;
    status?: number;
    response?: { status?: number };
    message?: string;
    name?: string;
  };
  const http = typeof e?.code === 'number' && e.code >= 100 ? e.code : (e?.status ?? e?.response?.status);
  const grpc = typeof e?.code === 'number' && e.code < 100 ? e.code : undefined;
  const raw = String(e?.message ?? error).split('\n')[0] ?? '';
  // Never echo URLs with query strings or bearer material from error messages.
  const message = raw.replace(/Bearer\s+\S+/gi, 'Bearer …').slice(0, 300);
  if (e?.name === 'AbortError')
    return { kind: 'timeout', message: 'no answer before the deadline', transient: false };
  if (http === 404 || grpc === 5) return { kind: 'not_found', message, transient: false };
  if (http === 401 || http === 403 || grpc === 7 || grpc === 16)
    return { kind: 'denied', message, transient: false };
  if (http === 400 || grpc === 3 || grpc === 9) return { kind: 'invalid', message, transient: false };
  if (
    http === 429 ||
    http === 500 ||
    http === 502 ||
    http === 503 ||
    http === 504 ||
    grpc === 14 ||
    grpc === 8
  ) {
    return { kind: 'unavailable', message, transient: true };
  }
  if (grpc === 4 || http === 408) return { kind: 'timeout', message, transient: true };
  const code = (e as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') {
    return { kind: 'unavailable', message, transient: true };
  }
  return { kind: 'error', message, transient: false };
}

class DeadlineExceeded extends Error {}

/**
 * Run `fn` under a deadline. `fn` receives an AbortSignal that fires at the deadline;
 * clients that cannot be aborted are simply abandoned, and their late answer is dropped
 * because the promise we return has already settled.
 */
export async function guarded<T>(
  policy: CallPolicy,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<Probe<T>> {
  const controller = new AbortController();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineExceeded());
    }, policy.deadlineMs);
    timer.unref?.();
  });
  const maxAttempts = policy.retry === false ? 1 : (policy.maxAttempts ?? 3);
  const backoff = policy.backoffMs ?? 200;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await Promise.race([fn(controller.signal), deadline]);
        return ok(value);
      } catch (error) {
        if (error instanceof DeadlineExceeded) {
          return fail('timeout', `no answer within ${Math.round(policy.deadlineMs / 100) / 10} s`);
        }
        const c = classify(error);
        const wait = backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        const left = policy.deadlineMs - (Date.now() - started);
        if (!c.transient || attempt >= maxAttempts || wait >= left) return fail(c.kind, c.message);
        await Promise.race([sleep(wait, undefined, { ref: false }), deadline]).catch(() => undefined);
        if (controller.signal.aborted) {
          return fail('timeout', `no answer within ${Math.round(policy.deadlineMs / 100) / 10} s`);
        }
      }
    }
  } finally {
    clearTimeout(timer);
    // Swallow the deadline's rejection when it was never awaited.
    deadline.catch(() => undefined);
  }
}
