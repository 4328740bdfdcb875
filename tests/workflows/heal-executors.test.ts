/**
 * The heal executors on real clients: run_history in the Firestore emulator (seeded from the
 * sandbox's jan20 scenario), data checks through the BigQuery client on the sandbox, phases
 * triggered over HTTP (sandbox processors) and Pub/Sub (emulator, pushed to the sandbox).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedRunHistory } from '../../devstack/src/sandbox/firestore-seed.js';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { wirePubSubPush } from '../../devstack/src/sandbox/processors.js';
import { SEED_DATE } from '../../devstack/src/sandbox/scenarios.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { planHeal } from '../../src/domain/heal-plan.js';
import type { JsonValue, Plan, PlanStep } from '../../src/domain/plan.js';
import type { DataChecksPort, IsoDate, RunHistorySnapshot } from '../../src/domain/ports.js';
import type { GuardedRequest } from '../../src/domain/requests.js';
import type { Probe } from '../../src/domain/result.js';
import { evaluateCheck } from '../../src/domain/status.js';
import { bigQueryClient, createDataChecksAdapter } from '../../src/gcp/bigquery.js';
import { cloudRunClients, createCloudRunAdapter } from '../../src/gcp/cloud-run.js';
import { createRunHistoryAdapter } from '../../src/gcp/run-history.js';
import { createTriggerAdapter, idTokenSource, pubsubClient } from '../../src/gcp/triggers.js';
import { createMemoryAuditLog, createMemoryRequestStore } from '../../src/store/memory-requests.js';
import { createEngine, type StepExecutor } from '../../src/workflows/engine.js';
import { healExecutors } from '../../src/workflows/heal-executors.js';
import { testFirestore, testProjectId } from '../helpers/firestore.js';

const DATE = SEED_DATE as IsoDate;
const STUCK = ['phase3_2026-01-20_stuck', 'phase4_2026-01-20_stuck', 'phase5_2026-01-20_stuck'];

let config: PipelineConfig;
let sandbox: Sandbox;
let db: Firestore;
let pubsub: PubSub;
let run: ReturnType<typeof cloudRunClients>;
let dataChecks: DataChecksPort;
let deps: Parameters<typeof healExecutors>[0];

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  db = testFirestore();
  const collection = config.runHistory.collection;
  sandbox = await startSandbox({
    config,
    scenario: 'jan20',
    processorDelayMs: 50,
    onScenario: (state) => seedRunHistory(db, collection, state.runHistory),
  });
  const project = testProjectId();
  pubsub = pubsubClient(project, true);
  await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
  run = cloudRunClients(sandbox.url, true);
  dataChecks = createDataChecksAdapter({
    bigquery: bigQueryClient(sandbox.url, config.project, true),
    maximumBytesBilled: config.limits.maximumBytesBilled,
    deadlineMs: 5000,
  });
  deps = {
    runHistory: createRunHistoryAdapter({ db, config: config.runHistory, deadlineMs: 5000 }),
    triggers: createTriggerAdapter({
      cloudRun: createCloudRunAdapter({
        ...run,
        project: config.project,
        region: config.region,
        deadlineMs: 5000,
      }),
      idTokens: idTokenSource(true),
      pubsub,
      project,
      deadlineMs: 5000,
    }),
    dataChecks,
    config,
    pollMs: 50,
    waitMs: 5000,
  };
});

afterAll(async () => {
  // Push subscriptions first: the emulator would keep redelivering to a closed sandbox.
  if (pubsub) {
    const [subs] = await pubsub.getSubscriptions();
    await Promise.all(subs.map((s) => s.delete()));
    await pubsub.close();
  }
  await run?.services.close();
  await run?.revisions.close();
  await sandbox?.close();
  await db?.terminate();
});

beforeEach(async () => {
  await sandbox.setScenario('jan20');
});

/** Each check's health for the date, as the status report evaluates it. */
async function checkHealth(): Promise<Record<string, string>> {
  const where = { project: config.project, region: config.region };
  const out: Record<string, string> = {};
  for (const [id, facts] of await checkFacts()) {
    out[id] = evaluateCheck(config.dataChecks.find((c) => c.id === id)!, facts, where).health;
  }
  return out;
}

