/** The logs adapter on the real @google-cloud/logging client, against the sandbox's entries:list. */
import { createRequire } from 'node:module';
import type { Logging } from '@google-cloud/logging';
import { protobuf } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { parseLogFilter, receivedLogQueries } from '../../devstack/src/sandbox/logging.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { createLogsAdapter, errorsFilter, loggingClient } from '../../src/gcp/logging.js';
import { protoProblems } from '../helpers/proto-check.js';

const PHASE3 = 'nba-phase3-analytics-processors';
const PHASE4 = 'nba-phase4-precompute-processors';
const P6 = 'phase5-to-phase6-orchestrator';
const NOW = new Date('2026-01-21T15:00:00Z');
const MIN = 60_000;

const require = createRequire(import.meta.url);
const loggingProtos = protobuf.Root.fromJSON(
  require('@google-cloud/logging-api/build/protos/protos.json') as protobuf.INamespace,
);
loggingProtos.resolveAll();

let config: PipelineConfig;
let sandbox: Sandbox;
let logging: Logging;
let sources: string[];

const adapter = (over: { deadlineMs?: number; maxEntries?: number } = {}) =>
  createLogsAdapter({
    logging,
    project: config.project,
    signatures: config.crashSignatures,
    deadlineMs: over.deadlineMs ?? config.limits.callDeadlineMs,
    ...(over.maxEntries ? { maxEntries: over.maxEntries } : {}),
  });

async function errors(since: Date, names = sources, over: Parameters<typeof adapter>[0] = {}) {
  const r = await adapter(over).errorsSince(since, names);
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

const scenarioCount = (source: string, since = new Date(0)) =>
  sandbox.state.logs.filter((l) => l.source === source && l.severity === 'ERROR' && l.timestamp >= since)
    .length;

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20', now: () => NOW });
  logging = loggingClient(sandbox.url, config.project, true);
  sources = [...config.phases.map((p) => p.service), ...config.orchestrators.map((o) => o.name)];
});

afterAll(async () => {
  await sandbox?.close();
});

describe('jan20 scenario', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('groups the crash loops by source and signature with the scenario counts', async () => {
    const groups = await errors(new Date(NOW.getTime() - 60 * MIN));
    expect(groups.map((g) => [g.source, g.signature, g.count])).toEqual([
      [PHASE3, 'healthchecker', scenarioCount(PHASE3)],
      [PHASE4, 'healthchecker', scenarioCount(PHASE4)],
      [P6, 'module-not-found', scenarioCount(P6)],
    ]);
    expect(scenarioCount(PHASE3)).toBe(12);
    expect(scenarioCount(P6)).toBe(4);
    const p3 = groups[0]!;
    expect(p3.sample).toContain('HealthChecker.__init__()');
    expect(p3.firstSeen).toBe(new Date(NOW.getTime() - 24 * MIN).toISOString());
    expect(p3.lastSeen).toBe(new Date(NOW.getTime() - 2 * MIN).toISOString());
    expect(groups[2]!.sample).toBe("ModuleNotFoundError: No module named 'shared'");
  });

  it('asks for entries since the given time only', async () => {
    const since = new Date(NOW.getTime() - 9 * MIN);
    const groups = await errors(since);
    expect(Object.fromEntries(groups.map((g) => [g.source, g.count]))).toEqual({
      [PHASE3]: scenarioCount(PHASE3, since),
      [PHASE4]: scenarioCount(PHASE4, since),
      [P6]: scenarioCount(P6, since),
    });
    expect(groups.find((g) => g.source === PHASE3)?.count).toBe(4);
  });

  it('drops a source name with a quote instead of putting it in the filter', async () => {
    await sandbox.setScenario('jan20');
    const evil = `${PHASE4}") OR severity>=DEFAULT OR ("`;
    const groups = await errors(new Date(NOW.getTime() - 60 * MIN), [PHASE3, evil]);
    expect(groups.map((g) => g.source)).toEqual([PHASE3]);
    const sent = receivedLogQueries(sandbox.state);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.filter).not.toContain('DEFAULT');
    expect(sent[0]!.filter).toBe(errorsFilter(new Date(NOW.getTime() - 60 * MIN), [PHASE3]));
    expect(sent[0]).toMatchObject({
      resourceNames: [`projects/${config.project}`],
      orderBy: 'timestamp desc',
      pageSize: 1000,
    });
  });

  it('makes no call when no source name is valid', async () => {
    const before = sandbox.counts.logging;
    expect(await errors(new Date(0), ['Bad Name', '"x"', ''])).toEqual([]);
    expect(sandbox.counts.logging).toBe(before);
  });

  it('keeps entries without a signature in a group of their own, sampling the first line', async () => {
    await sandbox.setScenario('jan20');
    const long = `RuntimeError: ${'x'.repeat(400)}\n  File "main.py", line 3`;
    sandbox.state.logs.push(
      {
        timestamp: new Date(NOW.getTime() - MIN),
        severity: 'CRITICAL',
        resourceType: 'cloud_run_revision',
        source: PHASE3,
        text: long,
      },
      {
        timestamp: new Date(NOW.getTime() - MIN),
        severity: 'WARNING',
        resourceType: 'cloud_run_revision',
        source: PHASE3,
        text: 'slow',
      },
    );
    const groups = await errors(new Date(NOW.getTime() - 60 * MIN), [PHASE3]);
    const plain = groups.find((g) => g.signature === undefined);
    expect(plain).toMatchObject({ source: PHASE3, count: 1 });
    expect(plain!.sample.startsWith('RuntimeError: xxx')).toBe(true);
    expect(plain!.sample.length).toBeLessThanOrEqual(300);
    expect(plain!.sample).not.toContain('main.py');
    expect(groups.find((g) => g.signature === 'healthchecker')?.count).toBe(12);
  });

  it('reads one page only: counts are capped by maxEntries', async () => {
    await sandbox.setScenario('jan20');
    const before = sandbox.counts.logging;
    const groups = await errors(new Date(NOW.getTime() - 60 * MIN), sources, { maxEntries: 5 });
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(5);
    expect(sandbox.counts.logging - before).toBe(1);
  });
});

