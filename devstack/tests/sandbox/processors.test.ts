/** The sandbox's processor endpoints: ID-token check, trigger recording, delayed data, Pub/Sub push. */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../../src/config.js';
import type { IsoDate } from '../../../src/domain/ports.js';
import { evaluateCheck } from '../../../src/domain/status.js';
import { bigQueryClient, createDataChecksAdapter } from '../../../src/gcp/bigquery.js';
import { offlineIdToken } from '../../../src/gcp/triggers.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { firstDate, tokenAudience } from '../../src/sandbox/processors.js';
import { SEED_DATE } from '../../src/sandbox/scenarios.js';

const DATE = SEED_DATE as IsoDate;
const DELAY = 120;
const PHASE2 = 'nba-phase2-raw-processors';
const PHASE3 = 'nba-phase3-analytics-processors';

let config: PipelineConfig;
let sandbox: Sandbox;
let bq: BigQuery;

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20', processorDelayMs: DELAY });
  bq = bigQueryClient(sandbox.url, config.project, true);
});

afterAll(async () => {
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.setScenario('jan20');
  sandbox.clearFaults();
  sandbox.resetCounts();
});

/** The health and detail of one configured data check, through the real BigQuery client. */
async function check(id: string): Promise<{ health: string; detail: string }> {
  const c = config.dataChecks.find((x) => x.id === id)!;
  const checks = createDataChecksAdapter({ bigquery: bq, maximumBytesBilled: 1e10, deadlineMs: 5000 });
  const sql =
    'equalsQuery' in c.expect ? c.expect.equalsQuery : 'minQuery' in c.expect ? c.expect.minQuery : '';
  const [actual, expected] = await Promise.all([
    checks.scalar(c.sql, DATE, c.id),
    checks.scalar(sql, DATE, c.id),
  ]);
  const line = evaluateCheck(c, { actual, expected }, { project: config.project, region: config.region });
  return { health: line.health, detail: line.detail };
}

