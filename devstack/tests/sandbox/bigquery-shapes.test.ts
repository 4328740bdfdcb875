/**
 * The sandbox's BigQuery answers checked against BigQuery's discovery document (shipped with
 * the Cloud SDK): every key it writes must exist in the schema of that response, with the
 * type the schema says (int64 as decimal strings), and errors carry BigQuery's reasons.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../../src/config.js';
import { knownFields, translateSql } from '../../src/sandbox/bigquery.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

interface Property {
  type?: string;
  format?: string;
  $ref?: string;
  items?: Property;
  additionalProperties?: Property;
  properties?: Record<string, Property>;
}

const sdkRoots = [
  process.env.CLOUDSDK_ROOT_DIR,
  '/usr/lib/google-cloud-sdk',
  '/usr/share/google-cloud-sdk',
  '/opt/google-cloud-sdk',
].filter((p): p is string => Boolean(p));
const discoveryPath = sdkRoots
  .map((root) => join(root, 'platform/bq/discovery_next/bigquery.json'))
  .find((p) => existsSync(p));
if (!discoveryPath) throw new Error(`BigQuery discovery document not found under ${sdkRoots.join(', ')}`);
const schemas = (JSON.parse(readFileSync(discoveryPath, 'utf8')) as { schemas: Record<string, Property> })
  .schemas;

/** Keys and value types of `value` not allowed by `schema` (empty when it conforms). */
function problems(schema: Property, value: unknown, path: string): string[] {
  if (schema.$ref) {
    const target = schemas[schema.$ref];
    return target ? problems(target, value, path) : [`${path}: unknown schema ${schema.$ref}`];
  }
  if (value === null) return [];
  switch (schema.type) {
    case 'any':
      return [];
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string, got ${JSON.stringify(value)}`];
      if ((schema.format === 'int64' || schema.format === 'uint64') && !/^-?\d+$/.test(value)) {
        return [`${path}: expected an int64 decimal string, got ${value}`];
      }
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'integer':
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list`];
      return value.flatMap((item, i) => problems(schema.items ?? {}, item, `${path}[${i}]`));
    default: {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
      const out: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const prop = schema.properties?.[k] ?? schema.additionalProperties;
        if (!prop) out.push(`${path}.${k}: not in the schema`);
        else out.push(...problems(prop, v, `${path}.${k}`));
      }
      return out;
    }
  }
}

const conforms = (schemaName: string, value: unknown) => problems({ $ref: schemaName }, value, schemaName);

let config: PipelineConfig;
let sandbox: Sandbox;
let base: string;

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The sandbox bills every row of the tables a query names (BYTES_PER_ROW each). */
const boxscoreBytes = () =>
  String(sandbox.state.tables.get('nba_raw.bdl_player_boxscores')!.rows.length * 100);

const dateParam = (value: string) => [
  { name: 'date', parameterType: { type: 'DATE' }, parameterValue: { value } },
];
const COUNT_SQL =
  'SELECT COUNT(DISTINCT game_id) AS value FROM nba_raw.bdl_player_boxscores WHERE game_date = @date';
const ROWS_SQL =
  'SELECT game_id, game_date, home_team FROM nba_raw.nbac_schedule WHERE game_date = @date ORDER BY game_id';

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20' });
  base = `${sandbox.url}/bigquery/v2/projects/${config.project}`;
});

afterAll(async () => {
  await sandbox?.close();
});

describe('tables.get', () => {
  it('answers a Table with int64 times as strings, and 404 naming what is missing', async () => {
    const r = await call('GET', '/datasets/nba_predictions/tables/player_prop_predictions');
    expect(r.status).toBe(200);
    expect(conforms('Table', r.json)).toEqual([]);
    expect(r.json).toMatchObject({
      kind: 'bigquery#table',
      tableReference: {
        projectId: config.project,
        datasetId: 'nba_predictions',
        tableId: 'player_prop_predictions',
      },
      lastModifiedTime: String(
        sandbox.state.tables.get('nba_predictions.player_prop_predictions')!.lastModified!.getTime(),
      ),
    });
    const table = await call('GET', '/datasets/nba_predictions/tables/nope');
    expect(table.status).toBe(404);
    expect(table.json).toMatchObject({
      error: {
        code: 404,
        message: `Not found: Table ${config.project}:nba_predictions.nope`,
        errors: [{ reason: 'notFound' }],
      },
    });
    const dataset = await call('GET', '/datasets/nope/tables/t');
    expect(dataset.json).toMatchObject({ error: { message: `Not found: Dataset ${config.project}:nope` } });
  });
});