async function checkFacts(): Promise<Map<string, { actual: Probe<number>; expected?: Probe<number> }>> {
  const facts = new Map<string, { actual: Probe<number>; expected?: Probe<number> }>();
  for (const c of config.dataChecks) {
    const sql =
      'equalsQuery' in c.expect ? c.expect.equalsQuery : 'minQuery' in c.expect ? c.expect.minQuery : '';
    facts.set(c.id, {
      actual: await dataChecks.scalar(c.sql, DATE, c.id),
      expected: await dataChecks.scalar(sql, DATE, c.id),
    });
  }
  return facts;
}

/** The real heal plan for the seed date, from what the adapters read now. */
async function healPlan(): Promise<Plan> {
  const runs = createRunHistoryAdapter({ db, config: config.runHistory, deadlineMs: 5000 });
  const now = new Date();
  const planned = planHeal(
    config,
    DATE,
    { checks: await checkFacts(), stuck: await runs.stuckRuns(new Date(now.getTime() - 60 * 60_000)) },
    now,
  );
  if (!planned.ok || !planned.value.plan) throw new Error('no heal plan');
  return planned.value.plan;
}

const step = (plan: Plan, id: string): PlanStep => plan.steps.find((s) => s.id === id)!;

// The executors read nothing from the request: the engine passes it for context only.
const request = {} as GuardedRequest;

async function docs(ids: string[]): Promise<(Record<string, unknown> | undefined)[]> {
  const got = await db.getAll(...ids.map((id) => db.collection(config.runHistory.collection).doc(id)));
  return got.map((d) => d.data());
}

function value<T>(p: Probe<T>): T {
  if (!p.ok) throw new Error(`${p.error.kind}: ${p.error.message}`);
  return p.value;
}

async function runStep(
  ex: StepExecutor,
  s: PlanStep,
  snapshot?: JsonValue,
  signal = new AbortController().signal,
) {
  return ex.run(s, request, { ...(snapshot === undefined ? {} : { snapshot }), signal });
}

