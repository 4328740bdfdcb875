/**
 * Cloud Run Admin API v2 Jobs and Executions for the sandbox: get a job, run it with argument
 * overrides (a long-running operation whose metadata is the new Execution), list, get and cancel
 * executions. Answers are proto3 JSON as the real API sends them (checked against the client's
 * protos in tests/gcp/run-jobs.test.ts).
 *
 * Simulation: a run's `--dates=a,b,c` argument gives one task per date (or, with a taskCount
 * override, the dates sharded over the tasks by index). A task takes the job's `taskMs` per date;
 * when it succeeds, the phase 2 raw data of its dates fills in (`completePhaseData`). A job whose
 * `stallNextExecution` is set starts one execution whose tasks never finish until it is cancelled;
 * tasks processing one of the job's `failDates` fail.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { conditionState, severity } from './cloud-run.js';
import {
  checkLocation,
  type EnumEncoder,
  enumEncoder,
  googleStatus,
  paginate,
  segments,
  stableId,
  stableUid,
} from './google-rest.js';
import { completePhaseData } from './scenarios.js';
import {
  googleError,
  type Route,
  type RouteModule,
  type SandboxContext,
  type SandboxRequest,
} from './server.js';
import type { SandboxState, SimExecution, SimRunJob, SimTask } from './state.js';

// Enum numbers from google/cloud/run/v2/execution.proto and google/api/launch_stage.proto
// (the condition enums are the Cloud Run routes').
const executionReason = {
  EXECUTION_REASON_UNDEFINED: 0,
  JOB_STATUS_SERVICE_POLLING_ERROR: 1,
  NON_ZERO_EXIT_CODE: 2,
  CANCELLED: 3,
  CANCELLING: 4,
  DELETED: 5,
} as const;
const completionStatus = {
  COMPLETION_STATUS_UNSPECIFIED: 0,
  EXECUTION_SUCCEEDED: 1,
  EXECUTION_FAILED: 2,
  EXECUTION_RUNNING: 3,
  EXECUTION_PENDING: 4,
  EXECUTION_CANCELLED: 5,
} as const;
const launchStage = { GA: 4 } as const;

const EXECUTION_TYPE = 'type.googleapis.com/google.cloud.run.v2.Execution';
/** gRPC codes carried by a finished operation's `error`. */
const CODE_CANCELLED = 1;
const CODE_UNKNOWN = 2;

const DATES_ARG = /^--dates=(.*)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The dates a run's args name (`--dates=a,b`), in order, or undefined when none do. */
export function datesOfArgs(args: readonly string[]): string[] | undefined {
  for (const a of args) {
    const m = DATES_ARG.exec(a);
    if (m) return (m[1] ?? '').split(',').filter((d) => ISO_DATE.test(d));
  }
  return undefined;
}

const terminal = (t: SimTask) => t.state === 'succeeded' || t.state === 'failed' || t.state === 'cancelled';
const count = (e: SimExecution, state: SimTask['state']) => e.tasks.filter((t) => t.state === state).length;

/** `1m32.5s`, as the real Completed condition words durations. */
function words(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  const rest = Math.round((s - m * 60) * 10) / 10;
  return m > 0 ? `${m}m${rest}s` : `${rest}s`;
}

/** A random execution name suffix as Cloud Run makes them: 5 lowercase letters and digits. */
function executionSuffix(): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 5 }, () => chars[randomInt(chars.length)]).join('');
}

function jobName(ctx: SandboxContext, job: string): string {
  return `projects/${ctx.state.project}/locations/${ctx.state.region}/jobs/${job}`;
}

function image(ctx: SandboxContext, job: string): string {
  return `${ctx.state.region}-docker.pkg.dev/${ctx.state.project}/cloud-run/${job}:latest`;
}

function serviceAccount(ctx: SandboxContext): string {
  return `pipeline-runner@${ctx.state.project}.iam.gserviceaccount.com`;
}

