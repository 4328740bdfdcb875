/**
 * The step executor of a backfill plan's `run_job` step (src/domain/backfill-plan.ts): start the
 * Cloud Run Job execution, watch it until it ends while reporting progress and stalls, then run
 * the target's data check again for every date.
 *
 * Exactly one execution per step, also across a resume: the execution's name is handed to
 * `recordExecution` as soon as it exists, which persists it into the running step's `undoData`
 * (see `recordExecutionIn`). A run that finds a name there (a resumed step whose runner died
 * while watching) watches that execution instead of starting another. A step that failed keeps
 * no name (the engine stores no undoData for a failure), so a retry starts a fresh execution.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { PipelineConfig } from '../config.js';
import { links } from '../domain/links.js';
import type { JsonValue, PlanStep } from '../domain/plan.js';
import type {
  BackfillProgress,
  Clock,
  DataChecksPort,
  ExecutionState,
  IsoDate,
  RunJobsPort,
} from '../domain/ports.js';
import type { GuardedRequest, RequestStore, StepRun } from '../domain/requests.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { describeFailure, evaluateCheck, runCheck } from '../domain/status.js';
import type { StepExecutor } from './engine.js';

export type { BackfillProgress } from '../domain/ports.js';

export interface BackfillExecutorDeps {
  jobs: RunJobsPort;
  dataChecks: DataChecksPort;
  config: PipelineConfig;
  /** Between two reads of the execution. Default 5 s. */
  pollMs?: number;
  /** No finished task for this long is a stall. Default `backfill.stallMinutes`. */
  stallMs?: number;
  /** Progress reports without a change, for elapsed time. Default 30 s. */
  tickMs?: number;
  onProgress?: (p: BackfillProgress) => void | Promise<void>;
  /** Persist the execution's full name the moment it exists (see `recordExecutionIn`). */
  recordExecution?: (request: GuardedRequest, step: PlanStep, execution: string) => void | Promise<void>;
  /**
   * Whether an aborted step cancels its execution (default true), or a function of the abort
   * reason deciding it. The engine also aborts steps at shutdown() and when another instance took
   * the request over; cancelling then would kill a backfill a resume could have watched to its end.
   */
  cancelOnAbort?: boolean | ((reason: unknown) => boolean);
  clock?: Clock;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a YYYY-MM-DD date');

const runJobParams = z.object({
  job: z.string().min(1),
  args: z.array(z.string()),
  dates: z.array(isoDate).min(1),
  target: z.string(),
  check: z.string(),
});

type RunJobParams = z.infer<typeof runJobParams>;

/** Dates whose closing check runs concurrently. */
const CHECKS_AT_ONCE = 4;

/** The execution an earlier attempt of this step recorded, if any. */
export function recordedExecution(request: GuardedRequest, stepId: string): string | undefined {
  const data = request.steps.find((s) => s.id === stepId)?.undoData;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const name = (data as { execution?: unknown }).execution;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return undefined;
}

/** The request's steps with `execution` recorded in `stepId`'s undoData. */
export function stepsWithExecution(request: GuardedRequest, stepId: string, execution: string): StepRun[] {
  return request.steps.map((s) =>
    s.id === stepId
      ? {
          ...s,
          undoData: {
            ...(s.undoData && typeof s.undoData === 'object' && !Array.isArray(s.undoData) ? s.undoData : {}),
            execution,
          },
        }
      : s,
  );
}

/**
 * A `recordExecution` writing into the request store, guarded like the engine's own writes (only
 * while this instance runs the request). The engine overwrites undoData with the step's result
 * when the step ends, which names the execution too.
 */
export function recordExecutionIn(
  store: RequestStore,
  instanceId: string,
): (request: GuardedRequest, step: PlanStep, execution: string) => Promise<void> {
  return async (request, step, execution) => {
    const current = (await store.get(request.id)) ?? request;
    const res = await store.update(
      request.id,
      { steps: stepsWithExecution(current, step.id, execution) },
      { states: ['running'], runner: instanceId },
    );
    if (!res.ok) throw new Error(`could not record execution ${execution}: ${res.reason.message}`);
  };
}

/** The execution's page in the Cloud Console. */
export function executionUrl(w: { project: string; region: string }, x: ExecutionState): string {
  if (!x.shortName) return links.job(w, x.job);
  return `https://console.cloud.google.com/run/jobs/executions/details/${encodeURIComponent(w.region)}/${encodeURIComponent(x.shortName)}/tasks?project=${encodeURIComponent(w.project)}`;
}

