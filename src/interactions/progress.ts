/**
 * Keeps a guarded request's two Slack messages in step with its stored state: the approval
 * request in the channel (its buttons go once decided) and the progress message in its thread.
 * Progress updates one message with chat.update (response_url allows only 5 uses).
 *
 * Publishing happens beside the run (issue 9, item 6): a call only queues the state; the
 * coalescing publisher (src/workflows/publisher.ts) sends at most one update a second per
 * request, bounds each call, and retries the newest state until Slack takes it. A state Slack
 * refuses for good is told in the request's thread, with Slack's error code.
 */
import {
  ErrorCode,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebClient,
  type WebClientOptions,
} from '@slack/web-api';
import type { PipelineConfig } from '../config.js';
import { describePrincipals } from '../domain/policy.js';
import type { Clock } from '../domain/ports.js';
import { effectiveState, type GuardedRequest, type RequestState } from '../domain/requests.js';
import { slackErrorCode } from '../flows/slack-failure.js';
import type { Logger } from '../log.js';
import { approvalMessage, progressMessage, requestFallback } from '../views/guarded.js';
import type { Engine } from '../workflows/engine.js';
import { createPublisher as createCoalescingPublisher, type PublishFailure } from '../workflows/publisher.js';

/** Bound on one progress call to Slack; the publisher retries after it. */
const CALL_TIMEOUT_MS = 5000;

/**
 * Options of the WebClient that sends progress (built in the composition root). The client's
 * own retry policy (by default about ten retries in thirty minutes, and a 429 pausing every call
 * of the client) would hold an update far longer than its state stays current: the publisher
 * retries instead, with the newest state. docs.slack.dev/apis/web-api/rate-limits
 */
export const progressClientOptions = {
  retryConfig: { retries: 0 },
  timeout: CALL_TIMEOUT_MS,
  rejectRateLimitedCalls: true,
} satisfies WebClientOptions;

/** Queues a request's state for its messages; resolves at once, never waits for Slack. */
export interface Publisher {
  (request: GuardedRequest): Promise<void>;
  /** Resolves once every queued state was delivered (or dropped), or after `maxMs`. */
  drain(maxMs: number): Promise<void>;
  close(): void;
}

/** Platform errors (HTTP 200, ok:false) that Slack may not answer the same way next time. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Whether a failed progress call is worth sending again, and when. */
export function classifySlackFailure(error: unknown): PublishFailure {
  const code = (error as { code?: string } | undefined)?.code;
  switch (code) {
    case ErrorCode.RateLimitedError:
      return {
        retry: true,
        afterMs: (error as WebAPIRateLimitedError).retryAfter * 1000,
        code: 'ratelimited',
      };
    case ErrorCode.HTTPError: {
      const status = (error as WebAPIHTTPError).statusCode;
      return { retry: status >= 500 || status === 408, code: `http_${status}` };
    }
    case ErrorCode.PlatformError: {
      const slackError = String((error as WebAPIPlatformError).data?.error ?? 'unknown');
      return { retry: TRANSIENT_PLATFORM_ERRORS.has(slackError), code: slackError };
    }
    case ErrorCode.RequestError:
      return { retry: true, code: 'request_error' };
    default:
      // Timeouts of the publisher itself, and anything unexpected on the way: try again.
      return { retry: true, code: error instanceof Error ? error.name : 'error' };
  }
}