function logUri(ctx: SandboxContext, job: string, execution: string): string {
  const query = encodeURIComponent(
    `resource.type="cloud_run_job"\nresource.labels.job_name="${job}"\nlabels."run.googleapis.com/execution_name"="${execution}"`,
  );
  return `https://console.cloud.google.com/logs/viewer?project=${ctx.state.project}&advancedFilter=${query}`;
}

function completedCondition(e: EnumEncoder, x: SimExecution, at: Date): Record<string, unknown> {
  const base = { type: 'Completed', lastTransitionTime: at.toISOString() };
  const total = x.tasks.length;
  if (x.cancelled) {
    return {
      ...base,
      state: e(conditionState, x.completionTime ? 'CONDITION_FAILED' : 'CONDITION_RECONCILING'),
      message: 'The execution was cancelled.',
      ...(x.completionTime ? { severity: e(severity, 'ERROR') } : {}),
      executionReason: e(executionReason, x.completionTime ? 'CANCELLED' : 'CANCELLING'),
    };
  }
  if (!x.completionTime) {
    return {
      ...base,
      state: e(conditionState, 'CONDITION_RECONCILING'),
      message: `${count(x, 'succeeded')} of ${total} tasks completed.`,
    };
  }
  const failed = x.tasks.find((t) => t.state === 'failed');
  if (failed) {
    return {
      ...base,
      state: e(conditionState, 'CONDITION_FAILED'),
      message: `Task ${x.name}-task${failed.index} failed with message: The container exited with an error.`,
      severity: e(severity, 'ERROR'),
      executionReason: e(executionReason, 'NON_ZERO_EXIT_CODE'),
    };
  }
  const took = x.completionTime.getTime() - (x.startTime ?? x.createTime).getTime();
  return {
    ...base,
    state: e(conditionState, 'CONDITION_SUCCEEDED'),
    message: `Execution completed successfully in ${words(took)}.`,
  };
}

/** The Execution message; zero counts are left out, as proto3 JSON does. */
export function executionJson(ctx: SandboxContext, e: EnumEncoder, x: SimExecution): Record<string, unknown> {
  const job = jobName(ctx, x.job);
  const name = `${job}/executions/${x.name}`;
  const started = x.startTime ?? x.createTime;
  const updated =
    x.completionTime ?? x.tasks.reduce((t, k) => (k.startTime && k.startTime > t ? k.startTime : t), started);
  const counts: Record<string, number> = {
    runningCount: count(x, 'running'),
    succeededCount: count(x, 'succeeded'),
    failedCount: count(x, 'failed'),
    cancelledCount: count(x, 'cancelled'),
  };
  return {
    name,
    uid: stableUid(name),
    creator: serviceAccount(ctx),
    generation: '1',
    labels: { 'run.googleapis.com/job': x.job },
    createTime: x.createTime.toISOString(),
    ...(x.startTime ? { startTime: x.startTime.toISOString() } : {}),
    ...(x.completionTime ? { completionTime: x.completionTime.toISOString() } : {}),
    updateTime: updated.toISOString(),
    launchStage: e(launchStage, 'GA'),
    job: x.job,
    parallelism: x.parallelism,
    taskCount: x.tasks.length,
    template: {
      containers: [{ image: image(ctx, x.job), args: x.args }],
      maxRetries: 0,
      timeout: '3600s',
      serviceAccount: serviceAccount(ctx),
    },
    ...(x.completionTime ? {} : { reconciling: true }),
    conditions: [
      {
        type: 'ResourcesAvailable',
        state: e(conditionState, 'CONDITION_SUCCEEDED'),
        lastTransitionTime: started.toISOString(),
      },
      {
        type: 'Started',
        state: e(conditionState, 'CONDITION_SUCCEEDED'),
        lastTransitionTime: started.toISOString(),
      },
      completedCondition(e, x, updated),
    ],
    observedGeneration: '1',
    ...Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)),
    logUri: logUri(ctx, x.job, x.name),
    etag: `"${stableId(`${name}/${updated.toISOString()}/${JSON.stringify(counts)}`, 27)}"`,
  };
}

