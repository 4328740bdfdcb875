/**
 * The log search adapter on the real @google-cloud/logging client, against the sandbox's strict
 * entries:list: paging with the API's tokens, typed filters for each kind of component, one entry
 * by insertId, and hostile search text that finds itself and nothing more.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { receivedLogQueries } from '../../devstack/src/sandbox/logging.js';
import type { SimLogEntry } from '../../devstack/src/sandbox/state.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { entryFilter, type LogsQuery, logsFilter } from '../../src/domain/logs-args.js';
import type { LogEntry, LogSearchPort } from '../../src/domain/logs-query.js';
import { createLogSearchAdapter } from '../../src/gcp/log-search.js';
import { loggingClient } from '../../src/gcp/logging.js';

const NOW = new Date('2026-01-21T15:00:00Z');
const PHASE3 = 'nba-phase3-analytics-processors';
const JOB = 'nba-raw-backfill';
const FN = 'phase5-to-phase6-orchestrator';

let config: PipelineConfig;
let sandbox: Sandbox;
let search: LogSearchPort;

const query = (over: Partial<LogsQuery> = {}): LogsQuery => ({
  source: { kind: 'service', name: PHASE3 },
  since: new Date(NOW.getTime() - 24 * 3600_000),
  limit: 50,
  ...over,
});

async function page(q: LogsQuery) {
  const r = await search.list({
    filter: logsFilter(q),
    order: 'newest',
    pageSize: q.limit,
    ...(q.pageToken ? { pageToken: q.pageToken } : {}),
  });
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

const logged = (
  source: string,
  minutesAgo: number,
  text: string,
  over: Partial<SimLogEntry> = {},
): SimLogEntry => ({
  timestamp: new Date(NOW.getTime() - minutesAgo * 60_000),
  severity: 'ERROR',
  resourceType: 'cloud_run_revision',
  source,
  revision: `${source}-00092-zvl`,
  text,
  ...over,
});

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20', now: () => NOW });
  search = createLogSearchAdapter({
    logging: loggingClient(sandbox.url, config.project, true),
    project: config.project,
    deadlineMs: 5000,
  });
});

afterAll(async () => {
  await sandbox?.close();
});

beforeEach(() => sandbox.setScenario('jan20'));

describe('paging', () => {
  it('pages through 1,000 long entries newest first, each page from the API token', async () => {
    const long = 'x'.repeat(4000);
    for (let i = 0; i < 1000; i++)
      sandbox.state.logs.push(logged(PHASE3, 30 + i / 10, `RuntimeError: ${i} ${long}`));
    const expected = sandbox.state.logs.filter(
      (l) => l.source === PHASE3 && l.resourceType === 'cloud_run_revision',
    ).length;
    const seen: LogEntry[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await page(query(token ? { pageToken: token } : {}));
      expect(p.entries.length).toBeLessThanOrEqual(50);
      seen.push(...p.entries);
      token = p.nextPageToken;
      pages++;
    } while (token);
    expect(seen).toHaveLength(expected);
    expect(pages).toBe(Math.ceil(expected / 50));
    expect(new Set(seen.map((e) => e.insertId)).size).toBe(expected);
    expect(seen.map((e) => e.timestamp)).toEqual([...seen.map((e) => e.timestamp)].sort().reverse());
    expect(seen.every((e) => e.source === PHASE3 && e.revision === `${PHASE3}-00092-zvl`)).toBe(true);
    expect(seen.find((e) => e.text.startsWith('RuntimeError: 0 '))?.text).toHaveLength(
      `RuntimeError: 0 ${long}`.length,
    );
  });

  it('a page token is good for its own query only', async () => {
    const first = await page(query({ limit: 2 }));
    expect(first.nextPageToken).toBeDefined();
    const other = await search.list({
      filter: logsFilter(query({ text: 'HealthChecker' })),
      order: 'newest',
      pageSize: 2,
      pageToken: first.nextPageToken!,
    });
    expect(other.ok ? 'accepted' : other.error.kind).toBe('invalid');
  });
});

describe('what is read', () => {
  it('a job, a function (either resource type) and a service each read their own entries only', async () => {
    sandbox.state.logs.push(
      logged(JOB, 5, 'task 0 failed: OOM', { resourceType: 'cloud_run_job' }),
      logged(FN, 5, 'gen2 function line', { resourceType: 'cloud_run_revision' }),
      logged(JOB, 5, 'a service that happens to share no name', {
        resourceType: 'cloud_run_revision',
        source: 'other',
      }),
    );
    const job = await page(query({ source: { kind: 'job', name: JOB } }));
    expect(job.entries.map((e) => [e.source, e.text])).toEqual([[JOB, 'task 0 failed: OOM']]);
    const fn = await page(query({ source: { kind: 'function', name: FN } }));
    const fromScenario = sandbox.state.logs.filter((l) => l.source === FN).length;
    expect(fn.entries).toHaveLength(fromScenario);
    expect(fn.entries.some((e) => e.text === 'gen2 function line')).toBe(true);
    expect(fn.entries.some((e) => e.text.includes("ModuleNotFoundError: No module named 'shared'"))).toBe(
      true,
    );
  });

  it('one entry by its insertId, within its second', async () => {
    const [target] = (await page(query({ limit: 3 }))).entries.slice(2);
    const at = new Date(Math.floor(Date.parse(target!.timestamp) / 1000) * 1000);
    const r = await search.list({
      filter: entryFilter({ kind: 'service', name: PHASE3 }, { insertId: target!.insertId, at }),
      order: 'newest',
      pageSize: 1,
    });
    expect(r.ok && r.value.entries).toEqual([target]);
    const elsewhere = await search.list({
      filter: entryFilter(
        { kind: 'service', name: 'nba-phase4-precompute-processors' },
        { insertId: target!.insertId, at },
      ),
      order: 'newest',
      pageSize: 1,
    });
    expect(elsewhere.ok && elsewhere.value.entries).toEqual([]);
  });

  it.each([
    '"',
    '\\',
    '") OR severity>=DEFAULT OR ("',
    `") OR (resource.labels.service_name="nba-phase4-precompute-processors`,
    'a OR b',
    'severity>=DEFAULT',
    'line\nOR severity>=DEFAULT',
  ])('search text %j is searched for, and widens nothing', async (text) => {
    const oneLine = text.replace(/\n/g, ' ');
    sandbox.state.logs.push(
      logged(PHASE3, 3, `found: ${oneLine} here`, { severity: 'INFO' }),
      logged('nba-phase4-precompute-processors', 3, `other service: ${oneLine}`),
    );
    const before = receivedLogQueries(sandbox.state).length;
    const p = await page(query({ text }));
    expect(p.entries.map((e) => e.text)).toEqual([`found: ${oneLine} here`]);
    const sent = receivedLogQueries(sandbox.state).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.filter).not.toContain('\n');
  });

  it('the sandbox refuses escapes and characters the bot never writes, and page sizes Logging refuses', async () => {
    const list = async (body: Record<string, unknown>) =>
      (
        await fetch(`${sandbox.url}/v2/entries:list`, {
          method: 'POST',
          body: JSON.stringify({ resourceNames: [`projects/${config.project}`], ...body }),
        })
      ).status;
    expect(await list({ filter: '"a\\nb"' })).toBe(400);
    expect(await list({ filter: '"a\nb"' })).toBe(400);
    expect(await list({ filter: 'resource.labels.job_name:"x"' })).toBe(400);
    expect(await list({ filter: 'insertId>"x"' })).toBe(400);
    expect(await list({ filter: 'severity>=ERROR', pageSize: 1001 })).toBe(400);
    expect(await list({ filter: 'severity>=ERROR', pageToken: '5' })).toBe(400);
    expect(await list({ filter: '"a\\"b\\\\c" AND resource.labels.job_name="j"', pageSize: 1000 })).toBe(200);
  });
});