export function createPublisher(deps: {
  /** A client with bounded retries and timeout (progressClientOptions). */
  client: WebClient;
  config: PipelineConfig;
  clock: Clock;
  log: Logger;
  staleAfterMs: number;
  engine: () => Engine;
  /** Lines a kind of action adds to its progress message (a backfill's progress bar). */
  extraLines?: (r: GuardedRequest) => string[];
  /** Publisher pacing, shorter in tests. */
  pacing?: { minIntervalMs?: number; timeoutMs?: number; backoff?: { initialMs: number; maxMs: number } };
}): Publisher {
  const { client, config, log } = deps;
  const progressTs = new Map<string, string>();
  const approvalState = new Map<string, string>();

  async function updateApproval(
    r: GuardedRequest & { threadTs: string },
    state: ReturnType<typeof effectiveState>,
  ) {
    const approvers = describePrincipals(config.access.approvers) ?? 'nobody configured';
    const shownState = state === 'running' || state === 'interrupted' ? 'approved' : state;
    const decided = r.approver ? 'approved' : shownState;
    const approvalKey = `${decided}:${r.closedBy ?? ''}`;
    if (approvalState.get(r.id) === approvalKey) return;
    await client.chat.update({
      channel: r.channel,
      ts: r.threadTs,
      text: requestFallback(r, state),
      blocks: approvalMessage(r, {
        state:
          state === 'pending_approval' || state === 'expired' || state === 'rejected'
            ? state
            : decided === 'approved'
              ? 'approved'
              : state,
        approvers,
      }),
    });
    // Only once Slack took it: a refused or lost update is sent again with the next state.
    approvalState.set(r.id, approvalKey);
  }

  async function updateProgress(
    r: GuardedRequest & { threadTs: string },
    state: RequestState,
  ): Promise<void> {
    if (state === 'pending_approval' || state === 'expired' || (state === 'rejected' && r.steps.length === 0))
      return;
    if (state === 'cancelled' && r.steps.length === 0) return;
    const blocks = progressMessage(r, state, { lines: deps.extraLines?.(r) ?? [] });
    const text = requestFallback(r, state);
    const ts = r.progressTs ?? progressTs.get(r.id);
    if (ts) {
      await client.chat.update({ channel: r.channel, ts, text, blocks });
      return;
    }
    const posted = await client.chat.postMessage({ channel: r.channel, thread_ts: r.threadTs, text, blocks });
    if (posted.ts) {
      progressTs.set(r.id, posted.ts);
      await deps.engine().attachMessage(r.id, { progressTs: posted.ts });
    }
  }

  /** Both messages, each on its own: one refused must not keep the other from being shown. */
  async function deliver(r: GuardedRequest): Promise<void> {
    if (!r.threadTs) return;
    const threaded = { ...r, threadTs: r.threadTs };
    const state = effectiveState(r, deps.clock.now(), deps.staleAfterMs);
    const results = await Promise.allSettled([
      updateApproval(threaded, state),
      updateProgress(threaded, state),
    ]);
    const errors = results.flatMap((x) => (x.status === 'rejected' ? [x.reason as unknown] : []));
    // Report what decides the retry: a rate limit (it carries Slack's wait), else any error worth retrying.
    const limited = errors.find((e) => (e as { code?: string }).code === ErrorCode.RateLimitedError);
    const transient = errors.find((e) => classifySlackFailure(e).retry);
    if (errors.length > 0) throw limited ?? transient ?? errors[0];
  }

  /** Refusals already told in a request's thread: one line per request and Slack error code. */
  const told = new Set<string>();
  /**
   * Slack refused an update for good (invalid_blocks, cant_update_message, …): the messages stay at
   * an older state, so the thread says so with Slack's code (issue 9, item 5) rather than only the log.
   */
  function tellRefusal(r: GuardedRequest, failure: PublishFailure): void {
    const code = (failure.code ?? 'unknown_error').replace(/[^a-z0-9_]/gi, '');
    const key = `${r.id}:${code}`;
    if (!r.threadTs || told.has(key)) return;
    told.add(key);
    const text = `:warning: Slack refused to update this request's messages (\`${code}\`), so they may show an older state. The run is not affected: \`/pipeline audit\` lists every step.`;
    client.chat
      .postMessage({ channel: r.channel, thread_ts: r.threadTs, text })
      .catch((error: unknown) =>
        log.warn('could not tell a refused update', { request: r.id, code, told: slackErrorCode(error) }),
      );
  }

  const publisher = createCoalescingPublisher<GuardedRequest>({
    key: (r) => r.id,
    // Versions only grow; an equal one may still show a new effective state (interrupted).
    older: (a, b) => a.version < b.version,
    deliver: (r) => deliver(r),
    classify: classifySlackFailure,
    log: ({ event, key, ...rest }) =>
      log.warn('could not update the request messages', { event, request: key, ...rest }),
    refused: tellRefusal,
    ...(deps.pacing?.minIntervalMs === undefined ? {} : { minIntervalMs: deps.pacing.minIntervalMs }),
    timeoutMs: deps.pacing?.timeoutMs ?? CALL_TIMEOUT_MS + 1000,
    ...(deps.pacing?.backoff === undefined ? {} : { backoff: deps.pacing.backoff }),
  });

  const publish = async (request: GuardedRequest): Promise<void> => publisher.publish(request);
  return Object.assign(publish, {
    drain: (maxMs: number) => publisher.drain(maxMs),
    close: () => publisher.close(),
  });
}
