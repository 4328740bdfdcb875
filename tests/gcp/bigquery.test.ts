/** The data-checks adapter on the real @google-cloud/bigquery client, against the sandbox's SQL engine. */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTES_PER_ROW, receivedQueries } from '../../devstack/src/sandbox/bigquery.js';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { completePhaseData } from '../../devstack/src/sandbox/scenarios.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { bigQueryClient, createDataChecksAdapter, labelValue } from '../../src/gcp/bigquery.js';

const DATE = '2026-01-20' as IsoDate;

let config: PipelineConfig;
let sandbox: Sandbox;
let bq: BigQuery;

const adapter = (over: { deadlineMs?: number; maximumBytesBilled?: number } = {}) =>
  createDataChecksAdapter({
    bigquery: bq,
    maximumBytesBilled: over.maximumBytesBilled ?? config.limits.maximumBytesBilled,
    deadlineMs: over.deadlineMs ?? config.limits.callDeadlineMs,
  });

/** Each check's own value and its expectation's value (for query expectations). */
async function runChecks(): Promise<Record<string, [number, number | undefined]>> {
  const checks = adapter();
  const out: Record<string, [number, number | undefined]> = {};
  for (const check of config.dataChecks) {
    const value = await checks.scalar(check.sql, DATE, check.id);
    if (!value.ok) throw new Error(`${check.id}: ${value.error.kind} ${value.error.message}`);
    const sql =
      'equalsQuery' in check.expect
        ? check.expect.equalsQuery
        : 'minQuery' in check.expect
          ? check.expect.minQuery
          : undefined;
    let expected: number | undefined;
    if (sql) {
      const e = await checks.scalar(sql, DATE, `${check.id}-expected`);
      if (!e.ok) throw new Error(`${check.id} expectation: ${e.error.kind} ${e.error.message}`);
      expected = e.value;
    }
    out[check.id] = [value.value, expected];
  }
  return out;
}

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20' });
  bq = bigQueryClient(sandbox.url, config.project, true);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('jan20 scenario', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('gives the seed report numbers for every data check of the example config', async () => {
    expect(await runChecks()).toEqual({
      boxscore_games: [4, 7],
      analytics_games: [4, 7],
      feature_players: [128, 224],
      prediction_players: [26, 224],
    });
  });

  it('sent @date as a DATE parameter, the check label, the byte cap and a job timeout', async () => {
    await sandbox.setScenario('jan20');
    const check = config.dataChecks[0]!;
    const r = await adapter({ deadlineMs: 4321 }).scalar(check.sql, DATE, 'Games with box scores!');
    expect(r.ok).toBe(true);
    const jobs = receivedQueries(sandbox.state);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      sql: check.sql,
      parameters: [{ name: 'date', type: 'DATE', value: DATE }],
      labels: { check: 'games_with_box_scores_' },
      maximumBytesBilled: String(config.limits.maximumBytesBilled),
      jobTimeoutMs: '4321',
      method: 'jobs.query',
      dryRun: false,
    });
  });

  it('is one HTTP round trip: a jobs.query carrying both its wait and a job timeout', async () => {
    await sandbox.setScenario('jan20');
    const check = config.dataChecks[0]!;
    const before = sandbox.counts.bigquery;
    expect(await adapter({ deadlineMs: 4321 }).scalar(check.sql, DATE, check.id)).toEqual({
      ok: true,
      value: 4,
    });
    expect(sandbox.counts.bigquery - before).toBe(1);
    expect(receivedQueries(sandbox.state).map((q) => q.method)).toEqual(['jobs.query']);
  });

  it('asks for the results until the deadline when jobs.query answers before the job is done', async () => {
    await sandbox.setScenario('jan20');
    sandbox.state.queryRunMs = 700;
    sandbox.state.queryWaitMaxMs = 200;
    const check = config.dataChecks[0]!;
    const before = sandbox.counts.bigquery;
    expect(await adapter({ deadlineMs: 5000 }).scalar(check.sql, DATE, check.id)).toEqual({
      ok: true,
      value: 4,
    });
    // One jobs.query, then getQueryResults calls each waiting at most 200 ms for a 700 ms job.
    expect(sandbox.counts.bigquery - before).toBeGreaterThanOrEqual(3);
    expect(receivedQueries(sandbox.state).map((q) => q.method)).toEqual(['jobs.query']);
    sandbox.state.queryRunMs = 5000;
    const slow = await adapter({ deadlineMs: 600 }).scalar(check.sql, DATE, check.id);
    expect(slow.ok ? 'value' : slow.error.kind).toBe('timeout');
  });

  it('sees rows a processor adds after the scenario was built', async () => {
    await sandbox.setScenario('jan20');
    const check = config.dataChecks.find((c) => c.id === 'prediction_players')!;
    const before = await adapter().scalar(check.sql, DATE, check.id);
    expect(before).toEqual({ ok: true, value: 26 });
    completePhaseData(sandbox.state, 'phase5', DATE);
    expect(await adapter().scalar(check.sql, DATE, check.id)).toEqual({ ok: true, value: 224 });
    // Rows edited in place are seen too.
    for (const row of sandbox.state.tables.get('nba_predictions.player_prop_predictions')!.rows) {
      if (row.game_date === DATE) row.game_date = '2026-01-19';
    }
    expect(await adapter().scalar(check.sql, DATE, check.id)).toEqual({ ok: true, value: 0 });
  });
});

