/** Self-heal job control plans, and the pause/resume guard a heal plan puts around itself. Pure. */
import { describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { type HealFacts, planHeal } from '../../src/domain/heal-plan.js';
import { hashPlan, makePlan, type PlanStep, planHashMatches, withoutSteps } from '../../src/domain/plan.js';
import type { IsoDate, SchedulerJobState } from '../../src/domain/ports.js';
import { fail, type Outcome, ok } from '../../src/domain/result.js';
import {
  clockTime,
  dueDuringHeal,
  healGuard,
  planSelfHeal,
  schedulerStep,
} from '../../src/domain/self-heal-plan.js';

const config: PipelineConfig = loadPipeline('config/pipeline.example.yml');
const JOB = 'self-heal-predictions';
/** 12:20 in New York on 2026-01-21; the job runs daily at 12:45 there. */
const NOW = new Date('2026-01-21T17:20:00Z');
const DATE = '2026-01-20' as IsoDate;

function job(over: Partial<SchedulerJobState> = {}): SchedulerJobState {
  return {
    name: JOB,
    state: 'ENABLED',
    schedule: '45 12 * * *',
    timeZone: 'America/New_York',
    lastAttemptTime: '2026-01-20T17:45:00Z',
    lastStatus: { code: 0, message: '' },
    nextRunTime: new Date(NOW.getTime() + 25 * 60_000).toISOString(), // 12:45 New York
    ...over,
  };
}

function accepted<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`refused: ${o.reason.code} ${o.reason.message}`);
  return o.value;
}

function refusal<T>(o: Outcome<T>): { code: string; message: string } {
  if (o.ok) throw new Error(`expected a refusal, got ${JSON.stringify(o.value)}`);
  return o.reason;
}

/** Facts of a date with one stuck run and no data check answered: a heal plan of one step. */
function facts(selfHealJob?: SchedulerJobState): HealFacts {
  return {
    checks: new Map(),
    stuck: ok([
      {
        id: 'phase3_2026-01-20_stuck',
        processor: 'p3',
        date: DATE,
        status: 'running',
        startedAt: '2026-01-21T10:00:00Z',
      },
    ]),
    ...(selfHealJob ? { selfHealJob } : {}),
  };
}

describe('clockTime', () => {
  it('formats HH:MM on a 24-hour clock in the given zone', () => {
    expect(clockTime('2026-01-21T17:45:00Z', 'America/New_York')).toBe('12:45');
    expect(clockTime('2026-01-21T04:05:00Z', 'America/New_York')).toBe('23:05');
    expect(clockTime('2026-01-21T00:00:00Z', 'UTC')).toBe('00:00');
  });
});

describe('schedulerStep', () => {
  it('pause and resume are undoable, run is not; params name the job only', () => {
    const pause = schedulerStep('pause', JOB);
    const resume = schedulerStep('resume', JOB);
    const run = schedulerStep('run', JOB);
    expect(pause).toMatchObject({
      action: 'pause_scheduler',
      undoable: true,
      destructive: false,
      params: { job: JOB },
    });
    expect(resume).toMatchObject({ action: 'resume_scheduler', undoable: true, params: { job: JOB } });
    expect(run).toMatchObject({ action: 'run_scheduler', undoable: false, params: { job: JOB } });
    expect(Object.keys(pause.params)).toEqual(['job']);
    // Not `always: false`: a step without the mark hashes as before the field existed.
    expect('always' in pause).toBe(false);
    expect(schedulerStep('resume', JOB, { always: true }).always).toBe(true);
  });

  it('a plan whose steps lack `always` hashes as it did before the field existed', () => {
    const step = schedulerStep('pause', JOB);
    const p = makePlan({ kind: 'self-heal', title: 't', subject: JOB, summary: [], steps: [step] });
    expect(hashPlan({ ...p, steps: [{ ...step, always: undefined } as unknown as PlanStep] })).toBe(p.hash);
    expect(hashPlan({ ...p, steps: [{ ...step, always: true }] })).not.toBe(p.hash);
  });
});

