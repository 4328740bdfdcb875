/**
 * Cloud Scheduler API v1 for the sandbox: get and list jobs, and the `:pause`, `:resume` and
 * `:run` verbs, as proto3 JSON (checked against the client's protos in tests/sandbox/schemas.test.ts).
 */
import {
  checkLocation,
  type EnumEncoder,
  enumEncoder,
  googleStatus,
  listRoute,
  segments,
} from './google-rest.js';
import {
  googleError,
  type Route,
  type RouteModule,
  type SandboxContext,
  type SandboxReply,
  type SandboxRequest,
} from './server.js';
import type { SimSchedulerJob } from './state.js';

// Enum numbers from google/cloud/scheduler/v1/job.proto and target.proto.
const jobState = { STATE_UNSPECIFIED: 0, ENABLED: 1, PAUSED: 2, DISABLED: 3, UPDATE_FAILED: 4 } as const;
const httpMethod = { POST: 1 } as const;

const DAY = 24 * 60 * 60 * 1000;

/** When the job's config last changed (pause and resume count); the scenarios do not say. */
const userUpdates = new WeakMap<SimSchedulerJob, Date>();

function jobJson(ctx: SandboxContext, e: EnumEncoder, job: SimSchedulerJob): Record<string, unknown> {
  const { project, region } = ctx.state;
  const uri = `https://${region}-${project}.cloudfunctions.net/${job.target}`;
  const userUpdate = userUpdates.get(job) ?? new Date((job.lastAttemptTime ?? ctx.now()).getTime() - 7 * DAY);
  const status = job.status
    ? {
        ...(job.status.code ? { code: job.status.code } : {}),
        ...(job.status.message ? { message: job.status.message } : {}),
      }
    : undefined;
  return {
    name: `projects/${project}/locations/${region}/jobs/${job.name}`,
    httpTarget: {
      uri,
      httpMethod: e(httpMethod, 'POST'),
      headers: { 'User-Agent': 'Google-Cloud-Scheduler' },
      oidcToken: {
        serviceAccountEmail: `scheduler-invoker@${project}.iam.gserviceaccount.com`,
        audience: uri,
      },
    },
    schedule: job.schedule,
    timeZone: job.timeZone,
    userUpdateTime: userUpdate.toISOString(),
    state: e(jobState, job.state),
    ...(status ? { status } : {}),
    ...(job.nextRunTime ? { scheduleTime: job.nextRunTime.toISOString() } : {}),
    ...(job.lastAttemptTime ? { lastAttemptTime: job.lastAttemptTime.toISOString() } : {}),
    retryConfig: {
      maxRetryDuration: '0s',
      minBackoffDuration: '5s',
      maxBackoffDuration: '3600s',
      maxDoublings: 5,
    },
    attemptDeadline: '180s',
  };
}

/** The scenarios' jobs run daily: move the next run past `now` in whole days. */
function nextRunAfter(job: SimSchedulerJob, now: Date): Date | undefined {
  if (!job.nextRunTime) return undefined;
  let t = job.nextRunTime.getTime();
  while (t <= now.getTime()) t += DAY;
  return new Date(t);
}

export const schedulerRoutes: RouteModule = (ctx) => {
  const base = '^/v1/projects/([^/]+)/locations/([^/]+)/jobs';

  const withJob = (
    req: SandboxRequest,
    match: RegExpExecArray,
    then: (job: SimSchedulerJob, e: EnumEncoder) => SandboxReply,
  ): SandboxReply => {
    const [project = '', location = '', name = ''] = segments(match);
    const wrong = checkLocation(ctx, project, location);
    if (wrong) return wrong;
    const job = ctx.state.schedulerJobs.get(name);
    if (!job)
      return googleError(404, `Job not found: projects/${project}/locations/${location}/jobs/${name}.`);
    return then(job, enumEncoder(req));
  };

  // Verbs are part of the last path segment (`jobs/NAME:pause`), as the client sends them.
  const verb = (
    name: 'pause' | 'resume' | 'run',
    apply: (job: SimSchedulerJob) => SandboxReply | undefined,
  ): Route => ({
    api: 'scheduler',
    method: 'POST',
    pattern: new RegExp(`${base}/([^/:]+):${name}$`),
    handle: (req, match) => withJob(req, match, (job, e) => apply(job) ?? { body: jobJson(ctx, e, job) }),
  });

  const routes: Route[] = [
    listRoute(ctx, {
      api: 'scheduler',
      pattern: new RegExp(`${base}$`),
      field: 'jobs',
      items: () => ctx.state.schedulerJobs.values(),
      toJson: (e, j) => jobJson(ctx, e, j),
    }),
    {
      api: 'scheduler',
      method: 'GET',
      pattern: new RegExp(`${base}/([^/:]+)$`),
      handle: (req, match) => withJob(req, match, (job, e) => ({ body: jobJson(ctx, e, job) })),
    },
    // The real API refuses to pause a job that is not enabled, or resume one that is not paused.
    verb('pause', (job) => {
      if (job.state !== 'ENABLED') {
        return googleStatus(
          400,
          'FAILED_PRECONDITION',
          `Job ${job.name} is ${job.state}; only an ENABLED job can be paused.`,
        );
      }
      job.state = 'PAUSED';
      userUpdates.set(job, ctx.now());
      return undefined;
    }),
    verb('resume', (job) => {
      if (job.state !== 'PAUSED') {
        return googleStatus(
          400,
          'FAILED_PRECONDITION',
          `Job ${job.name} is ${job.state}; only a PAUSED job can be resumed.`,
        );
      }
      job.state = 'ENABLED';
      const next = nextRunAfter(job, ctx.now());
      if (next) job.nextRunTime = next;
      userUpdates.set(job, ctx.now());
      return undefined;
    }),
    verb('run', (job) => {
      job.lastAttemptTime = ctx.now();
      job.status = { code: 0, message: '' };
      return undefined;
    }),
  ];
  return routes;
};