describe('jobs.query and getQueryResults', () => {
  it('answers a QueryResponse with int64 values as strings', async () => {
    const r = await call('POST', '/queries', {
      query: COUNT_SQL,
      useLegacySql: false,
      parameterMode: 'NAMED',
      queryParameters: dateParam('2026-01-20'),
      labels: { check: 'boxscore_games' },
    });
    expect(r.status).toBe(200);
    expect(conforms('QueryResponse', r.json)).toEqual([]);
    expect(r.json).toMatchObject({
      kind: 'bigquery#queryResponse',
      jobComplete: true,
      schema: { fields: [{ name: 'value', type: 'INTEGER', mode: 'NULLABLE' }] },
      rows: [{ f: [{ v: '4' }] }],
      totalRows: '1',
      totalBytesProcessed: boxscoreBytes(),
      cacheHit: false,
    });
    const ref = r.json.jobReference as { projectId: string; jobId: string; location: string };
    expect(ref.projectId).toBe(config.project);

    const again = await call('GET', `/queries/${ref.jobId}?location=${ref.location}`);
    expect(again.status).toBe(200);
    expect(conforms('GetQueryResultsResponse', again.json)).toEqual([]);
    expect(again.json.rows).toEqual([{ f: [{ v: '4' }] }]);
    expect(again.json.kind).toBe('bigquery#getQueryResultsResponse');
  });

  it('types columns from the tables and pages with maxResults', async () => {
    const r = await call('POST', '/queries', {
      query: ROWS_SQL,
      queryParameters: dateParam('2026-01-20'),
      parameterMode: 'NAMED',
      maxResults: 3,
    });
    expect(conforms('QueryResponse', r.json)).toEqual([]);
    expect((r.json.schema as { fields: { type: string }[] }).fields.map((f) => f.type)).toEqual([
      'STRING',
      'DATE',
      'STRING',
    ]);
    expect(r.json.totalRows).toBe('7');
    expect(r.json.rows).toHaveLength(3);
    const ref = r.json.jobReference as { jobId: string };
    const seen = (r.json.rows as { f: { v: string }[] }[]).map((row) => row.f[0]!.v);
    let token = r.json.pageToken as string | undefined;
    while (token) {
      const page = await call('GET', `/queries/${ref.jobId}?maxResults=3&pageToken=${token}`);
      expect(conforms('GetQueryResultsResponse', page.json)).toEqual([]);
      seen.push(...(page.json.rows as { f: { v: string }[] }[]).map((row) => row.f[0]!.v));
      token = page.json.pageToken as string | undefined;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen.every((id) => id.startsWith('20260120_'))).toBe(true);
  });

  it('answers BigQuery errors: bytes over the cap, invalid query, missing parameter, unknown job', async () => {
    const over = await call('POST', '/queries', {
      query: COUNT_SQL,
      queryParameters: dateParam('2026-01-20'),
      maximumBytesBilled: '1000',
    });
    expect(over.status).toBe(400);
    const error = over.json.error as {
      code: number;
      errors: { reason: string; message: string }[];
      status: string;
    };
    expect(error.code).toBe(400);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.errors[0]?.reason).toBe('bytesBilledLimitExceeded');
    // HTTP errors use the generic Google error items (with `domain`), not ErrorProto.
    for (const e of error.errors) {
      expect(
        Object.keys(e).every((k) => ['message', 'domain', 'reason', 'location', 'locationType'].includes(k)),
      ).toBe(true);
    }

    const bad = await call('POST', '/queries', { query: 'SELECT COUNT(*) FROM WHERE', queryParameters: [] });
    expect(bad.status).toBe(400);
    expect((bad.json.error as { errors: { reason: string }[] }).errors[0]?.reason).toBe('invalidQuery');

    const unbound = await call('POST', '/queries', { query: COUNT_SQL });
    expect(unbound.status).toBe(400);
    expect((unbound.json.error as { message: string }).message).toContain("Query parameter 'date' not found");

    const badDate = await call('POST', '/queries', {
      query: COUNT_SQL,
      queryParameters: dateParam('20 Jan 2026'),
    });
    expect(badDate.status).toBe(400);

    const missing = await call('GET', '/queries/no-such-job');
    expect(missing.status).toBe(404);

    const write = await call('POST', '/queries', { query: 'DELETE FROM nba_raw.nbac_schedule WHERE true' });
    expect(write.status).toBe(400);
    const two = await call('POST', '/queries', { query: 'SELECT 1; SELECT 2' });
    expect(two.status).toBe(400);
  });

  it('refuses another project', async () => {
    const r = await fetch(`${sandbox.url}/bigquery/v2/projects/someone-else/queries`, {
      method: 'POST',
      body: JSON.stringify({ query: 'SELECT 1' }),
    });
    expect(r.status).toBe(404);
  });
});