function jobJson(ctx: SandboxContext, e: EnumEncoder, job: SimRunJob): Record<string, unknown> {
  const name = jobName(ctx, job.name);
  const latest = job.executions.at(-1);
  const status = (x: SimExecution) =>
    !x.completionTime
      ? 'EXECUTION_RUNNING'
      : x.cancelled
        ? 'EXECUTION_CANCELLED'
        : x.tasks.some((t) => t.state === 'failed')
          ? 'EXECUTION_FAILED'
          : 'EXECUTION_SUCCEEDED';
  return {
    name,
    uid: stableUid(name),
    generation: '1',
    createTime: job.createTime.toISOString(),
    updateTime: job.createTime.toISOString(),
    creator: serviceAccount(ctx),
    lastModifier: serviceAccount(ctx),
    launchStage: e(launchStage, 'GA'),
    template: {
      ...(job.parallelism ? { parallelism: job.parallelism } : {}),
      taskCount: job.taskCount,
      template: {
        containers: [{ image: image(ctx, job.name), args: job.args }],
        maxRetries: 0,
        timeout: '3600s',
        serviceAccount: serviceAccount(ctx),
      },
    },
    observedGeneration: '1',
    terminalCondition: {
      type: 'Ready',
      state: e(conditionState, 'CONDITION_SUCCEEDED'),
      lastTransitionTime: job.createTime.toISOString(),
    },
    ...(job.executions.length ? { executionCount: job.executions.length } : {}),
    ...(latest
      ? {
          latestCreatedExecution: {
            name: latest.name,
            createTime: latest.createTime.toISOString(),
            ...(latest.completionTime ? { completionTime: latest.completionTime.toISOString() } : {}),
            completionStatus: e(completionStatus, status(latest)),
          },
        }
      : {}),
    etag: `"${stableId(`${name}/${job.executions.length}`, 27)}"`,
  };
}

/** Read a RunJob body's overrides: the args of the first container override, and taskCount. */
function readOverrides(body: unknown): { args?: string[]; taskCount?: number } | string {
  const o = (body as { overrides?: unknown } | undefined)?.overrides;
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object') return 'overrides must be an object';
  const { containerOverrides, taskCount } = o as { containerOverrides?: unknown; taskCount?: unknown };
  const out: { args?: string[]; taskCount?: number } = {};
  if (taskCount !== undefined && taskCount !== 0) {
    if (
      typeof taskCount !== 'number' ||
      !Number.isInteger(taskCount) ||
      taskCount < 1 ||
      taskCount > 10_000
    ) {
      return `overrides.task_count must be between 1 and 10000, got ${String(taskCount)}`;
    }
    out.taskCount = taskCount;
  }
  if (containerOverrides !== undefined) {
    if (!Array.isArray(containerOverrides)) return 'overrides.container_overrides must be a list';
    if (containerOverrides.length > 1)
      return 'the sandbox jobs have one container: give at most one override';
    const c = containerOverrides[0] as { args?: unknown; clearArgs?: unknown } | undefined;
    if (c?.args !== undefined) {
      if (!Array.isArray(c.args) || !c.args.every((a) => typeof a === 'string')) {
        return 'overrides.container_overrides[0].args must be a list of strings';
      }
      out.args = c.args as string[];
    } else if (c?.clearArgs === true) {
      out.args = [];
    }
  }
  return out;
}

/**
 * Start as many pending tasks as the parallelism allows; each finishes after `taskMs` per date
 * unless the execution stalls. Timers write into `state`, the scenario the run started in.
 */
