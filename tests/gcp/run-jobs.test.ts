/**
 * The Cloud Run Jobs adapter on the real @google-cloud/run clients, against the sandbox; and the
 * sandbox's Jobs and Executions answers checked against the client's protos.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { ExecutionState } from '../../src/domain/ports.js';
import type { Probe } from '../../src/domain/result.js';
import { createRunJobsAdapter, runJobsClients } from '../../src/gcp/run-jobs.js';
import { decodeAsClient, loadProtos, protoProblems } from '../helpers/proto-check.js';

const JOB = 'nba-raw-backfill';
const runProtos = loadProtos('run');

let config: PipelineConfig;
let sandbox: Sandbox;
let clients: ReturnType<typeof runJobsClients>;
let location: string;

const adapter = (deadlineMs = 5000) =>
  createRunJobsAdapter({ ...clients, project: config.project, region: config.region, deadlineMs });

const value = <T>(p: Probe<T>): T => {
  if (!p.ok) throw new Error(`${p.error.kind}: ${p.error.message}`);
  return p.value;
};

const simJob = () => sandbox.state.runJobs.get(JOB)!;

/** Schedule `games` games on `date` (no box scores yet), so the backfill has something to fill. */
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

const boxscoreGames = (date: string) =>
  new Set(
    sandbox.state.tables
      .get('nba_raw.bdl_player_boxscores')!
      .rows.filter((r) => r.game_date === date)
      .map((r) => r.game_id),
  ).size;

/** Poll until the execution is done (or `ms` passes), collecting every state seen. */
async function watch(name: string, ms = 10_000): Promise<ExecutionState[]> {
  const seen: ExecutionState[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const s = value(await adapter().getExecution(name));
    seen.push(s);
    if (s.done) return seen;
    await sleep(40);
  }
  throw new Error(`execution ${name} not done after ${ms} ms`);
}