describe('clear_run_history', () => {
  it('snapshots, then deletes exactly the three stuck docs; undo restores them deep-equal', async () => {
    const plan = await healPlan();
    const clear = step(plan, 'clear-run-history');
    expect(clear.params.ids).toEqual(expect.arrayContaining(STUCK));
    expect(clear.params.ids).toHaveLength(3);
    const ex = healExecutors(deps).clear_run_history!;
    const before = await docs(STUCK);

    const snapshot = value(await ex.snapshot!(clear, request));
    const snaps = snapshot as unknown as RunHistorySnapshot[];
    expect(snaps.map((s) => [s.id, s.exists, typeof s.updateTime])).toEqual(
      (clear.params.ids as string[]).map((id) => [id, true, 'string']),
    );
    // JSON-safe: what the engine persists is what it gets back.
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);

    const ran = value(await runStep(ex, clear, snapshot));
    expect(ran).toMatchObject({ detail: 'cleared 3' });
    expect(await docs(STUCK)).toEqual([undefined, undefined, undefined]);
    // Other runs of the date are untouched.
    expect((await docs(['phase2_2026-01-20_ok']))[0]).toMatchObject({ status: 'success' });

    const undone = value(await ex.undo!(clear, { snapshot, undoData: ran as JsonValue }));
    expect(undone).toMatchObject({ detail: 'restored 3' });
    expect(await docs(STUCK)).toEqual(before);
    expect(before.every((d) => d !== undefined)).toBe(true);
  });

  it('a retry after a delete whose answer was lost succeeds and reports the docs already gone', async () => {
    const clear = step(await healPlan(), 'clear-run-history');
    const ex = healExecutors(deps).clear_run_history!;
    const snapshot = value(await ex.snapshot!(clear, request));
    // The first attempt's commit applied, then its answer was lost: the engine kept the snapshot.
    const snaps = snapshot as unknown as RunHistorySnapshot[];
    value(await deps.runHistory.deleteIfUnchanged([snaps[0]!]));

    expect(value(await runStep(ex, clear, snapshot))).toMatchObject({ detail: 'cleared 3 (1 already gone)' });
    expect(value(await runStep(ex, clear, snapshot))).toMatchObject({ detail: 'cleared 3 (3 already gone)' });
    expect(await docs(STUCK)).toEqual([undefined, undefined, undefined]);
    // Undo still has everything it needs.
    value(await ex.undo!(clear, { snapshot }));
    expect((await docs(STUCK)).every((d) => d?.status === 'running')).toBe(true);
  });

  it('deletes nothing when a doc changed since the snapshot, and undo then leaves the newer write alone', async () => {
    const clear = step(await healPlan(), 'clear-run-history');
    const ex = healExecutors(deps).clear_run_history!;
    const snapshot = value(await ex.snapshot!(clear, request));
    const changed = STUCK[1]!;
    await db.collection(config.runHistory.collection).doc(changed).update({ status: 'success' });

    const ran = await runStep(ex, clear, snapshot);
    expect(ran).toMatchObject({
      ok: false,
      error: { kind: 'invalid', message: expect.stringContaining(`${changed} (modified)`) },
    });
    expect((await docs(STUCK)).map((d) => d?.status)).toEqual(['running', 'success', 'running']);

    const undone = value(await ex.undo!(clear, { snapshot }));
    expect(undone).toMatchObject({ detail: `restored 0; left ${changed} (written again since)` });
    expect((await docs(STUCK)).map((d) => d?.status)).toEqual(['running', 'success', 'running']);
  });

  it('refuses to run without a snapshot or against another collection', async () => {
    const clear = step(await healPlan(), 'clear-run-history');
    const ex = healExecutors(deps).clear_run_history!;
    expect(await runStep(ex, clear)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    const other = { ...clear, params: { ...clear.params, collection: 'other_history' } };
    expect(await ex.snapshot!(other, request)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect((await docs(STUCK)).every((d) => d?.status === 'running')).toBe(true);
  });
});

describe('trigger_phase', () => {
  it('triggers phase2..phase5 in order and each returns once its checks pass', async () => {
    const plan = await healPlan();
    expect(plan.steps.map((s) => s.id)).toEqual([
      'clear-run-history',
      'trigger-phase2',
      'trigger-phase3',
      'trigger-phase4',
      'trigger-phase5',
    ]);
    expect(await checkHealth()).toEqual({
      boxscore_games: 'fail',
      analytics_games: 'fail',
      feature_players: 'fail',
      prediction_players: 'fail',
    });
    const ex = healExecutors(deps).trigger_phase!;
    expect(ex.undo).toBeUndefined();
    const details: string[] = [];
    for (const s of plan.steps.slice(1)) {
      const r = value(await runStep(ex, s));
      details.push((r as { detail: string }).detail);
    }
    expect(details[0]).toMatch(
      /^published to nba-phase2-reprocess \(message \S+\); boxscore_games 7 of 7 after [\d.]+ s$/,
    );
    expect(details[1]).toMatch(
      /^POST nba-phase3-analytics-processors\/process-date-range answered 200; analytics_games 7 of 7 after [\d.]+ s$/,
    );
    expect(details[2]).toMatch(/; feature_players 224 of at least 224 after/);
    expect(details[3]).toMatch(
      /^POST prediction-coordinator\/start answered 200; prediction_players 224 of at least 224/,
    );
    expect(await checkHealth()).toEqual({
      boxscore_games: 'ok',
      analytics_games: 'ok',
      feature_players: 'ok',
      prediction_players: 'ok',
    });
    expect(sandbox.state.processorCalls.map((c) => [c.service, c.path, c.authorized])).toEqual([
      ['nba-phase2-raw-processors', '/_pubsub', true],
      ['nba-phase3-analytics-processors', '/process-date-range', true],
      ['nba-phase4-precompute-processors', '/process-date', true],
      ['prediction-coordinator', '/start', true],
    ]);
  });

  it('runs the whole heal through the engine, and undo restores the cleared docs', async () => {
    const plan = await healPlan();
    const before = await docs(STUCK);
    const engine = createEngine({
      store: createMemoryRequestStore(),
      audit: createMemoryAuditLog(),
      executors: healExecutors(deps),
      clock: { now: () => new Date() },
      instanceId: 'heal-test',
    });
    const created = await engine.submit({
      plan,
      requester: 'U0REQUESTER',
      channel: 'C0PIPELINE',
      ttlMs: 60_000,
    });
    if (!created.ok) throw new Error(created.reason.message);
    const approved = await engine.approve(created.value.id, 'U0APPROVER', { ok: true, value: true });
    if (!approved.ok) throw new Error(approved.reason.message);
    const done = await approved.value.done;
    expect(done.steps.map((s) => [s.id, s.status, s.message])).toEqual(
      plan.steps.map((s) => [s.id, 'done', undefined]),
    );
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]!.undoData).toMatchObject({ detail: 'cleared 3' });
    expect(await docs(STUCK)).toEqual([undefined, undefined, undefined]);
    expect(Object.values(await checkHealth())).toEqual(['ok', 'ok', 'ok', 'ok']);

    const undo = await engine.undo(done.id, 'U0REQUESTER');
    if (!undo.ok) throw new Error(undo.reason.message);
    const undone = await undo.value.done;
    expect(undone.state).toBe('undone');
    expect(undone.steps.map((s) => s.status)).toEqual(['undone', 'done', 'done', 'done', 'done']);
    expect(await docs(STUCK)).toEqual(before);
    await engine.idle();
  });
});

