/** Cloud Scheduler API v1 adapter: read a job, and pause, resume or run it. */
// The generated client itself, not the library's index: it would load protos.js too (protoEnum).
import type { protos } from '@google-cloud/scheduler';
import { CloudSchedulerClient } from '@google-cloud/scheduler/build/src/v1/cloud_scheduler_client.js';
import type { SchedulerControl, SchedulerJobState, SchedulerPort } from '../domain/ports.js';
import { ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { attemptOptions, enumName, protoEnum, shortName, timestampToIso } from './proto-values.js';

type IJob = protos.google.cloud.scheduler.v1.IJob;

const jobStates: readonly SchedulerJobState['state'][] = [
  'ENABLED',
  'PAUSED',
  'DISABLED',
  'UPDATE_FAILED',
  'STATE_UNSPECIFIED',
];

export interface SchedulerDeps {
  client: CloudSchedulerClient;
  project: string;
  region: string;
  deadlineMs: number;
}

/** The real client, pointed at `endpoint` (the sandbox) when given, else at Google over REST. */
export function schedulerClient(endpoint: string | undefined, offline: boolean): CloudSchedulerClient {
  return new CloudSchedulerClient(
    endpoint
      ? { ...gaxEndpoint(endpoint, offline) }
      : { fallback: true, ...(offline ? { authClient: passThroughAuth() } : {}) },
  );
}

const JOB_STATE = protoEnum(
  '@google-cloud/scheduler/build/protos/protos.json',
  'google.cloud.scheduler.v1.Job.State',
);

export function readJob(job: IJob): SchedulerJobState {
  const state = enumName(job.state, JOB_STATE) as SchedulerJobState['state'] | undefined;
  const lastAttemptTime = timestampToIso(job.lastAttemptTime);
  const nextRunTime = timestampToIso(job.scheduleTime);
  return {
    name: shortName(job.name) ?? '',
    state: state && jobStates.includes(state) ? state : 'STATE_UNSPECIFIED',
    ...(job.schedule ? { schedule: job.schedule } : {}),
    ...(job.timeZone ? { timeZone: job.timeZone } : {}),
    ...(lastAttemptTime ? { lastAttemptTime } : {}),
    // No status before the first attempt.
    ...(job.status ? { lastStatus: { code: job.status.code ?? 0, message: job.status.message ?? '' } } : {}),
    ...(nextRunTime ? { nextRunTime } : {}),
  };
}

export function createSchedulerAdapter(deps: SchedulerDeps): SchedulerPort & SchedulerControl {
  const { client, deadlineMs } = deps;
  const fullName = (job: string) =>
    job.startsWith('projects/') ? job : `projects/${deps.project}/locations/${deps.region}/jobs/${job}`;

  const getJob = async (job: string): Promise<Probe<SchedulerJobState>> => {
    const r = await guarded({ deadlineMs }, async (signal) => {
      const [j] = await client.getJob({ name: fullName(job) }, attemptOptions(signal, deadlineMs));
      return j;
    });
    return r.ok ? ok(readJob(r.value)) : r;
  };

  /**
   * Pause and resume refuse (FAILED_PRECONDITION) a job already in the target state; that
   * answer after a double click or a retry whose first attempt landed still means success.
   */
  const toggle = async (job: string, verb: 'pauseJob' | 'resumeJob', target: 'PAUSED' | 'ENABLED') => {
    const r = await guarded({ deadlineMs }, async (signal) => {
      const [j] = await client[verb]({ name: fullName(job) }, attemptOptions(signal, deadlineMs));
      return j;
    });
    if (r.ok) return ok(readJob(r.value));
    if (r.error.kind !== 'invalid') return r;
    const now = await getJob(job);
    return now.ok && now.value.state === target ? now : r;
  };

  return {
    getJob,
    pause: (job) => toggle(job, 'pauseJob', 'PAUSED'),
    resume: (job) => toggle(job, 'resumeJob', 'ENABLED'),
    async run(job) {
      // Not retried: a retry after a lost answer would run the job twice.
      const r = await guarded({ deadlineMs, retry: false }, async (signal) => {
        const [j] = await client.runJob({ name: fullName(job) }, attemptOptions(signal, deadlineMs));
        return j;
      });
      return r.ok ? ok(readJob(r.value)) : r;
    },
  };
}
