/** Table freshness on the real @google-cloud/bigquery client: tables.get against the sandbox. */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { componentsOf, loadPipeline, type PipelineConfig } from '../../src/config.js';
import { bigQueryClient } from '../../src/gcp/bigquery.js';
import { createTablesAdapter } from '../../src/gcp/bigquery-tables.js';

const NOW = new Date('2026-01-21T15:00:00Z');

let config: PipelineConfig;
let sandbox: Sandbox;
let bq: BigQuery;
let table: string;

const adapter = (deadlineMs?: number) =>
  createTablesAdapter({ bigquery: bq, deadlineMs: deadlineMs ?? config.limits.callDeadlineMs });

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'healthy', now: () => NOW });
  bq = bigQueryClient(sandbox.url, config.project, true);
  table = componentsOf(config, 'table')[0]!.name;
});

afterAll(async () => {
  await sandbox?.close();
});

describe('tables.get', () => {
  it('reads when the table was last written, in one request', async () => {
    sandbox.setScenario('healthy');
    const before = sandbox.counts.bigquery;
    const r = await adapter().getTable(table);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.lastModifiedTime).toBe(sandbox.state.tables.get(table)!.lastModified!.toISOString());
    expect(r.value.numRows).toBe(sandbox.state.tables.get(table)!.rows.length);
    expect(sandbox.counts.bigquery - before).toBe(1);
  });

  it('sees the stale table of the breakdown scenario', async () => {
    sandbox.setScenario('breakdown');
    const r = await adapter().getTable(table);
    if (!r.ok) throw new Error(r.error.message);
    const ageMinutes = (NOW.getTime() - Date.parse(r.value.lastModifiedTime!)) / 60_000;
    expect(ageMinutes).toBeGreaterThan(componentsOf(config, 'table')[0]!.maxAgeMinutes);
  });

  it('answers not_found for an unknown table or dataset, as BigQuery does', async () => {
    expect(await adapter().getTable('nba_raw.nope')).toMatchObject({
      ok: false,
      error: { kind: 'not_found' },
    });
    expect(await adapter().getTable('nope.nope')).toMatchObject({
      ok: false,
      error: { kind: 'not_found', message: expect.stringContaining('Not found: Dataset') },
    });
    // Never reaches a URL: not a dataset.table name.
    expect(await adapter().getTable('a/b.c')).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  it('is bounded by its deadline when BigQuery is silent', async () => {
    sandbox.setFault('bigquery', { hang: true });
    try {
      const started = Date.now();
      expect(await adapter(300).getTable(table)).toMatchObject({ ok: false, error: { kind: 'timeout' } });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sandbox.clearFaults();
    }
  });
});
