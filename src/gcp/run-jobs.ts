/**
 * Cloud Run Admin API v2 adapter for Jobs and Executions (backfill): run a job with argument
 * overrides, read, list and cancel its executions. Every call goes through `guarded`.
 *
 * RunJob answers a long-running operation whose metadata is the new Execution and which ends
 * when the execution ends (minutes to hours): the adapter takes the execution's name from the
 * first answer's metadata and never polls the operation; callers watch the execution instead.
 */
// The generated clients themselves, not the library's index: it would load protos.js too (protoEnum).
import type { protos } from '@google-cloud/run';
import { ExecutionsClient } from '@google-cloud/run/build/src/v2/executions_client.js';
import { JobsClient } from '@google-cloud/run/build/src/v2/jobs_client.js';
import type { ExecutionState, RunJobsPort } from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { attemptOptions, enumName, protoEnum, shortName, timestampToIso } from './proto-values.js';

type IExecution = protos.google.cloud.run.v2.IExecution;

const RUN_PROTOS = '@google-cloud/run/build/protos/protos.json';
const run = {
  Condition: {
    State: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.State'),
    ExecutionReason: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.ExecutionReason'),
  },
};

export interface RunJobsDeps {
  jobs: JobsClient;
  executions: ExecutionsClient;
  project: string;
  region: string;
  /** Deadline of one call, retries included. */
  deadlineMs: number;
}

/** The real clients, pointed at `endpoint` (the sandbox) when given, else at Google over REST. */
export function runJobsClients(
  endpoint: string | undefined,
  offline: boolean,
): { jobs: JobsClient; executions: ExecutionsClient } {
  const options = endpoint
    ? { ...gaxEndpoint(endpoint, offline) }
    : { fallback: true as const, ...(offline ? { authClient: passThroughAuth() } : {}) };
  return { jobs: new JobsClient(options), executions: new ExecutionsClient(options) };
}

const EXECUTION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/jobs\/([^/]+)\/executions\/([^/]+)$/;

/** A count field: absent in plain answers when zero, a number (or Long-like) in LRO messages. */
const n = (v: unknown): number => {
  const x = Number(v ?? 0);
  return Number.isFinite(x) ? x : 0;
};

/**
 * An Execution in any of the client's forms (plain get/list answers with enum names, or the raw
 * protobuf message of an operation's metadata with enum numbers and Long seconds).
 */
export function readExecution(x: IExecution): ExecutionState {
  const name = x.name ?? '';
  const parts = EXECUTION_NAME.exec(name);
  const completed = x.conditions?.find((c) => c.type === 'Completed');
  const state = enumName(completed?.state, run.Condition.State);
  const reason = enumName(completed?.executionReason, run.Condition.ExecutionReason);
  const createTime = timestampToIso(x.createTime);
  const startTime = timestampToIso(x.startTime);
  const completionTime = timestampToIso(x.completionTime);
  const counts = {
    taskCount: n(x.taskCount),
    runningCount: n(x.runningCount),
    succeededCount: n(x.succeededCount),
    failedCount: n(x.failedCount),
    cancelledCount: n(x.cancelledCount),
  };
  const done =
    completionTime !== undefined || state === 'CONDITION_SUCCEEDED' || state === 'CONDITION_FAILED';
  let outcome: ExecutionState['outcome'];
  if (done) {
    if (state === 'CONDITION_SUCCEEDED') outcome = 'succeeded';
    else if (reason === 'CANCELLED' || reason === 'CANCELLING') outcome = 'cancelled';
    else if (state === 'CONDITION_FAILED' || counts.failedCount > 0) outcome = 'failed';
    else if (counts.cancelledCount > 0) outcome = 'cancelled';
    else outcome = counts.succeededCount >= counts.taskCount ? 'succeeded' : 'failed';
  }
  return {
    name,
    shortName: parts?.[2] ?? shortName(name) ?? '',
    job: parts?.[1] ?? shortName(x.job) ?? '',
    ...(createTime ? { createTime } : {}),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...counts,
    done,
    ...(outcome ? { outcome } : {}),
    ...(x.logUri ? { logUri: x.logUri } : {}),
  };
}

export function createRunJobsAdapter(deps: RunJobsDeps): RunJobsPort {
  const { jobs, executions, deadlineMs } = deps;
  const jobName = (job: string) =>
    job.startsWith('projects/') ? job : `projects/${deps.project}/locations/${deps.region}/jobs/${job}`;
  const badName = (name: string) =>
    EXECUTION_NAME.test(name)
      ? undefined
      : fail('invalid', `not an execution name: ${name.slice(0, 80)} (projects/…/jobs/…/executions/…)`);

  const getExecution = async (name: string): Promise<Probe<ExecutionState>> => {
    const bad = badName(name);
    if (bad) return bad;
    const r = await guarded({ deadlineMs }, async (signal) => {
      const [x] = await executions.getExecution({ name }, attemptOptions(signal, deadlineMs));
      return x;
    });
    return r.ok ? ok(readExecution(r.value)) : r;
  };

  return {
    async runJob(job, args) {
      // Not retried: a retry after a lost answer would start a second execution.
      const r = await guarded({ deadlineMs, retry: false }, async (signal) => {
        const [op] = await jobs.runJob(
          { name: jobName(job), overrides: { containerOverrides: [{ args }] } },
          attemptOptions(signal, deadlineMs),
        );
        // The operation runs as long as the execution: never wait for it here.
        return { operation: op.name, execution: op.metadata as IExecution | null };
      });
      if (!r.ok) return r;
      const x = r.value.execution;
      if (!x?.name) {
        return fail(
          'error',
          `the job started (operation ${r.value.operation ?? '?'}) but did not name its execution`,
        );
      }
      return ok(readExecution(x));
    },

    getExecution,

    async listExecutions(job, limit) {
      const parent = jobName(job);
      const r = await guarded({ deadlineMs }, async (signal) => {
        const [list] = await executions.listExecutions(
          { parent, pageSize: limit },
          { ...attemptOptions(signal, deadlineMs), autoPaginate: false },
        );
        return list;
      });
      if (!r.ok) return r;
      const states = r.value.map(readExecution);
      states.sort((a, b) => (b.createTime ?? '').localeCompare(a.createTime ?? ''));
      return ok(states.slice(0, limit));
    },

    async cancelExecution(name) {
      const bad = badName(name);
      if (bad) return bad;
      // Not retried: a retry after a lost answer fails as "already cancelled"; the read below
      // settles that case instead.
      const r = await guarded({ deadlineMs, retry: false }, async (signal) => {
        const [op] = await executions.cancelExecution({ name }, attemptOptions(signal, deadlineMs));
        return (op.done ? (op.result ?? op.metadata) : op.metadata) as IExecution | null;
      });
      if (r.ok && r.value?.name) return ok(readExecution(r.value));
      // No execution in the answer, or the cancel was refused: a finished execution needs no cancel.
      const now = await getExecution(name);
      if (now.ok && (r.ok || now.value.done)) return now;
      return r.ok ? now : r;
    },
  };
}
