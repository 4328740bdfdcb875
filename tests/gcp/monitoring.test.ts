/** The monitoring adapter on the real @google-cloud/monitoring client, against the sandbox's timeSeries.list. */
import { createRequire } from 'node:module';
import type { MetricServiceClient } from '@google-cloud/monitoring';
import { protobuf } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { REQUEST_COUNT, receivedMetricQueries, UNDELIVERED } from '../../devstack/src/sandbox/monitoring.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { createMonitoringAdapter, monitoringClient } from '../../src/gcp/monitoring.js';
import { protoProblems } from '../helpers/proto-check.js';

const PHASE2 = 'nba-phase2-raw-processors';
const PHASE3 = 'nba-phase3-analytics-processors';
const PHASE4 = 'nba-phase4-precompute-processors';
const NOW = new Date('2026-01-21T15:00:00Z');
const HOUR = 3_600_000;

const require = createRequire(import.meta.url);
const monitoringProtos = protobuf.Root.fromJSON(
  require('@google-cloud/monitoring/build/protos/protos.json') as protobuf.INamespace,
);
monitoringProtos.resolveAll();

let config: PipelineConfig;
let sandbox: Sandbox;
let client: MetricServiceClient;
let services: string[];

const adapter = (over: { deadlineMs?: number } = {}) =>
  createMonitoringAdapter({
    client,
    project: config.project,
    deadlineMs: over.deadlineMs ?? config.limits.callDeadlineMs,
    clock: { now: () => NOW },
  });

async function shares(since = new Date(NOW.getTime() - HOUR), names = services) {
  const r = await adapter().serverErrorShare(names, since);
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20', now: () => NOW });
  client = monitoringClient(sandbox.url, true);
  services = config.phases.map((p) => p.service);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

describe('jan20 scenario', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('gives the 5xx share of the crash-looping services in one call', async () => {
    const before = sandbox.counts.monitoring;
    const value = await shares();
    expect(sandbox.counts.monitoring - before).toBe(1);
    expect(value[PHASE3]).toBeCloseTo(190 / 480, 6);
    expect(value[PHASE4]).toBeCloseTo(190 / 480, 6);
    expect(value[PHASE2]).toBe(0);
    expect(Object.keys(value).sort()).toEqual([...services].sort());
  });

  it('answers null for a service with no traffic and leaves out invalid names', async () => {
    const value = await shares(new Date(NOW.getTime() - HOUR), [PHASE3, 'quiet-service', 'bad"name']);
    expect(value).toEqual({ [PHASE3]: expect.closeTo(190 / 480, 6), 'quiet-service': null });
    expect(receivedMetricQueries(sandbox.state).at(-1)?.filter).not.toContain('bad');
  });

  it('counts only points inside the window', async () => {
    await sandbox.setScenario('jan20');
    for (const c of sandbox.state.requestCounts) {
      if (c.service === PHASE3) c.at = new Date(NOW.getTime() - 2 * HOUR);
    }
    const value = await shares();
    expect(value[PHASE3]).toBeNull();
    expect(value[PHASE4]).toBeCloseTo(190 / 480, 6);
    await sandbox.setScenario('jan20');
  });

  it('sends a real Monitoring filter, the interval and the aggregation', async () => {
    await sandbox.setScenario('jan20');
    await shares();
    const [sent] = receivedMetricQueries(sandbox.state);
    expect(sent?.filter).toBe(
      `metric.type = "${REQUEST_COUNT}" AND resource.type = "cloud_run_revision" AND (${services
        .map((s) => `resource.labels.service_name = "${s}"`)
        .join(' OR ')})`,
    );
    expect(sent?.params).toMatchObject({
      'interval.startTime': new Date(NOW.getTime() - HOUR).toISOString(),
      'interval.endTime': NOW.toISOString(),
      'aggregation.alignmentPeriod': '3600s',
      'aggregation.perSeriesAligner': '14',
      'aggregation.crossSeriesReducer': '4',
      'aggregation.groupByFields': ['resource.labels.service_name', 'metric.labels.response_code_class'],
    });
  });

  it('reads the dead-letter backlog, latest point per subscription', async () => {
    const r = await adapter().deadLetterBacklog(config.deadLetterSubscriptions);
    expect(r).toEqual({
      ok: true,
      value: { [config.deadLetterSubscriptions[0]!]: 3, [config.deadLetterSubscriptions[1]!]: 0 },
    });
    expect(receivedMetricQueries(sandbox.state).at(-1)?.filter).toContain(`metric.type = "${UNDELIVERED}"`);
  });
});

describe('dead-letter trend', () => {
  it('gives a constant backlog as equal samples over the window (jan20)', async () => {
    sandbox.setScenario('jan20');
    const r = await adapter().deadLetterTrend(config.deadLetterSubscriptions, 30);
    if (!r.ok) throw new Error(r.error.message);
    const samples = r.value[config.deadLetterSubscriptions[0]!]!;
    // One sample a minute, both ends of the window included.
    expect(samples).toHaveLength(31);
    expect(new Set(samples.map((p) => p.value))).toEqual(new Set([3]));
    expect(samples[0]!.at < samples.at(-1)!.at).toBe(true);
    expect(samples.at(-1)!.at).toBe(NOW.toISOString());
  });

  it('gives a growing backlog oldest sample first (breakdown)', async () => {
    sandbox.setScenario('breakdown');
    const r = await adapter().deadLetterTrend(config.deadLetterSubscriptions, 30);
    if (!r.ok) throw new Error(r.error.message);
    const samples = r.value[config.deadLetterSubscriptions.at(-1)!]!;
    expect(samples[0]!.value).toBe(48 - 45);
    expect(samples.at(-1)!.value).toBe(48);
    expect(receivedMetricQueries(sandbox.state).at(-1)?.params).toMatchObject({
      'interval.startTime': new Date(NOW.getTime() - 30 * 60_000).toISOString(),
    });
  });

  it('times out on a silent server', async () => {
    sandbox.setFault('monitoring', { hang: true });
    try {
      const r = await adapter({ deadlineMs: 300 }).deadLetterTrend(config.deadLetterSubscriptions, 30);
      expect(r.ok ? 'value' : r.error.kind).toBe('timeout');
    } finally {
      sandbox.clearFaults();
    }
  });
});

