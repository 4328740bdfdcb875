/**
 * The step executors of Cloud Scheduler steps (src/domain/self-heal-plan.ts): pause, resume and
 * run the self-heal job. Pause and resume record the state the job had before, and their undo
 * puts that state back (normally: the opposite); a run cannot be undone. Only the configured
 * self-heal job is ever touched, whatever the step's params say.
 */
import { z } from 'zod';
import type { PipelineConfig } from '../config.js';
import type { JsonValue, PlanStep } from '../domain/plan.js';
import type { SchedulerControl, SchedulerJobState, SchedulerPort } from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { schedulerActions } from '../domain/self-heal-plan.js';
import { describeFailure } from '../domain/status.js';
import type { StepExecutor } from './engine.js';

export interface SchedulerExecutorDeps {
  scheduler: SchedulerControl & SchedulerPort;
  config: PipelineConfig;
}

const params = z.object({ job: z.string().min(1) });
const undoSchema = z.object({
  job: z.string(),
  /** The job's state before the step; absent when it could not be read. */
  before: z.string().optional(),
});

type Toggle = 'pause' | 'resume';
const target: Record<Toggle, SchedulerJobState['state']> = { pause: 'PAUSED', resume: 'ENABLED' };
const opposite: Record<Toggle, Toggle> = { pause: 'resume', resume: 'pause' };

export function schedulerExecutors(deps: SchedulerExecutorDeps): Record<string, StepExecutor> {
  const { scheduler, config } = deps;

  /** The job a step names, if it is the configured self-heal job. */
  const jobOf = (step: PlanStep): Probe<string> => {
    const p = params.safeParse(step.params);
    if (!p.success) return fail('invalid', `bad step params: ${p.error.issues[0]?.message ?? 'invalid'}`);
    const configured = config.selfHeal?.schedulerJob;
    if (!configured) return fail('invalid', 'no self-heal job is configured');
    if (p.data.job !== configured)
      return fail('invalid', `${p.data.job} is not the configured self-heal job (${configured})`);
    return ok(configured);
  };

  /** Pause or resume, and check the job ends in the target state. */
  const toggle = async (job: string, verb: Toggle): Promise<Probe<SchedulerJobState>> => {
    const r = await scheduler[verb](job);
    if (!r.ok) return r;
    if (r.value.state !== target[verb]) {
      return fail('error', `${job} is ${r.value.state} after ${verb === 'pause' ? 'pausing' : 'resuming'}`);
    }
    return r;
  };

  const toggler = (verb: Toggle): StepExecutor => ({
    async run(step) {
      const job = jobOf(step);
      if (!job.ok) return job;
      // The state before, so that undo puts back exactly that (a job already paused stays paused).
      const before = await scheduler.getJob(job.value);
      const r = await toggle(job.value, verb);
      if (!r.ok) return fail(r.error.kind, `could not ${verb} ${job.value}: ${describeFailure(r.error)}`);
      const undoData: JsonValue = before.ok
        ? { job: job.value, before: before.value.state }
        : { job: job.value };
      return ok(undoData);
    },
    async undo(step, data) {
      const job = jobOf(step);
      if (!job.ok) return job;
      const u = undoSchema.safeParse(data.undoData ?? {});
      const before = u.success ? u.data.before : undefined;
      // Unknown before: the opposite. Known: only a job that was enabled or paused is put back.
      const back: Toggle | undefined =
        before === undefined
          ? opposite[verb]
          : before === 'ENABLED'
            ? 'resume'
            : before === 'PAUSED'
              ? 'pause'
              : undefined;
      if (!back || before === target[verb]) return ok(null);
      const r = await toggle(job.value, back);
      if (!r.ok) return fail(r.error.kind, `could not ${back} ${job.value}: ${describeFailure(r.error)}`);
      return ok(null);
    },
  });

  return {
    [schedulerActions.pause]: toggler('pause'),
    [schedulerActions.resume]: toggler('resume'),
    [schedulerActions.run]: {
      async run(step) {
        const job = jobOf(step);
        if (!job.ok) return job;
        const r = await scheduler.run(job.value);
        if (!r.ok) return fail(r.error.kind, `could not run ${job.value}: ${describeFailure(r.error)}`);
        return ok(undefined);
      },
    },
  };
}