function pump(ctx: SandboxContext, state: SandboxState, job: SimRunJob, x: SimExecution): void {
  if (x.completionTime) return;
  const limit = x.parallelism > 0 ? x.parallelism : x.tasks.length;
  let running = count(x, 'running');
  for (const task of x.tasks) {
    if (running >= limit) break;
    if (task.state !== 'pending') continue;
    task.state = 'running';
    task.startTime = ctx.now();
    running++;
    if (x.stalled) continue;
    const timer = setTimeout(() => {
      if (task.state !== 'running') return;
      const fails = task.dates.some((d) => job.failDates.includes(d));
      task.state = fails ? 'failed' : 'succeeded';
      task.completionTime = ctx.now();
      if (!fails) for (const d of task.dates) completePhaseData(state, 'phase2', d);
      pump(ctx, state, job, x);
    }, job.taskMs * Math.max(1, task.dates.length));
    timer.unref();
  }
  if (x.tasks.every(terminal)) x.completionTime = ctx.now();
}

function cancel(ctx: SandboxContext, x: SimExecution): void {
  x.cancelled = true;
  const at = ctx.now();
  for (const t of x.tasks) {
    if (terminal(t)) continue;
    t.state = 'cancelled';
    t.completionTime = at;
  }
  x.completionTime = at;
}