describe('healthy scenario', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('gives a 0 share everywhere and an empty backlog', async () => {
    expect(await shares()).toEqual(Object.fromEntries(services.map((s) => [s, 0])));
    const r = await adapter().deadLetterBacklog(config.deadLetterSubscriptions);
    expect(r).toEqual({
      ok: true,
      value: Object.fromEntries(config.deadLetterSubscriptions.map((s) => [s, 0])),
    });
  });
});

describe('sandbox timeSeries.list', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  const list = async (params: Record<string, string | string[]>) => {
    const u = new URL(`${sandbox.url}/v3/projects/${config.project}/timeSeries`);
    u.searchParams.set('interval.startTime', new Date(NOW.getTime() - HOUR).toISOString());
    u.searchParams.set('interval.endTime', NOW.toISOString());
    for (const [k, v] of Object.entries(params)) {
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, item);
    }
    const res = await fetch(u);
    return { status: res.status, json: (await res.json()) as { timeSeries?: Record<string, unknown>[] } };
  };

  it('answers raw and aggregated series in TimeSeries shape', async () => {
    const raw = await list({
      filter: `metric.type = "${REQUEST_COUNT}" AND resource.labels.service_name = "${PHASE3}"`,
    });
    expect(raw.status).toBe(200);
    expect(protoProblems(monitoringProtos, 'google.monitoring.v3.ListTimeSeriesResponse', raw.json)).toEqual(
      [],
    );
    expect(raw.json.timeSeries).toHaveLength(2);
    expect(raw.json.timeSeries?.[0]).toMatchObject({
      resource: { type: 'cloud_run_revision', labels: { service_name: PHASE3 } },
      metricKind: 'DELTA',
      valueType: 'INT64',
    });
    const grouped = await list({
      filter: `metric.type = "${REQUEST_COUNT}" AND resource.labels.service_name = one_of("${PHASE3}", "${PHASE4}")`,
      'aggregation.alignmentPeriod': '3600s',
      'aggregation.perSeriesAligner': 'ALIGN_SUM',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
      'aggregation.groupByFields': ['metric.labels.response_code_class'],
    });
    expect(
      protoProblems(monitoringProtos, 'google.monitoring.v3.ListTimeSeriesResponse', grouped.json),
    ).toEqual([]);
    const byClass = Object.fromEntries(
      (grouped.json.timeSeries ?? []).map((s) => {
        const ts = s as {
          metric: { labels: Record<string, string> };
          points: { value: { int64Value: string } }[];
        };
        return [ts.metric.labels.response_code_class, ts.points[0]?.value.int64Value];
      }),
    );
    expect(byClass).toEqual({ '2xx': '580', '5xx': '380' });
    const dlq = await list({ filter: `metric.type = "${UNDELIVERED}"` });
    expect(protoProblems(monitoringProtos, 'google.monitoring.v3.ListTimeSeriesResponse', dlq.json)).toEqual(
      [],
    );
  });

  it('refuses what it does not understand', async () => {
    for (const params of [
      {},
      { filter: 'resource.type = "cloud_run_revision"' },
      { filter: `metric.type = "${REQUEST_COUNT}" AND resource.labels.service_name = starts_with("nba")` },
      { filter: `metric.type = "${REQUEST_COUNT}" AND` },
      { filter: 'metric.type = "compute.googleapis.com/instance/cpu/usage_time"' },
      { filter: `metric.type = "${REQUEST_COUNT}"`, 'aggregation.perSeriesAligner': 'ALIGN_SUM' },
      { filter: `metric.type = "${REQUEST_COUNT}"`, 'aggregation.crossSeriesReducer': 'REDUCE_SUM' },
    ]) {
      const r = await list(params as Record<string, string>);
      expect(r.status, JSON.stringify(params)).toBe(400);
    }
  });
});

describe('faults', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('reports unavailable while Monitoring answers 503', async () => {
    sandbox.setFault('monitoring', { status: 503 });
    try {
      const r = await adapter({ deadlineMs: 3000 }).serverErrorShare(
        services,
        new Date(NOW.getTime() - HOUR),
      );
      expect(r.ok ? 'value' : r.error.kind).toBe('unavailable');
    } finally {
      sandbox.clearFaults();
    }
  });

  it('times out on a silent server', async () => {
    sandbox.setFault('monitoring', { hang: true });
    try {
      const started = Date.now();
      const r = await adapter({ deadlineMs: 300 }).deadLetterBacklog(config.deadLetterSubscriptions);
      expect(r.ok ? 'value' : r.error.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sandbox.clearFaults();
    }
  });
});
