/**
 * The backfill `run_job` executor on the real adapters (Cloud Run Jobs and BigQuery clients)
 * against the sandbox: progress, the closing checks, the stall watchdog, cancel on abort, and
 * one execution per step across a resume through the real engine.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { parseBackfillArgs, planBackfill } from '../../src/domain/backfill-plan.js';
import type { Plan } from '../../src/domain/plan.js';
import type { DataChecksPort, RunJobsPort } from '../../src/domain/ports.js';
import type { GuardedRequest } from '../../src/domain/requests.js';
import { accept } from '../../src/domain/result.js';
import { runCheck } from '../../src/domain/status.js';
import { bigQueryClient, createDataChecksAdapter } from '../../src/gcp/bigquery.js';
import { createRunJobsAdapter, runJobsClients } from '../../src/gcp/run-jobs.js';
import { createMemoryAuditLog, createMemoryRequestStore } from '../../src/store/memory-requests.js';
import {
  type BackfillExecutorDeps,
  type BackfillProgress,
  backfillExecutors,
  recordExecutionIn,
  recordedExecution,
} from '../../src/workflows/backfill-executor.js';
import { createEngine } from '../../src/workflows/engine.js';

const JOB = 'nba-raw-backfill';
const NOW = new Date('2026-01-21T15:00:00Z');

let config: PipelineConfig;
let sandbox: Sandbox;
let clients: ReturnType<typeof runJobsClients>;
let bq: BigQuery;
let jobs: RunJobsPort;
let dataChecks: DataChecksPort;

const simJob = () => sandbox.state.runJobs.get(JOB)!;

/** Schedule `games` games on `date` with no box scores yet. */
function schedule(date: string, games: number): void {
  const t = sandbox.state.tables.get('nba_raw.nbac_schedule')!;
  for (let i = 0; i < games; i++) {
    t.rows.push({
      game_id: `${date.replaceAll('-', '')}_G${i}`,
      game_date: date,
      home_team: 'BOS',
      away_team: 'LAL',
    });
  }
}

/** The plan `/backfill <text>` makes, from the real checks and the job's real history. */
async function planFor(text: string): Promise<Plan> {
  const cmd = parseBackfillArgs(text, config, config.timeZone, NOW);
  if (!cmd.ok) throw new Error(cmd.reason.message);
  const check = config.dataChecks.find((c) => c.id === cmd.value.target.check)!;
  const checks = new Map(
    await Promise.all(
      cmd.value.dates.map(async (d) => [d, await runCheck(dataChecks, check, d, (p) => p)] as const),
    ),
  );
  const history = await jobs.listExecutions(JOB, 10);
  if (!history.ok) throw new Error(history.error.message);
  const planned = planBackfill(
    config,
    cmd.value.target,
    cmd.value.dates,
    checks,
    history.value,
    cmd.value.force,
  );
  if (!planned.ok || !planned.value.plan) throw new Error('no plan');
  return planned.value.plan;
}

/** A request as the engine hands it to run(): running, its one step running. */
function running(plan: Plan, undoData?: GuardedRequest['steps'][number]['undoData']): GuardedRequest {
  return {
    id: `req-${Math.random().toString(36).slice(2, 8)}`,
    plan,
    planHash: plan.hash,
    requester: 'U0REQUESTER',
    channel: 'C0PIPELINE',
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + 900_000),
    state: 'running',
    mode: 'run',
    approver: 'U0APPROVER',
    steps: plan.steps.map((s) => ({ id: s.id, status: 'running', ...(undoData ? { undoData } : {}) })),
    version: 3,
  };
}

function executor(over: Partial<BackfillExecutorDeps> = {}) {
  const progress: BackfillProgress[] = [];
  const recorded: string[] = [];
  const ex = backfillExecutors({
    jobs,
    dataChecks,
    config,
    pollMs: 40,
    onProgress: (p) => {
      progress.push(p);
    },
    recordExecution: (_r, _s, name) => {
      recorded.push(name);
    },
    ...over,
  }).run_job!;
  return { ex, progress, recorded };
}

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20' });
  clients = runJobsClients(sandbox.url, true);
  bq = bigQueryClient(sandbox.url, config.project, true);
  jobs = createRunJobsAdapter({
    ...clients,
    project: config.project,
    region: config.region,
    deadlineMs: 5000,
  });
  dataChecks = createDataChecksAdapter({
    bigquery: bq,
    maximumBytesBilled: config.limits.maximumBytesBilled,
    deadlineMs: 8000,
  });
});

afterAll(async () => {
  await clients?.jobs.close();
  await clients?.executions.close();
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.setScenario('jan20');
  simJob().taskMs = 100;
  // This file's own days before the 20th (the scenario's are replaced):
  // 2026-01-18: 5 games, no box scores; 2026-01-19: 6 games, complete; 2026-01-20: 4 of 7 (jan20).
  for (const t of sandbox.state.tables.values()) {
    t.rows = t.rows.filter((r) => r.game_date !== '2026-01-18' && r.game_date !== '2026-01-19');
  }
  schedule('2026-01-18', 5);
  schedule('2026-01-19', 6);
  sandbox.state.tables.get('nba_raw.bdl_player_boxscores')!.rows.push(
    ...Array.from({ length: 6 }, (_, i) => ({
      game_id: `20260119_G${i}`,
      game_date: '2026-01-19',
      player_lookup: `p${i}`,
      points: 10,
    })),
  );
});