/** Fetch as the gax clients do: enums as numbers unless `names`. */
async function call(
  path: string,
  opts: { names?: boolean; method?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(`${sandbox.url}/${path}`);
  if (!opts.names) u.searchParams.set('$alt', 'json;enum-encoding=int');
  const res = await fetch(u, {
    method: opts.method ?? 'GET',
    ...(opts.body === undefined
      ? {}
      : { body: JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Both encodings of a GET are valid `typeName` and decode to the same message. */
async function checkBoth(typeName: string, path: string): Promise<Record<string, unknown>> {
  const ints = await call(path);
  const names = await call(path, { names: true });
  expect(ints.status, path).toBe(200);
  expect(protoProblems(runProtos, typeName, ints.json), `${path} (enum numbers)`).toEqual([]);
  expect(protoProblems(runProtos, typeName, names.json), `${path} (enum names)`).toEqual([]);
  expect(decodeAsClient(runProtos, typeName, ints.json)).toEqual(
    decodeAsClient(runProtos, typeName, names.json),
  );
  return names.json;
}

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'healthy' });
  clients = runJobsClients(sandbox.url, true);
  location = `projects/${config.project}/locations/${config.region}`;
});

afterAll(async () => {
  await clients?.jobs.close();
  await clients?.executions.close();
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.setScenario('healthy');
  simJob().taskMs = 60;
});

describe('running a job', () => {
  it('starts one task per date with the overridden args, without waiting for the end', async () => {
    schedule('2026-01-18', 3);
    // Long enough that the first task cannot have finished by the time the answer is read.
    simJob().taskMs = 500;
    const args = ['--processor=bdl_boxscores', '--dates=2026-01-18,2026-01-19'];
    const started = value(await adapter().runJob(JOB, args));
    expect(started).toMatchObject({
      job: JOB,
      taskCount: 2,
      done: false,
      succeededCount: 0,
      failedCount: 0,
    });
    expect(started.outcome).toBeUndefined();
    expect(started.name).toBe(`${location}/jobs/${JOB}/executions/${started.shortName}`);
    expect(started.shortName).toMatch(/^nba-raw-backfill-[a-z0-9]{5}$/);
    expect(started.createTime).toBeDefined();
    expect(started.logUri).toContain('console.cloud.google.com');
    expect(simJob().executions.at(-1)!.args).toEqual(args);
    expect(boxscoreGames('2026-01-18')).toBe(0);

    const seen = await watch(started.name);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({
      done: true,
      outcome: 'succeeded',
      succeededCount: 2,
      taskCount: 2,
      runningCount: 0,
    });
    expect(last.completionTime! >= last.startTime!).toBe(true);
    // Progress is monotonic and passes through the states in between (one task at a time).
    const done = seen.map((s) => s.succeededCount);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(boxscoreGames('2026-01-18')).toBe(3);
  });

  it('reports a task that fails as a failed execution with its counts', async () => {
    simJob().failDates = ['2026-01-19'];
    const x = value(
      await adapter().runJob(JOB, ['--processor=bdl_boxscores', '--dates=2026-01-18,2026-01-19,2026-01-20']),
    );
    const last = (await watch(x.name)).at(-1)!;
    expect(last).toMatchObject({
      done: true,
      outcome: 'failed',
      taskCount: 3,
      succeededCount: 2,
      failedCount: 1,
    });
  });

  it('refuses an unknown job as not found, and never retries a run', async () => {
    const r = await adapter().runJob('no-such-job', ['--dates=2026-01-18']);
    expect(r).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    sandbox.setFault('cloudRun', { status: 503, times: 1 });
    const before = simJob().executions.length;
    const counted = sandbox.counts.cloudRun;
    const unavailable = await adapter().runJob(JOB, ['--dates=2026-01-18']);
    expect(unavailable).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    expect(sandbox.counts.cloudRun - counted).toBe(1);
    expect(simJob().executions.length).toBe(before);
  });
});

describe('a stalled execution', () => {
  it('makes no progress until cancelled, then ends cancelled with every task counted', async () => {
    simJob().stallNextExecution = true;
    const run = adapter();
    const x = value(
      await run.runJob(JOB, ['--processor=bdl_boxscores', '--dates=2026-01-18,2026-01-19,2026-01-20']),
    );
    expect(simJob().stallNextExecution).toBe(false);
    await sleep(simJob().taskMs * 5);
    const stuck = value(await run.getExecution(x.name));
    expect(stuck).toMatchObject({ done: false, succeededCount: 0, runningCount: 1, taskCount: 3 });

    const cancelled = value(await run.cancelExecution(x.name));
    expect(cancelled).toMatchObject({
      done: true,
      outcome: 'cancelled',
      cancelledCount: 3,
      succeededCount: 0,
    });
    expect(value(await run.getExecution(x.name))).toMatchObject({ done: true, outcome: 'cancelled' });
    // Cancelling again is refused by the API, and the adapter answers the finished state.
    expect(value(await run.cancelExecution(x.name))).toMatchObject({ done: true, outcome: 'cancelled' });

    // Only the next execution stalled.
    const next = value(await run.runJob(JOB, ['--dates=2026-01-18']));
    expect((await watch(next.name)).at(-1)).toMatchObject({ outcome: 'succeeded' });
  });
});

describe('listing and reading executions', () => {
  it('lists newest first, the scenario history included, up to the limit', async () => {
    const run = adapter();
    const fresh = value(await run.runJob(JOB, ['--dates=2026-01-18']));
    const all = value(await run.listExecutions(JOB, 10));
    expect(all.map((x) => x.name)[0]).toBe(fresh.name);
    expect(all).toHaveLength(4);
    const times = all.map((x) => x.createTime!);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.slice(1).map((x) => [x.taskCount, x.outcome])).toEqual([
      [4, 'succeeded'],
      [2, 'succeeded'],
      [3, 'succeeded'],
    ]);
    for (const x of all.slice(1)) {
      const perDate = (Date.parse(x.completionTime!) - Date.parse(x.startTime!)) / x.taskCount;
      expect(perDate).toBeGreaterThan(80_000);
      expect(perDate).toBeLessThan(100_000);
    }
    expect(value(await run.listExecutions(JOB, 2)).map((x) => x.name)).toEqual(
      all.slice(0, 2).map((x) => x.name),
    );
  });

  it('answers not_found for unknown executions and invalid for names that are not full', async () => {
    const run = adapter();
    expect(await run.getExecution(`${location}/jobs/${JOB}/executions/${JOB}-zzzzz`)).toMatchObject({
      ok: false,
      error: { kind: 'not_found' },
    });
    expect(await run.getExecution(`${JOB}-zzzzz`)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(await run.cancelExecution('x')).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  it("reads the breakdown scenario's failed latest execution, with its failed tasks", async () => {
    sandbox.setScenario('breakdown');
    try {
      const [latest] = value(await adapter().listExecutions(JOB, 1));
      expect(latest).toMatchObject({
        done: true,
        outcome: 'failed',
        taskCount: 3,
        failedCount: 2,
        succeededCount: 1,
      });
    } finally {
      sandbox.setScenario('healthy');
    }
  });

  it('bounds a call to a silent API by its deadline', async () => {
    sandbox.setFault('cloudRun', { hang: true, times: 1 });
    const started = Date.now();
    const r = await adapter(300).listExecutions(JOB, 5);
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('answers against the protos', () => {
  it('serves Job, Execution, ListExecutionsResponse and Operation messages', async () => {
    const job = await checkBoth('google.cloud.run.v2.Job', `v2/${location}/jobs/${JOB}`);
    expect(job).toMatchObject({ executionCount: 3, terminalCondition: { state: 'CONDITION_SUCCEEDED' } });

    const runBody = (dates: string) => ({
      method: 'POST',
      body: { overrides: { containerOverrides: [{ args: [`--dates=${dates}`] }] } },
    });
    const ran = await call(`v2/${location}/jobs/${JOB}:run`, runBody('2026-01-18,2026-01-19'));
    expect(ran.status).toBe(200);
    expect(protoProblems(runProtos, 'google.longrunning.Operation', ran.json)).toEqual([]);
    expect(ran.json.done).toBeUndefined();
    const meta = ran.json.metadata as { name: string; taskCount: number; reconciling: boolean };
    expect(meta).toMatchObject({ taskCount: 2, reconciling: true });
    await watch(meta.name);
    const finished = await checkBoth('google.longrunning.Operation', `v2/${ran.json.name as string}`);
    expect(finished).toMatchObject({ done: true, response: { name: meta.name, succeededCount: 2 } });
    const ended = await checkBoth('google.cloud.run.v2.Execution', `v2/${meta.name}`);
    expect(ended.reconciling).toBeUndefined();
    expect(ended.runningCount).toBeUndefined();
    expect(ended.conditions).toContainEqual(
      expect.objectContaining({ type: 'Completed', state: 'CONDITION_SUCCEEDED' }),
    );

    // A stalled execution holds still, so its running form can be fetched twice and compared.
    simJob().stallNextExecution = true;
    const stalled = await call(`v2/${location}/jobs/${JOB}:run`, runBody('2026-01-18'));
    const stalledName = (stalled.json.metadata as { name: string }).name;
    const pending = await checkBoth('google.longrunning.Operation', `v2/${stalled.json.name as string}`);
    expect(pending.done).toBeUndefined();
    const running = await checkBoth('google.cloud.run.v2.Execution', `v2/${stalledName}`);
    expect(running).toMatchObject({ runningCount: 1, reconciling: true });
    expect(running.conditions).toContainEqual(
      expect.objectContaining({ type: 'Completed', state: 'CONDITION_RECONCILING' }),
    );
    const cancel = await call(`v2/${stalledName}:cancel`, { method: 'POST', body: {} });
    expect(cancel.status).toBe(200);
    expect(protoProblems(runProtos, 'google.longrunning.Operation', cancel.json)).toEqual([]);
    const cancelledOp = await checkBoth('google.longrunning.Operation', `v2/${stalled.json.name as string}`);
    expect(cancelledOp).toMatchObject({ done: true, error: { code: 1 } });
    const cancelled = await checkBoth('google.cloud.run.v2.Execution', `v2/${stalledName}`);
    expect(cancelled).toMatchObject({ cancelledCount: 1 });
    expect(cancelled.conditions).toContainEqual(
      expect.objectContaining({ type: 'Completed', state: 'CONDITION_FAILED', executionReason: 'CANCELLED' }),
    );

    const list = await checkBoth(
      'google.cloud.run.v2.ListExecutionsResponse',
      `v2/${location}/jobs/${JOB}/executions`,
    );
    const listed = list.executions as { name: string; createTime: string }[];
    expect(listed.map((x) => x.name)[0]).toBe(stalledName);
    expect(listed.map((x) => x.createTime)).toEqual(
      listed
        .map((x) => x.createTime)
        .sort()
        .reverse(),
    );
    expect(listed).toHaveLength(5);
  });

  it('answers Google errors for bad overrides, unknown jobs and finished executions', async () => {
    const bad = await call(`v2/${location}/jobs/${JOB}:run`, {
      method: 'POST',
      body: { overrides: { containerOverrides: [{ args: 'nope' }] } },
    });
    expect(bad).toMatchObject({ status: 400, json: { error: { status: 'INVALID_ARGUMENT' } } });
    const missing = await call(`v2/${location}/jobs/no-such-job`);
    expect(missing).toMatchObject({ status: 404, json: { error: { status: 'NOT_FOUND' } } });
    const old = simJob().executions[0]!.name;
    const again = await call(`v2/${location}/jobs/${JOB}/executions/${old}:cancel`, {
      method: 'POST',
      body: {},
    });
    expect(again).toMatchObject({ status: 400, json: { error: { status: 'FAILED_PRECONDITION' } } });
    // Operations the jobs module did not create still reach Cloud Run's own route.
    const foreign = await call(`v2/${location}/operations/00000000-0000-4000-8000-000000000000`);
    expect(foreign).toMatchObject({ status: 404, json: { error: { status: 'NOT_FOUND' } } });
  });
});