describe('jobs.insert and jobs.get', () => {
  it('creates a query job and answers a Job, then its results', async () => {
    const r = await call('POST', '/jobs', {
      jobReference: { projectId: config.project, jobId: 'shape-job-1' },
      configuration: {
        query: {
          query: COUNT_SQL,
          useLegacySql: false,
          parameterMode: 'named',
          queryParameters: dateParam('2026-01-20'),
          maximumBytesBilled: '10000000000',
        },
        labels: { check: 'boxscore_games' },
        jobTimeoutMs: '8000',
      },
    });
    expect(r.status).toBe(200);
    expect(conforms('Job', r.json)).toEqual([]);
    expect(r.json).toMatchObject({
      kind: 'bigquery#job',
      jobReference: { projectId: config.project, jobId: 'shape-job-1' },
      status: { state: 'DONE' },
      configuration: { labels: { check: 'boxscore_games' }, jobTimeoutMs: '8000', jobType: 'QUERY' },
    });
    const got = await call('GET', '/jobs/shape-job-1');
    expect(got.status).toBe(200);
    expect(conforms('Job', got.json)).toEqual([]);
    const results = await call('GET', '/queries/shape-job-1');
    expect(conforms('GetQueryResultsResponse', results.json)).toEqual([]);
    expect(results.json.rows).toEqual([{ f: [{ v: '4' }] }]);

    const dup = await call('POST', '/jobs', {
      jobReference: { projectId: config.project, jobId: 'shape-job-1' },
      configuration: { query: { query: 'SELECT 1' } },
    });
    expect(dup.status).toBe(409);
  });

  it('creates a failed job for a query over the cap, and its results are the error', async () => {
    const r = await call('POST', '/jobs', {
      jobReference: { projectId: config.project, jobId: 'shape-job-over' },
      configuration: {
        query: { query: COUNT_SQL, queryParameters: dateParam('2026-01-20'), maximumBytesBilled: '10' },
      },
    });
    expect(r.status).toBe(200);
    expect(conforms('Job', r.json)).toEqual([]);
    expect(r.json.status).toMatchObject({
      state: 'DONE',
      errorResult: { reason: 'bytesBilledLimitExceeded' },
    });
    const results = await call('GET', '/queries/shape-job-over');
    expect(results.status).toBe(400);
  });

  it('answers a dry run with the bytes the query would process', async () => {
    const r = await call('POST', '/jobs', {
      configuration: {
        query: { query: COUNT_SQL, queryParameters: dateParam('2026-01-20') },
        dryRun: true,
      },
    });
    expect(r.status).toBe(200);
    expect(conforms('Job', r.json)).toEqual([]);
    expect((r.json.statistics as { totalBytesProcessed: string }).totalBytesProcessed).toBe(boxscoreBytes());
    const invalidDry = await call('POST', '/jobs', {
      configuration: { query: { query: 'SELECT nope FROM nba_raw.nbac_schedule' }, dryRun: true },
    });
    expect(invalidDry.status).toBe(400);
  });

  it('checks the conformance test itself: an unknown key is reported', () => {
    expect(conforms('QueryResponse', { jobComplete: true, totalRow: '1' })).toEqual([
      'QueryResponse.totalRow: not in the schema',
    ]);
    expect(conforms('QueryResponse', { totalRows: 1 })).toHaveLength(1);
  });
});

describe('request fields', () => {
  it('knows exactly the fields of the discovery document', () => {
    for (const [schema, fields] of Object.entries(knownFields)) {
      expect([...fields].sort(), schema).toEqual(Object.keys(schemas[schema]?.properties ?? {}).sort());
    }
  });

  it('refuses an unknown field as the real API does', async () => {
    const r = await call('POST', '/jobs', {
      configuration: { query: { query: 'SELECT 1', maxResults: 1 } },
    });
    expect(r.status).toBe(400);
    expect((r.json.error as { message: string }).message).toContain('Unknown name "maxResults"');
    const q = await call('POST', '/queries', { query: 'SELECT 1', jobTimeout: '1' });
    expect(q.status).toBe(400);
  });
});

describe('translateSql', () => {
  it('rewrites BigQuery literals and paths for SQLite, and collects parameters', () => {
    const t = translateSql(
      'SELECT COUNT(*) FROM `proj.nba_raw.games` WHERE team = "it\'s" AND d = @date -- note\n AND x = @date;',
    );
    if ('reason' in t) throw new Error(t.message);
    expect(t.sql).toContain('"nba_raw"."games"');
    expect(t.sql).toContain("'it''s'");
    expect(t.sql).not.toContain('note');
    expect([...t.named]).toEqual(['date']);
  });
});