describe('run_job', () => {
  it('runs the two incomplete dates of three, reports progress up to 2/2, and closes with both complete', async () => {
    const plan = await planFor('raw/bdl_boxscores 2026-01-18..2026-01-20');
    expect(plan.steps[0]!.params.dates).toEqual(['2026-01-18', '2026-01-20']);
    const { ex, progress, recorded } = executor();
    const before = simJob().executions.length;
    const request = running(plan);

    const r = await ex.run(plan.steps[0]!, request, { signal: new AbortController().signal });
    if (!r.ok) throw new Error(r.error.message);
    expect(simJob().executions.length).toBe(before + 1);
    const x = simJob().executions.at(-1)!;
    expect(x.args).toEqual(['--processor=bdl_boxscores', '--dates=2026-01-18,2026-01-20']);
    expect(r.value).toMatchObject({
      execution: expect.stringMatching(new RegExp(`/jobs/${JOB}/executions/${x.name}$`)),
      outcome: 'succeeded',
      tasks: { total: 2, succeeded: 2, failed: 0, cancelled: 0 },
      complete: ['2026-01-18', '2026-01-20'],
      incomplete: [],
      unchecked: [],
    });
    expect(recorded).toEqual([(r.value as { execution: string }).execution]);

    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({
      requestId: request.id,
      stepId: 'run-job',
      total: 2,
      finished: false,
    });
    expect(progress.at(-1)).toMatchObject({
      execution: x.name,
      done: 2,
      total: 2,
      failed: 0,
      finished: true,
      outcome: 'succeeded',
      stalled: false,
      dates: ['2026-01-18', '2026-01-20'],
    });
    expect(progress.at(-1)!.consoleUrl).toContain(`/run/jobs/executions/details/${config.region}/${x.name}`);
    const done = progress.map((p) => p.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.some((p) => p.stalled)).toBe(false);
    expect(progress.at(-1)!.elapsedMs).toBeGreaterThanOrEqual(150);
  });

  it('fails the step naming the counts when a task fails, and still says which dates are complete', async () => {
    simJob().failDates = ['2026-01-20'];
    const plan = await planFor('raw/bdl_boxscores 2026-01-18,2026-01-20');
    const r = await executor().ex.run(plan.steps[0]!, running(plan), {
      signal: new AbortController().signal,
    });
    expect(r).toMatchObject({ ok: false, error: { kind: 'error' } });
    if (r.ok) return;
    expect(r.error.message).toMatch(/failed: 1 of 2 tasks succeeded, 1 failed/);
    expect(r.error.message).toContain('Complete now: 2026-01-18');
  });

  it('reports a stall once, keeps watching, and cancels the execution when aborted', async () => {
    simJob().stallNextExecution = true;
    const plan = await planFor('raw/bdl_boxscores 2026-01-18,2026-01-20');
    const stallMs = 250;
    const { ex, progress } = executor({ stallMs, tickMs: 60 });
    const controller = new AbortController();
    const pending = ex.run(plan.steps[0]!, running(plan), { signal: controller.signal });

    const until = Date.now() + 10_000;
    while (!progress.some((p) => p.stalled) && Date.now() < until) await sleep(20);
    expect(progress.filter((p) => p.stalled)).toHaveLength(1);
    // Several stall periods later, still one alarm and nothing new; the watch goes on.
    await sleep(stallMs * 4);
    expect(progress.filter((p) => p.stalled)).toHaveLength(1);
    expect(progress.at(-1)).toMatchObject({ stalled: true, done: 0, total: 2, running: 1, finished: false });
    const x = simJob().executions.at(-1)!;
    expect(x.completionTime).toBeUndefined();

    controller.abort();
    const r = await pending;
    expect(r).toMatchObject({ ok: false });
    if (r.ok) return;
    expect(r.error.message).toMatch(/stopped: execution .* cancelled: 0 of 2 tasks succeeded, 2 cancelled/);
    expect(x.cancelled).toBe(true);
    expect(x.tasks.map((t) => t.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('reports a new stall after progress resumed', async () => {
    // Tasks far longer than stallMs, so a poll falls in each stall even on a busy machine.
    simJob().taskMs = 1000;
    const plan = await planFor('raw/bdl_boxscores 2026-01-18,2026-01-20');
    // Each task takes longer than stallMs: one alarm per task, each cleared by the task finishing.
    const { ex, progress } = executor({ stallMs: 200, tickMs: 10_000 });
    const r = await ex.run(plan.steps[0]!, running(plan), { signal: new AbortController().signal });
    expect(r.ok).toBe(true);
    const flags = progress.map((p) => (p.stalled ? 'S' : p.done));
    expect(flags.filter((f) => f === 'S')).toHaveLength(2);
    expect(flags.join(',')).toMatch(/^0,S,1,S,2$/);
  });

  it('leaves the execution running when told not to cancel on abort', async () => {
    simJob().stallNextExecution = true;
    const plan = await planFor('raw/bdl_boxscores 2026-01-18');
    const { ex } = executor({ cancelOnAbort: false });
    const controller = new AbortController();
    const pending = ex.run(plan.steps[0]!, running(plan), { signal: controller.signal });
    await sleep(150);
    controller.abort();
    const r = await pending;
    expect(r).toMatchObject({ ok: false, error: { message: expect.stringContaining('keeps running') } });
    expect(simJob().executions.at(-1)!.cancelled).toBe(false);
  });

  it('watches the execution an earlier attempt recorded instead of starting another, through a 503', async () => {
    const plan = await planFor('raw/bdl_boxscores 2026-01-18,2026-01-20');
    const first = await jobs.runJob(JOB, plan.steps[0]!.params.args as string[]);
    if (!first.ok) throw new Error(first.error.message);
    const before = simJob().executions.length;
    const { ex, recorded } = executor();
    // Cloud Run answers 503 for a while: the executor keeps trying to read it, never starts another.
    sandbox.setFault('cloudRun', { status: 503, times: 5 });
    const r = await ex.run(plan.steps[0]!, running(plan, { execution: first.value.name }), {
      signal: new AbortController().signal,
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(simJob().executions.length).toBe(before);
    expect(recorded).toEqual([]);
    expect(r.value).toMatchObject({ execution: first.value.name, complete: ['2026-01-18', '2026-01-20'] });
  });

  it('refuses a step whose job or check is not the configured one, starting nothing', async () => {
    const plan = await planFor('raw/bdl_boxscores 2026-01-18');
    const before = simJob().executions.length;
    const step = plan.steps[0]!;
    const { ex } = executor();
    const signal = new AbortController().signal;
    const other = await ex.run(
      { ...step, params: { ...step.params, job: 'some-other-job' } },
      running(plan),
      {
        signal,
      },
    );
    expect(other).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    const check = await ex.run(
      { ...step, params: { ...step.params, check: 'prediction_players' } },
      running(plan),
      {
        signal,
      },
    );
    expect(check).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    const dates = await ex.run({ ...step, params: { ...step.params, dates: ['2026-1-18'] } }, running(plan), {
      signal,
    });
    expect(dates).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(simJob().executions.length).toBe(before);
  });
});

describe('through the engine', () => {
  it('resumes on another instance by watching the same execution, started once', async () => {
    simJob().taskMs = 300;
    const plan = await planFor('raw/bdl_boxscores 2026-01-18,2026-01-20');
    const store = createMemoryRequestStore();
    const audit = createMemoryAuditLog();
    const clock = { now: () => new Date() };
    const progressA: BackfillProgress[] = [];
    const engineA = createEngine({
      store,
      audit,
      clock,
      instanceId: 'A',
      heartbeatMs: 50,
      staleAfterMs: 300,
      executors: backfillExecutors({
        jobs,
        dataChecks,
        config,
        pollMs: 40,
        // At shutdown the execution must go on: a resume watches it.
        cancelOnAbort: false,
        onProgress: (p) => {
          progressA.push(p);
        },
        recordExecution: recordExecutionIn(store, 'A'),
      }),
    });
    const submitted = await engineA.submit({
      plan,
      requester: 'U0REQUESTER',
      channel: 'C0PIPELINE',
      ttlMs: 900_000,
    });
    if (!submitted.ok) throw new Error(submitted.reason.message);
    const before = simJob().executions.length;
    const approved = await engineA.approve(submitted.value.id, 'U0APPROVER', accept(true));
    if (!approved.ok) throw new Error(approved.reason.message);

    const until = Date.now() + 10_000;
    while (progressA.length === 0 && Date.now() < until) await sleep(10);
    const stored = await store.get(submitted.value.id);
    const name = recordedExecution(stored!, 'run-job');
    expect(name).toMatch(new RegExp(`/executions/${JOB}-[a-z0-9]{5}$`));
    engineA.shutdown();
    await approved.value.done;

    await sleep(400); // A's heartbeat goes stale: the request is interrupted.
    const engineB = createEngine({
      store,
      audit,
      clock,
      instanceId: 'B',
      heartbeatMs: 50,
      staleAfterMs: 300,
      executors: backfillExecutors({
        jobs,
        dataChecks,
        config,
        pollMs: 40,
        recordExecution: recordExecutionIn(store, 'B'),
      }),
    });
    const resumed = await engineB.resume(submitted.value.id, 'U0APPROVER', accept(true));
    if (!resumed.ok) throw new Error(resumed.reason.message);
    const final = await resumed.value.done;
    expect(final.state).toBe('succeeded');
    expect(simJob().executions.length).toBe(before + 1);
    expect(simJob().executions.at(-1)!.cancelled).toBe(false);
    expect(final.steps[0]).toMatchObject({
      status: 'done',
      undoData: {
        execution: name,
        outcome: 'succeeded',
        complete: ['2026-01-18', '2026-01-20'],
        incomplete: [],
      },
    });
  });
});