describe('healthy scenario', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('finds no errors', async () => {
    expect(await errors(new Date(NOW.getTime() - 60 * MIN))).toEqual([]);
  });
});

describe('sandbox entries:list', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  const list = async (body: Record<string, unknown>) => {
    const res = await fetch(`${sandbox.url}/v2/entries:list`, {
      method: 'POST',
      body: JSON.stringify({ resourceNames: [`projects/${config.project}`], ...body }),
    });
    return {
      status: res.status,
      json: (await res.json()) as { entries?: Record<string, unknown>[]; nextPageToken?: string },
    };
  };

  it('pages newest first with nextPageToken, in LogEntry shape', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await list({
        filter: `severity>=ERROR AND "HealthChecker"`,
        orderBy: 'timestamp desc',
        pageSize: 5,
        ...(token ? { pageToken: token } : {}),
      });
      expect(r.status).toBe(200);
      expect(protoProblems(loggingProtos, 'google.logging.v2.ListLogEntriesResponse', r.json)).toEqual([]);
      seen.push(...(r.json.entries ?? []).map((e) => String(e.timestamp)));
      token = r.json.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(24);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('refuses filters outside the supported subset', async () => {
    for (const filter of [
      'jsonPayload.message="x"',
      'severity>=ERROR AND',
      'NOT severity>=ERROR',
      'severity>=LOUD',
      'timestamp>="yesterday"',
      '(severity>=ERROR',
      'resource.labels.service_name:"nba"',
    ]) {
      const r = await list({ filter });
      expect(r.status, filter).toBe(400);
    }
  });

  it('parses OR, AND, parentheses and free text as Logging does', () => {
    const entry = {
      timestamp: new Date('2026-01-21T14:00:00Z'),
      severity: 'ERROR' as const,
      resourceType: 'cloud_function' as const,
      source: P6,
      text: 'ModuleNotFoundError: x',
    };
    expect(parseLogFilter(`resource.labels.function_name="${P6}" "modulenotfound"`)(entry)).toBe(true);
    expect(parseLogFilter(`resource.labels.service_name="${P6}" OR severity>=CRITICAL`)(entry)).toBe(false);
    expect(
      parseLogFilter('(severity=ERROR OR severity=INFO) AND timestamp<"2026-01-21T14:00:01Z"')(entry),
    ).toBe(true);
    expect(parseLogFilter('timestamp>"2026-01-21T14:00:00Z"')(entry)).toBe(false);
  });
});

describe('faults', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('reports unavailable while Logging answers 503, after retrying', async () => {
    sandbox.setFault('logging', { status: 503 });
    const before = sandbox.counts.logging;
    try {
      const r = await adapter({ deadlineMs: 3000 }).errorsSince(new Date(0), [PHASE3]);
      expect(r.ok ? 'value' : r.error.kind).toBe('unavailable');
      expect(sandbox.counts.logging - before).toBe(3);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('gets through a single 503 by retrying', async () => {
    sandbox.setFault('logging', { status: 503, times: 1 });
    try {
      const r = await adapter({ deadlineMs: 3000 }).errorsSince(new Date(NOW.getTime() - 60 * MIN), [PHASE3]);
      expect(r.ok && r.value[0]?.count).toBe(12);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('times out on a silent server', async () => {
    sandbox.setFault('logging', { hang: true });
    try {
      const started = Date.now();
      const r = await adapter({ deadlineMs: 300 }).errorsSince(new Date(0), [PHASE3]);
      expect(r.ok ? 'value' : r.error.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sandbox.clearFaults();
    }
  });
});