// Last, with the processors failing from here on: the emulator redelivers a failed push (about
// 1 s later, again and again), and with the fault lifted it would fill data into a later test.
describe('trigger_phase when the data never arrives', () => {
  beforeAll(() => sandbox.setFault('processors', { status: 500 }));

  // First: no message has been published under the fault yet, so every request counted is ours.
  it('fails at once, naming the answer, when the processor refuses the trigger', async () => {
    const plan = await healPlan();
    sandbox.resetCounts();
    const r = await runStep(healExecutors(deps).trigger_phase!, step(plan, 'trigger-phase3'));
    expect(r).toMatchObject({
      ok: false,
      error: {
        kind: 'unavailable',
        message: expect.stringMatching(
          /^could not trigger phase3: POST nba-phase3-analytics-processors\/process-date-range answered 500/,
        ),
      },
    });
    expect(sandbox.counts.processors).toBe(1);
  });

  it('fails with the phase and the check named when the processor never completes', async () => {
    const plan = await healPlan();
    sandbox.resetCounts();
    // Pub/Sub accepts the message; every push of it to the processor then fails.
    const ex = healExecutors({ ...deps, waitMs: 600 }).trigger_phase!;
    const started = Date.now();
    const r = await runStep(ex, step(plan, 'trigger-phase2'));
    const took = Date.now() - started;
    expect(r).toEqual({
      ok: false,
      error: { kind: 'timeout', message: 'phase2 did not complete in 0.6 s: boxscore_games 4 of 7' },
    });
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThan(4000);
    // The message did reach the processor, which failed it.
    expect(sandbox.counts.processors).toBeGreaterThanOrEqual(1);
    expect(sandbox.state.processorCalls).toEqual([]);
  });

  it('stops waiting when the run is aborted', async () => {
    const plan = await healPlan();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const r = await runStep(
      healExecutors(deps).trigger_phase!,
      step(plan, 'trigger-phase2'),
      undefined,
      controller.signal,
    );
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^stopped while waiting for phase2: boxscore_games 4 of 7/) },
    });
  });
});