/** A RegExp that matches only the operations this module created, so Cloud Run's own route keeps the rest. */
class KnownOperation extends RegExp {
  constructor(
    source: string,
    private readonly known: (name: string) => boolean,
  ) {
    super(source);
  }
  override exec(text: string): RegExpExecArray | null {
    const m = super.exec(text);
    return m && this.known(text.replace(/^\/v2\//, '')) ? m : null;
  }
}

interface JobOperation {
  /** The state the execution lives in (a later scenario does not have it). */
  state: SandboxState;
  job: string;
  execution: string;
  /** RunJob finishes with the execution; CancelExecution at once. */
  kind: 'run' | 'cancel';
}

/**
 * The routes. List this module before `cloudRunRoutes`: both serve `…/operations/{id}`, and the
 * first matching route answers; this one only matches operation names it created.
 */
export const runJobsRoutes: RouteModule = (ctx) => {
  const operations = new Map<string, JobOperation>();
  const base = '^/v2/projects/([^/]+)/locations/([^/]+)';

  const findJob = (req: SandboxRequest, match: RegExpExecArray) => {
    const [project = '', location = '', job = ''] = segments(match);
    const wrong = checkLocation(ctx, project, location);
    if (wrong) return { reply: wrong };
    const found = ctx.state.runJobs.get(job);
    if (!found) {
      return {
        reply: googleError(404, `Resource '${job}' of kind 'JOB' in region '${location}' not found.`),
      };
    }
    return { job: found, e: enumEncoder(req), project, location };
  };

  const findExecution = (req: SandboxRequest, match: RegExpExecArray) => {
    const found = findJob(req, match);
    if ('reply' in found) return { reply: found.reply };
    const execution = segments(match)[3] ?? '';
    const x = found.job.executions.find((e) => e.name === execution);
    if (!x) {
      return {
        reply: googleError(
          404,
          `Resource '${execution}' of kind 'EXECUTION' in region '${found.location}' not found.`,
        ),
      };
    }
    return { ...found, x };
  };

  const newOperation = (project: string, location: string, op: JobOperation): string => {
    const name = `projects/${project}/locations/${location}/operations/${randomUUID()}`;
    operations.set(name, op);
    return name;
  };

  const routes: Route[] = [
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/jobs/([^/:]+)$`),
      handle(req, match) {
        const found = findJob(req, match);
        if ('reply' in found) return found.reply;
        return { body: jobJson(ctx, found.e, found.job) };
      },
    },
    {
      // RunJob: the operation's metadata is the new Execution; it is done when the execution is.
      api: 'cloudRun',
      method: 'POST',
      pattern: new RegExp(`${base}/jobs/([^/:]+):run$`),
      handle(req, match) {
        const found = findJob(req, match);
        if ('reply' in found) return found.reply;
        const { job, e, project, location } = found;
        const overrides = readOverrides(req.body);
        if (typeof overrides === 'string') return googleError(400, overrides);
        const args = overrides.args ?? job.args;
        const dates = datesOfArgs(args) ?? [];
        const taskCount = overrides.taskCount ?? (dates.length > 0 ? dates.length : job.taskCount);
        const tasks: SimTask[] = Array.from({ length: taskCount }, (_, index) => ({
          index,
          dates: dates.filter((_d, i) => i % taskCount === index),
          state: 'pending',
        }));
        const now = ctx.now();
        const x: SimExecution = {
          name: `${job.name}-${executionSuffix()}`,
          job: job.name,
          createTime: now,
          startTime: now,
          args,
          parallelism: job.parallelism,
          tasks,
          stalled: job.stallNextExecution,
          cancelled: false,
        };
        job.stallNextExecution = false;
        job.executions.push(x);
        pump(ctx, ctx.state, job, x);
        const name = newOperation(project, location, {
          state: ctx.state,
          job: job.name,
          execution: x.name,
          kind: 'run',
        });
        return { body: { name, metadata: { '@type': EXECUTION_TYPE, ...executionJson(ctx, e, x) } } };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/jobs/([^/:]+)/executions$`),
      handle(req, match) {
        const found = findJob(req, match);
        if ('reply' in found) return found.reply;
        const newestFirst = [...found.job.executions].sort(
          (a, b) => b.createTime.getTime() - a.createTime.getTime(),
        );
        const page = paginate(req, newestFirst);
        if (!page.ok) return page.reply;
        return {
          body: {
            executions: page.page.map((x) => executionJson(ctx, found.e, x)),
            ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          },
        };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/jobs/([^/:]+)/executions/([^/:]+)$`),
      handle(req, match) {
        const found = findExecution(req, match);
        if ('reply' in found) return found.reply;
        return { body: executionJson(ctx, found.e, found.x) };
      },
    },
    {
      // CancelExecution: the sandbox cancels at once, so the operation is done in its first answer.
      api: 'cloudRun',
      method: 'POST',
      pattern: new RegExp(`${base}/jobs/([^/:]+)/executions/([^/:]+):cancel$`),
      handle(req, match) {
        const found = findExecution(req, match);
        if ('reply' in found) return found.reply;
        const { x, e, project, location, job } = found;
        if (x.completionTime) {
          return googleStatus(
            400,
            'FAILED_PRECONDITION',
            `Execution '${x.name}' has already ${x.cancelled ? 'been cancelled' : 'completed'}.`,
          );
        }
        cancel(ctx, x);
        const name = newOperation(project, location, {
          state: ctx.state,
          job: job.name,
          execution: x.name,
          kind: 'cancel',
        });
        const execution = { '@type': EXECUTION_TYPE, ...executionJson(ctx, e, x) };
        return { body: { name, metadata: execution, done: true, response: execution } };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new KnownOperation(`${base}/operations/([^/:]+)$`, (name) => operations.has(name)),
      handle(req, match) {
        const [project = '', location = '', id = ''] = segments(match);
        const wrong = checkLocation(ctx, project, location);
        if (wrong) return wrong;
        const name = `projects/${project}/locations/${location}/operations/${id}`;
        const op = operations.get(name);
        const x = op?.state.runJobs.get(op.job)?.executions.find((e) => e.name === op.execution);
        if (!op || !x) return googleError(404, `Operation '${name}' not found.`);
        const execution = { '@type': EXECUTION_TYPE, ...executionJson(ctx, enumEncoder(req), x) };
        if (op.kind === 'cancel' || !x.completionTime) {
          return {
            body: {
              name,
              metadata: execution,
              ...(op.kind === 'cancel' ? { done: true, response: execution } : {}),
            },
          };
        }
        const failed = x.cancelled || x.tasks.some((t) => t.state === 'failed');
        return {
          body: {
            name,
            metadata: execution,
            done: true,
            ...(failed
              ? {
                  error: x.cancelled
                    ? { code: CODE_CANCELLED, message: `Execution ${x.name} was cancelled.` }
                    : {
                        code: CODE_UNKNOWN,
                        message: `Execution ${x.name} failed: ${count(x, 'failed')} of ${x.tasks.length} tasks failed.`,
                      },
                }
              : { response: execution }),
          },
        };
      },
    },
  ];
  return routes;
};