async function until(fn: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const uri = (service: string) => sandbox.state.services.get(service)!.uri;

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('processor HTTP endpoints', () => {
  const body = { start_date: SEED_DATE, end_date: SEED_DATE, backfill_mode: true };

  it('serves each service at its Cloud Run uri', () => {
    expect(uri(PHASE3)).toBe(`${sandbox.url}/_svc/${PHASE3}`);
  });

  it('answers 401 without a bearer token, records it as unauthorized and changes no data', async () => {
    const res = await post(`${uri(PHASE3)}/process-date-range`, body);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no bearer token/);
    expect(sandbox.state.processorCalls).toMatchObject([
      { service: PHASE3, path: '/process-date-range', authorized: false, status: 401 },
    ]);
    expect(sandbox.state.processorCalls.some((c) => c.authorized)).toBe(false);
    expect(sandbox.counts.processors).toBe(1);
    await new Promise((r) => setTimeout(r, DELAY * 2));
    expect(await check('analytics_games')).toEqual({ health: 'fail', detail: '4 of 7 expected' });
  });

  it('answers 401 to a token minted for another audience, as Cloud Run does', async () => {
    const res = await post(`${uri(PHASE3)}/process-date-range`, body, {
      authorization: `Bearer ${offlineIdToken(uri(PHASE2))}`,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('audience');
    const res2 = await post(`${uri(PHASE3)}/process-date-range`, body, { authorization: 'Bearer not-a-jwt' });
    expect(res2.status).toBe(401);
    expect(sandbox.state.processorCalls.map((c) => c.authorized)).toEqual([false, false]);
  });

  it('records an authorized trigger, answers at once and fills the phase after the delay', async () => {
    const started = Date.now();
    const res = await post(`${uri(PHASE3)}/process-date-range`, body, {
      authorization: `Bearer ${offlineIdToken(uri(PHASE3))}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'started',
      phase: 'phase3',
      date: SEED_DATE,
      service: PHASE3,
    });
    expect(sandbox.state.processorCalls).toMatchObject([
      { service: PHASE3, method: 'POST', path: '/process-date-range', body, authorized: true, status: 200 },
    ]);
    // Not yet: the processor works in the background.
    expect(await check('analytics_games')).toMatchObject({ health: 'fail' });
    await until(async () => (await check('analytics_games')).health === 'ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY - 5);
    expect(await check('analytics_games')).toEqual({ health: 'ok', detail: '7 of 7' });
    // Only its own phase.
    expect(await check('feature_players')).toMatchObject({ health: 'fail' });
  });

  it('rejects a body without a date and an unknown service', async () => {
    const auth = { authorization: `Bearer ${offlineIdToken(uri(PHASE3))}` };
    expect((await post(`${uri(PHASE3)}/process-date-range`, { start_date: 'yesterday' }, auth)).status).toBe(
      400,
    );
    expect((await post(`${sandbox.url}/_svc/no-such-service/start`, body, auth)).status).toBe(404);
  });

  it('fails with the injected fault', async () => {
    sandbox.setFault('processors', { status: 500 });
    const res = await post(`${uri(PHASE3)}/process-date-range`, body, {
      authorization: `Bearer ${offlineIdToken(uri(PHASE3))}`,
    });
    expect(res.status).toBe(500);
    expect(sandbox.counts.processors).toBe(1);
    await new Promise((r) => setTimeout(r, DELAY * 2));
    expect(await check('analytics_games')).toMatchObject({ health: 'fail' });
  });
});

describe('Pub/Sub push endpoint', () => {
  it('decodes a push message, records it and fills the phase', async () => {
    const message = { processor: 'bdl_boxscores', game_date: SEED_DATE, source: 'gcs' };
    const res = await post(`${uri(PHASE2)}/_pubsub`, {
      message: {
        data: Buffer.from(JSON.stringify(message)).toString('base64'),
        attributes: { origin: 'test' },
        messageId: '42',
      },
      subscription: 'projects/p/subscriptions/s',
    });
    expect(res.status).toBe(204);
    expect(sandbox.state.processorCalls).toMatchObject([
      { service: PHASE2, path: '/_pubsub', body: message, authorized: true, status: 204 },
    ]);
    expect(await check('boxscore_games')).toMatchObject({ health: 'fail', detail: '4 of 7 expected' });
    await until(async () => (await check('boxscore_games')).health === 'ok');
  });

  it('acks a message it cannot use without filling anything', async () => {
    const res = await post(`${uri(PHASE2)}/_pubsub`, {
      message: { data: Buffer.from('not json').toString('base64'), messageId: '43' },
    });
    expect(res.status).toBe(204);
    expect(sandbox.state.processorCalls).toMatchObject([{ path: '/_pubsub', body: 'not json' }]);
    await new Promise((r) => setTimeout(r, DELAY * 2));
    expect(await check('boxscore_games')).toMatchObject({ health: 'fail' });
  });
});

describe('helpers', () => {
  it('finds the first date in a body, depth first', () => {
    expect(firstDate({ a: 1, b: { c: 'x', d: '2026-01-19' }, e: '2026-01-20' })).toBe('2026-01-19');
    expect(firstDate({ a: '2026-1-20' })).toBeUndefined();
  });

  it('reads the audience of a JWT-shaped token', () => {
    expect(tokenAudience(offlineIdToken('https://x.a.run.app'))).toBe('https://x.a.run.app');
    expect(tokenAudience('a.b.c')).toBeUndefined();
  });
});

describe('idempotency keys', () => {
  it('runs a phase once per key and records every key it received', async () => {
    const svc = sandbox.state.services.get(PHASE3)!;
    const send = (key: string) =>
      fetch(`${svc.uri}/process-date-range`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${offlineIdToken(svc.uri!)}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ start_date: DATE, end_date: DATE }),
      }).then((r) => r.json() as Promise<{ status: string }>);
    expect((await send('req-1:trigger-phase3')).status).toBe('started');
    expect((await send('req-1:trigger-phase3')).status).toBe('already_started');
    expect((await send('req-2:trigger-phase3')).status).toBe('started');
    const calls = sandbox.state.processorCalls.filter((c) => c.service === PHASE3);
    expect(calls.map((c) => [c.idempotencyKey, c.duplicate ?? false])).toEqual([
      ['req-1:trigger-phase3', false],
      ['req-1:trigger-phase3', true],
      ['req-2:trigger-phase3', false],
    ]);
  });
});