describe('planSelfHeal', () => {
  it('plans a pause of an enabled job: one undoable step on the configured job', () => {
    const { plan, warnings, unknown } = accepted(planSelfHeal(config, 'pause', ok(job()), NOW));
    expect(plan).toMatchObject({ kind: 'self-heal', subject: JOB, title: 'Pause self-heal job' });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ action: 'pause_scheduler', undoable: true, params: { job: JOB } });
    expect(planHashMatches(plan)).toBe(true);
    expect(plan.evidence?.join('\n')).toContain('ENABLED');
    expect(warnings).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('plans a resume of a paused job, and a run of any job', () => {
    const resume = accepted(planSelfHeal(config, 'resume', ok(job({ state: 'PAUSED' })), NOW));
    expect(resume.plan.steps.map((s) => s.action)).toEqual(['resume_scheduler']);
    const run = accepted(planSelfHeal(config, 'run', ok(job()), NOW));
    expect(run.plan.steps).toEqual([expect.objectContaining({ action: 'run_scheduler', undoable: false })]);
    expect(run.plan.summary.join(' ')).toMatch(/cannot be undone/);
    const runPaused = accepted(planSelfHeal(config, 'run', ok(job({ state: 'PAUSED' })), NOW));
    expect(runPaused.warnings.join(' ')).toMatch(/PAUSED/);
  });

  it('refuses what would change nothing or what the API refuses, naming the state', () => {
    expect(refusal(planSelfHeal(config, 'pause', ok(job({ state: 'PAUSED' })), NOW)).code).toBe(
      'already_paused',
    );
    expect(refusal(planSelfHeal(config, 'resume', ok(job()), NOW)).code).toBe('already_enabled');
    const disabled = refusal(planSelfHeal(config, 'pause', ok(job({ state: 'DISABLED' })), NOW));
    expect(disabled.message).toContain('DISABLED');
    expect(refusal(planSelfHeal(config, 'resume', ok(job({ state: 'DISABLED' })), NOW)).code).toBe(
      'not_paused',
    );
    expect(refusal(planSelfHeal(config, 'pause', fail('not_found', 'nope'), NOW)).code).toBe('not_found');
    const { selfHeal: _s, ...bare } = config;
    expect(refusal(planSelfHeal(bare as PipelineConfig, 'pause', ok(job()), NOW)).code).toBe(
      'not_configured',
    );
  });

  it('still plans when the job cannot be read, saying what is unknown', () => {
    const r = accepted(planSelfHeal(config, 'pause', fail('unavailable', 'scheduler down'), NOW));
    expect(r.plan.steps).toHaveLength(1);
    expect(r.unknown.join(' ')).toMatch(/scheduler down/);
  });

  it('warns about heals in progress', () => {
    const heals = [{ date: '2026-01-20', guardsJob: true }];
    expect(accepted(planSelfHeal(config, 'run', ok(job()), NOW, heals)).warnings.join(' ')).toMatch(
      /heal of 2026-01-20 is in progress/,
    );
    expect(
      accepted(planSelfHeal(config, 'resume', ok(job({ state: 'PAUSED' })), NOW, heals)).warnings.join(' '),
    ).toMatch(/heal of 2026-01-20 pauses this job/);
    expect(
      accepted(planSelfHeal(config, 'pause', ok(job()), NOW, [{ date: '2026-01-19', guardsJob: false }]))
        .warnings,
    ).toEqual([]);
  });
});

describe('a heal plan and the self-heal job', () => {
  it('pauses the job first and resumes it last (always) when it is due during the heal', () => {
    const r = accepted(planHeal(config, DATE, facts(job()), NOW));
    const steps = r.plan!.steps;
    expect(steps.map((s) => s.action)).toEqual(['pause_scheduler', 'clear_run_history', 'resume_scheduler']);
    expect(steps[0]).toMatchObject({ id: 'pause-self-heal', params: { job: JOB }, undoable: true });
    expect(steps[0]!.always).toBeUndefined();
    expect(steps.at(-1)).toMatchObject({ id: 'resume-self-heal', always: true, params: { job: JOB } });
    expect(r.warnings?.[0]).toMatch(/^The self-heal job runs at 12:45, during this heal/);
    expect(planHashMatches(r.plan!)).toBe(true);
    // Unticking both leaves the heal's own steps, rehashed.
    const without = withoutSteps(r.plan!, ['pause-self-heal', 'resume-self-heal']);
    expect(without.steps.map((s) => s.id)).toEqual(['clear-run-history']);
  });

  it('leaves the job alone when it is not due within guardMinutes, not enabled, or unknown', () => {
    const later = job({ nextRunTime: new Date(NOW.getTime() + 45 * 60_000).toISOString() });
    const { nextRunTime: _n, ...noNextRun } = job();
    for (const j of [later, job({ state: 'PAUSED' }), noNextRun, undefined]) {
      const r = accepted(planHeal(config, DATE, facts(j), NOW));
      expect(r.plan!.steps.map((s) => s.action)).toEqual(['clear_run_history']);
      expect(r.warnings ?? []).toEqual([]);
    }
  });

  it('uses the configured guardMinutes (default 30)', () => {
    expect(config.selfHeal?.guardMinutes).toBe(30);
    const later = job({ nextRunTime: new Date(NOW.getTime() + 45 * 60_000).toISOString() });
    expect(dueDuringHeal(config, later, NOW)).toBe(false);
    const wide: PipelineConfig = { ...config, selfHeal: { ...config.selfHeal!, guardMinutes: 60 } };
    expect(dueDuringHeal(wide, later, NOW)).toBe(true);
    const r = accepted(planHeal(wide, DATE, facts(later), NOW));
    expect(r.plan!.steps.map((s) => s.action)).toEqual([
      'pause_scheduler',
      'clear_run_history',
      'resume_scheduler',
    ]);
    expect(r.warnings?.[0]).toContain('runs at 13:05');
    expect(healGuard(config, later, NOW)).toBeUndefined();
  });

  it('adds nothing when there is nothing to heal', () => {
    const r = accepted(planHeal(config, DATE, { checks: new Map(), stuck: ok([]), selfHealJob: job() }, NOW));
    expect(r.plan).toBeNull();
  });
});
