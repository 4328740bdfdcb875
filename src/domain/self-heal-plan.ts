/**
 * Control of the self-heal Cloud Scheduler job as guarded actions: pause, resume, run now.
 * Also the guard a heal plan puts around itself when the job is due during the heal: pause it
 * first, resume it last (even when a step fails), so a person and the automation never heal
 * the same date at once. Pure: facts in, plans out.
 */
import type { PipelineConfig } from '../config.js';
import { links } from './links.js';
import { makePlan, type Plan, type PlanStep } from './plan.js';
import type { SchedulerJobState } from './ports.js';
import { accept, type Outcome, type Probe, refuse } from './result.js';
import { describeFailure, evaluateSelfHeal } from './status.js';

export type SelfHealAction = 'pause' | 'resume' | 'run';

/** The executor actions, by what they do to a Cloud Scheduler job. */
export const schedulerActions = {
  pause: 'pause_scheduler',
  resume: 'resume_scheduler',
  run: 'run_scheduler',
} as const satisfies Record<SelfHealAction, string>;

/** `HH:MM` (24 h) of `iso` in `timeZone`. */
export function clockTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/** One step acting on a Cloud Scheduler job. Pause and resume are undone by the opposite; a run cannot be. */
export function schedulerStep(
  action: SelfHealAction,
  job: string,
  opts: { id?: string; label?: string; always?: boolean } = {},
): PlanStep {
  const label =
    opts.label ??
    (action === 'pause'
      ? `Pause the Cloud Scheduler job ${job}`
      : action === 'resume'
        ? `Resume the Cloud Scheduler job ${job}`
        : `Run the Cloud Scheduler job ${job} once, now`);
  return {
    id: opts.id ?? `${action}-scheduler`,
    action: schedulerActions[action],
    label,
    destructive: false,
    undoable: action !== 'run',
    ...(opts.always ? { always: true } : {}),
    params: { job },
  };
}

/** Is the enabled self-heal job due within the heal's expected duration (`selfHeal.guardMinutes`)? */
export function dueDuringHeal(
  config: PipelineConfig,
  job: SchedulerJobState | undefined,
  now: Date,
): boolean {
  if (!config.selfHeal || !job || job.state !== 'ENABLED' || !job.nextRunTime) return false;
  const next = Date.parse(job.nextRunTime);
  return Number.isFinite(next) && next <= now.getTime() + config.selfHeal.guardMinutes * 60_000;
}

/**
 * The steps a heal plan puts around its own when the self-heal job is due during it: pause
 * first, resume last (always). Undefined when the job is not due (or not enabled).
 */
export function healGuard(
  config: PipelineConfig,
  job: SchedulerJobState | undefined,
  now: Date,
): { warning: string; first: PlanStep; last: PlanStep } | undefined {
  if (!config.selfHeal || !job?.nextRunTime || !dueDuringHeal(config, job, now)) return undefined;
  const name = config.selfHeal.schedulerJob;
  const at = clockTime(job.nextRunTime, job.timeZone ?? config.selfHeal.timeZone);
  return {
    warning: `The self-heal job runs at ${at}, during this heal. The plan pauses it first and resumes it at the end, even if a step fails; untick both steps to leave it running.`,
    first: schedulerStep('pause', name, {
      id: 'pause-self-heal',
      label: `Pause the self-heal job ${name} for the heal`,
    }),
    last: schedulerStep('resume', name, {
      id: 'resume-self-heal',
      label: `Resume the self-heal job ${name}`,
      always: true,
    }),
  };
}

/** An active heal request, as the self-heal plan needs to know it. */
export interface ActiveHeal {
  date: string;
  /** Its plan pauses and resumes the self-heal job. */
  guardsJob: boolean;
}

export interface SelfHealPlanResult {
  plan: Plan;
  warnings: string[];
  /** What could not be read (the job itself). */
  unknown: string[];
}

/** Plan `action` on the configured self-heal job, from how the job is now. */
export function planSelfHeal(
  config: PipelineConfig,
  action: SelfHealAction,
  job: Probe<SchedulerJobState>,
  now: Date,
  activeHeals: readonly ActiveHeal[] = [],
): Outcome<SelfHealPlanResult> {
  if (!config.selfHeal) return refuse('not_configured', 'No self-heal job is configured for this pipeline.');
  const name = config.selfHeal.schedulerJob;
  const w = { project: config.project, region: config.region };
  const warnings: string[] = [];
  const unknown: string[] = [];
  if (!job.ok) {
    if (job.error.kind === 'not_found') {
      return refuse(
        'not_found',
        `The Cloud Scheduler job \`${name}\` was not found in ${config.project} (${config.region}).`,
      );
    }
    unknown.push(`Cloud Scheduler job ${name}: ${describeFailure(job.error)}`);
  } else {
    const state = job.value.state;
    if (action === 'pause' && state === 'PAUSED')
      return refuse('already_paused', `The self-heal job \`${name}\` is already paused.`);
    if (action === 'pause' && state !== 'ENABLED')
      return refuse(
        'not_enabled',
        `The self-heal job \`${name}\` is ${state}: only an enabled job can be paused.`,
      );
    if (action === 'resume' && state === 'ENABLED')
      return refuse('already_enabled', `The self-heal job \`${name}\` is already enabled (not paused).`);
    if (action === 'resume' && state !== 'PAUSED')
      return refuse(
        'not_paused',
        `The self-heal job \`${name}\` is ${state}: only a paused job can be resumed.`,
      );
    if (action === 'run' && state !== 'ENABLED')
      warnings.push(`The job is ${state}; Run now still runs it once, and it stays ${state}.`);
  }
  for (const heal of activeHeals) {
    if (action === 'run') {
      warnings.push(
        `A heal of ${heal.date} is in progress: the self-heal function may heal the same date at the same time.`,
      );
    } else if (heal.guardsJob) {
      warnings.push(
        `A heal of ${heal.date} pauses this job and resumes it when it ends; ${action === 'pause' ? 'it will resume the job then' : 'resuming now lets the self-heal run during that heal'}.`,
      );
    }
  }
  const verb = action === 'pause' ? 'Pause' : action === 'resume' ? 'Resume' : 'Run';
  const line = job.ok ? evaluateSelfHeal(job, now, w) : undefined;
  const plan = makePlan({
    kind: 'self-heal',
    title: `${verb} self-heal job`,
    subject: name,
    summary: [
      `job \`${name}\``,
      job.ok ? job.value.state : 'state unknown',
      action === 'run'
        ? 'one run now (cannot be undone)'
        : `undo: ${action === 'pause' ? 'resume' : 'pause'}`,
    ],
    ...(line ? { evidence: [`${line.title}: ${line.detail}`, `console: ${links.schedulerJob(w)}`] } : {}),
    steps: [schedulerStep(action, name)],
  });
  return accept({ plan, warnings, unknown });
}