describe('healthy scenario', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('gives complete numbers', async () => {
    expect(await runChecks()).toEqual({
      boxscore_games: [7, 7],
      analytics_games: [7, 7],
      feature_players: [224, 224],
      prediction_players: [224, 224],
    });
  });

  it('binds the date as a value: another date gives 0, a quote in it is only a bad date', async () => {
    const sql = config.dataChecks[0]!.sql;
    expect(await adapter().scalar(sql, '2026-01-19' as IsoDate, 'other-day')).toEqual({ ok: true, value: 0 });
    const r = await adapter().scalar(sql, "2026-01-20' OR '1'='1" as IsoDate, 'injection');
    expect(r.ok).toBe(false);
  });

  it('answers 0 for no row and NULL, invalid for a non-numeric value', async () => {
    const checks = adapter();
    const none =
      'SELECT COUNT(*) AS value FROM nba_raw.nbac_schedule WHERE game_date = @date GROUP BY game_id HAVING 1 = 0';
    expect(await checks.scalar(none, DATE, 'none')).toEqual({ ok: true, value: 0 });
    const nul =
      'SELECT MAX(points) AS value FROM nba_raw.bdl_player_boxscores WHERE game_date = @date AND 1 = 0';
    expect(await checks.scalar(nul, DATE, 'null')).toEqual({ ok: true, value: 0 });
    const text = 'SELECT player_lookup FROM nba_analytics.player_game_summary WHERE game_date = @date';
    const r = await checks.scalar(text, DATE, 'text');
    expect(r.ok ? 'value' : r.error.kind).toBe('invalid');
    const float =
      'SELECT AVG(predicted_value) AS value FROM nba_predictions.player_prop_predictions WHERE game_date = @date';
    expect(await checks.scalar(float, DATE, 'float')).toEqual({ ok: true, value: 12.5 });
  });

  it('refuses a query over the byte cap with the bytes message', async () => {
    const check = config.dataChecks[0]!;
    const r = await adapter({ maximumBytesBilled: 1000 }).scalar(check.sql, DATE, check.id);
    if (r.ok) throw new Error('expected a failure');
    expect(['invalid', 'error']).toContain(r.error.kind);
    const rows = 7 * 32;
    expect(r.error.message).toContain('bytes billed');
    expect(r.error.message).toContain(String(rows * BYTES_PER_ROW));
  });

  it('maps bad SQL to invalid and a missing table to not_found', async () => {
    const bad = await adapter().scalar(
      'SELECT COUNT(* FROM nba_raw.nbac_schedule WHERE game_date = @date',
      DATE,
      'x',
    );
    expect(bad.ok ? 'value' : bad.error.kind).toBe('invalid');
    const missing = await adapter().scalar(
      'SELECT COUNT(*) FROM nba_raw.nope WHERE game_date = @date',
      DATE,
      'x',
    );
    expect(missing.ok ? 'value' : missing.error.kind).toBe('not_found');
  });

  it('runs the fast jobs.query path of the client too (no job timeout)', async () => {
    const [rows] = await bq.query({
      query:
        'SELECT COUNT(*) AS value FROM `nba-props-platform.nba_raw.nbac_schedule` WHERE game_date = @date',
      params: { date: bq.date(DATE) },
    });
    expect(rows).toEqual([{ value: 7 }]);
    expect(receivedQueries(sandbox.state).at(-1)?.method).toBe('jobs.query');
  });

  it('answers a dry run with the bytes it would process', async () => {
    const [job] = await bq.createQueryJob({
      query: config.dataChecks[0]!.sql,
      params: { date: bq.date(DATE) },
      dryRun: true,
    });
    expect(job.metadata.statistics.totalBytesProcessed).toBe(String(7 * 32 * BYTES_PER_ROW));
  });
});

describe('faults', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('fails (not a value) while BigQuery answers 503, within the deadline', async () => {
    sandbox.setFault('bigquery', { status: 503 });
    try {
      const started = Date.now();
      const r = await adapter({ deadlineMs: 1500 }).scalar(config.dataChecks[0]!.sql, DATE, 'x');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['unavailable', 'timeout', 'error']).toContain(r.error.kind);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('gets through one 503 by the client retrying on its own', async () => {
    sandbox.setFault('bigquery', { status: 503, times: 1 });
    const before = sandbox.counts.bigquery;
    try {
      const r = await adapter({ deadlineMs: 10_000 }).scalar(config.dataChecks[0]!.sql, DATE, 'x');
      expect(r).toEqual({ ok: true, value: 7 });
      expect(sandbox.counts.bigquery - before).toBeGreaterThanOrEqual(3);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('times out on a silent server', async () => {
    sandbox.setFault('bigquery', { hang: true });
    try {
      const started = Date.now();
      const r = await adapter({ deadlineMs: 300 }).scalar(config.dataChecks[0]!.sql, DATE, 'x');
      expect(r.ok ? 'value' : r.error.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sandbox.clearFaults();
    }
  });
});

describe('labelValue', () => {
  it('keeps BigQuery label rules', () => {
    expect(labelValue('Players with predictions')).toBe('players_with_predictions');
    expect(labelValue('boxscore_games')).toBe('boxscore_games');
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
    expect(labelValue('Zürich "quoted"')).toMatch(/^[a-z0-9_-]*$/);
  });
});