const settled = (x: ExecutionState) => x.succeededCount + x.failedCount + x.cancelledCount;

const describeCounts = (x: ExecutionState) =>
  [
    `${x.succeededCount} of ${x.taskCount} ${x.taskCount === 1 ? 'task' : 'tasks'} succeeded`,
    ...(x.failedCount ? [`${x.failedCount} failed`] : []),
    ...(x.cancelledCount ? [`${x.cancelledCount} cancelled`] : []),
    ...(x.runningCount ? [`${x.runningCount} still running`] : []),
  ].join(', ');

export function backfillExecutors(deps: BackfillExecutorDeps): Record<string, StepExecutor> {
  return { run_job: runJob(deps) };
}

function runJob(deps: BackfillExecutorDeps): StepExecutor {
  const { jobs, dataChecks, config } = deps;
  const pollMs = deps.pollMs ?? 5000;
  const stallMs = deps.stallMs ?? config.backfill.stallMinutes * 60_000;
  const tickMs = deps.tickMs ?? 30_000;
  const clock = deps.clock ?? { now: () => new Date() };
  const w = { project: config.project, region: config.region };

  const params = (step: PlanStep): Probe<RunJobParams> => {
    const r = runJobParams.safeParse(step.params);
    if (!r.success) {
      const issue = r.error.issues[0];
      return fail(
        'invalid',
        `step ${step.id}: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
      );
    }
    // Only jobs and checks of the configuration run, whatever a stored plan says.
    const target = config.backfill.targets.find((t) => t.id === r.data.target);
    if (target?.run.type !== 'job' || target.run.job !== r.data.job) {
      return fail(
        'invalid',
        `step ${step.id}: job ${r.data.job} is not the configured job of target ${r.data.target}`,
      );
    }
    if (target.check !== r.data.check) {
      return fail(
        'invalid',
        `step ${step.id}: check ${r.data.check} is not the check of target ${r.data.target}`,
      );
    }
    return ok(r.data);
  };

  async function report(p: BackfillProgress): Promise<void> {
    try {
      await deps.onProgress?.(p);
    } catch {
      // A progress message that could not be sent must not stop the watch.
    }
  }

  /** Run the target's check for each date: which now pass, fail, or could not be read. */
  async function closingChecks(p: RunJobParams) {
    const check = config.dataChecks.find((c) => c.id === p.check)!;
    // A few dates at a time: up to 31 dates of two queries each should not all hit BigQuery at once.
    const lines: { date: string; line: ReturnType<typeof evaluateCheck> }[] = [];
    for (let i = 0; i < p.dates.length; i += CHECKS_AT_ONCE) {
      const batch = p.dates.slice(i, i + CHECKS_AT_ONCE);
      const done = await Promise.all(
        batch.map(async (date) => {
          const facts = await runCheck(dataChecks, check, date as IsoDate, (x) => x);
          return { date, line: evaluateCheck(check, facts, w) };
        }),
      );
      lines.push(...done);
    }
    return {
      complete: lines.filter((l) => l.line.health === 'ok').map((l) => l.date),
      incomplete: lines.filter((l) => l.line.health === 'fail').map((l) => l.date),
      unchecked: lines.filter((l) => l.line.health === 'unknown').map((l) => l.date),
      details: Object.fromEntries(lines.map((l) => [l.date, l.line.detail])),
    };
  }

  return {
    async run(step, request, ctx) {
      const pr = params(step);
      if (!pr.ok) return pr;
      const p = pr.value;
      const { signal } = ctx;

      // Start the execution, or find the one an earlier attempt of this step started.
      let x: ExecutionState | undefined;
      const earlier = recordedExecution(request, step.id);
      if (earlier) {
        // Until it can be read: failing here would drop the recorded name (a failed step keeps no
        // undoData), and a retry would then start a second execution beside one that may be running.
        for (;;) {
          const found = await jobs.getExecution(earlier);
          if (found.ok) {
            x = found.value;
            break;
          }
          if (found.error.kind === 'not_found' || found.error.kind === 'invalid') break;
          try {
            await sleep(pollMs, undefined, { signal });
          } catch {
            // Aborted: checked below.
          }
          if (signal.aborted) {
            return fail(
              'error',
              `stopped before execution ${earlier} could be read: ${describeFailure(found.error)}`,
            );
          }
        }
      }
      if (!x) {
        if (signal.aborted) return fail('error', 'stopped before starting the job');
        const started = await jobs.runJob(p.job, p.args);
        if (!started.ok) {
          const lost =
            started.error.kind === 'timeout'
              ? ' The request may have reached Cloud Run: look at the job’s executions before retrying.'
              : '';
          return fail(
            started.error.kind,
            `could not start job ${p.job}: ${describeFailure(started.error)}.${lost}`,
          );
        }
        x = started.value;
        try {
          await deps.recordExecution?.(request, step, x.name);
        } catch {
          // Not fatal: the watch goes on; only a resume after a crash would lack the name.
        }
      }

      const startedAt = Date.parse(x.createTime ?? '') || clock.now().getTime();
      /** Until it ended, or until now. */
      const elapsed = (s: ExecutionState) =>
        Math.max(0, (Date.parse(s.completionTime ?? '') || clock.now().getTime()) - startedAt);
      let lastSettled = settled(x);
      let lastChange = clock.now().getTime();
      let lastReport = 0;
      let stallReported = false;
      const progress = (s: ExecutionState, stalled: boolean): BackfillProgress => ({
        requestId: request.id,
        stepId: step.id,
        execution: s.shortName,
        done: s.succeededCount,
        total: s.taskCount,
        failed: s.failedCount,
        cancelled: s.cancelledCount,
        running: s.runningCount,
        elapsedMs: elapsed(s),
        stalled,
        finished: s.done,
        ...(s.outcome ? { outcome: s.outcome } : {}),
        consoleUrl: executionUrl(w, s),
        dates: p.dates,
      });
      const send = async (s: ExecutionState, stalled: boolean) => {
        lastReport = clock.now().getTime();
        await report(progress(s, stalled));
      };
      if (!x.done) await send(x, false);

      while (!x.done) {
        try {
          await sleep(pollMs, undefined, { signal });
        } catch {
          // Aborted: fall through to the check below.
        }
        if (signal.aborted) return stop(x, signal.reason);
        const r = await jobs.getExecution(x.name);
        // A failed read is retried at the next poll; a long outage shows as a stall.
        const now = clock.now().getTime();
        let changed = false;
        if (r.ok) {
          changed = settled(r.value) !== lastSettled || r.value.done !== x.done;
          if (settled(r.value) !== lastSettled) {
            lastSettled = settled(r.value);
            lastChange = now;
            stallReported = false;
          }
          x = r.value;
        }
        if (x.done) break;
        const stalled = now - lastChange >= stallMs;
        if (stalled && !stallReported) {
          stallReported = true;
          await send(x, true);
        } else if (!stalled && (changed || now - lastReport >= tickMs)) {
          await send(x, false);
        }
      }
      await send(x, false);

      const checks = await closingChecks(p);
      const result = {
        execution: x.name,
        outcome: x.outcome ?? 'failed',
        tasks: {
          total: x.taskCount,
          succeeded: x.succeededCount,
          failed: x.failedCount,
          cancelled: x.cancelledCount,
        },
        elapsedMs: elapsed(x),
        complete: checks.complete,
        incomplete: checks.incomplete,
        unchecked: checks.unchecked,
        checks: checks.details,
        summary: [
          checks.complete.length ? `complete now: ${checks.complete.join(', ')}` : '',
          checks.incomplete.length ? `still incomplete: ${checks.incomplete.join(', ')}` : '',
          checks.unchecked.length ? `not checked: ${checks.unchecked.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      } satisfies JsonValue;
      if (x.outcome === 'succeeded') return ok(result);
      const now = checks.complete.length > 0 ? ` Complete now: ${checks.complete.join(', ')}.` : '';
      return fail('error', `execution ${x.shortName} ${x.outcome ?? 'ended'}: ${describeCounts(x)}.${now}`);
    },
  };

  /** The run was stopped: cancel the execution (unless told not to) and say how far it got. */
  async function stop(x: ExecutionState, reason: unknown): Promise<Probe<JsonValue | undefined>> {
    const policy = deps.cancelOnAbort ?? true;
    if (!(typeof policy === 'function' ? policy(reason) : policy)) {
      return fail(
        'error',
        `stopped watching execution ${x.shortName}, which keeps running (${describeCounts(x)}); a resume watches it again`,
      );
    }
    const r = await jobs.cancelExecution(x.name);
    if (!r.ok) {
      return fail(
        r.error.kind,
        `stopped watching, but could not cancel execution ${x.shortName}: ${describeFailure(r.error)}`,
      );
    }
    return fail(
      'error',
      `stopped: execution ${r.value.shortName} ${r.value.outcome ?? 'cancelling'}: ${describeCounts(r.value)}`,
    );
  }
}
