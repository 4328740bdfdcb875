/**
 * Cloud Monitoring: the share of 5xx responses per Cloud Run service (and 2nd-gen function, which
 * serves through Cloud Run) and the backlog of dead-letter subscriptions with its trend, each one
 * `timeSeries.list` call with the names in the filter.
 */
// The generated client itself, not the library's index: it would load protos.js too.
import type { protos } from '@google-cloud/monitoring';
import { MetricServiceClient } from '@google-cloud/monitoring/build/src/v3/metric_service_client.js';
import type { BacklogSample, Clock, MonitoringPort } from '../domain/ports.js';
import type { Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { attemptOptions } from './proto-values.js';

type TimeSeries = protos.google.monitoring.v3.ITimeSeries;

export interface MonitoringOptions {
  client: MetricServiceClient;
  project: string;
  deadlineMs: number;
  clock?: Clock;
}

const REQUEST_COUNT = 'run.googleapis.com/request_count';
const UNDELIVERED = 'pubsub.googleapis.com/subscription/num_undelivered_messages';
/** Pub/Sub samples the gauge every minute and publishes it a few minutes late. */
const BACKLOG_WINDOW_MS = 10 * 60_000;
/** Names that may appear in a filter; anything else is dropped. */
const resourceName = /^[a-z][-a-z0-9]*$/;

const timestamp = (d: Date) => ({
  seconds: Math.floor(d.getTime() / 1000),
  nanos: (d.getTime() % 1000) * 1e6,
});

/** `(label = "a" OR label = "b")`: plain Monitoring filter syntax for a set of names. */
function anyOf(label: string, names: string[]): string {
  return `(${names.map((n) => `${label} = "${n}"`).join(' OR ')})`;
}

function numberOf(value: { int64Value?: unknown; doubleValue?: unknown } | null | undefined): number {
  const raw = value?.int64Value ?? value?.doubleValue;
  const n = Number(raw === null || raw === undefined ? 0 : String(raw));
  return Number.isFinite(n) ? n : 0;
}

function endOf(point: {
  interval?: { endTime?: { seconds?: unknown; nanos?: unknown } | null } | null;
}): number {
  const t = point.interval?.endTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Number(t.nanos ?? 0) / 1e6 : 0;
}

export function createMonitoringAdapter(options: MonitoringOptions): MonitoringPort {
  const { client, project, deadlineMs } = options;
  const now = () => options.clock?.now() ?? new Date();
  const list = (filter: string, start: Date, end: Date, aggregation?: Record<string, unknown>) =>
    guarded({ deadlineMs }, async (signal) => {
      const [series] = await client.listTimeSeries(
        {
          name: `projects/${project}`,
          filter,
          interval: { startTime: timestamp(start), endTime: timestamp(end) },
          ...(aggregation ? { aggregation } : {}),
          view: 'FULL',
        },
        // No gax retries (90 s of them on 503) nor gax timer; `guarded`'s signal is the deadline (proto-values.ts).
        attemptOptions(signal),
      );
      return series;
    });

  return {
    async serverErrorShare(services: string[], since: Date): Promise<Probe<Record<string, number | null>>> {
      const valid = [...new Set(services.filter((s) => resourceName.test(s)))];
      if (valid.length === 0) return { ok: true, value: {} };
      const end = now();
      const start = since < end ? since : end;
      // One aligned period over the whole window, summed per service and response class.
      const seconds = Math.max(60, Math.ceil((end.getTime() - start.getTime()) / 1000));
      const probe = await list(
        `metric.type = "${REQUEST_COUNT}" AND resource.type = "cloud_run_revision" AND ${anyOf('resource.labels.service_name', valid)}`,
        start,
        end,
        {
          alignmentPeriod: { seconds },
          perSeriesAligner: 'ALIGN_SUM',
          crossSeriesReducer: 'REDUCE_SUM',
          groupByFields: ['resource.labels.service_name', 'metric.labels.response_code_class'],
        },
      );
      if (!probe.ok) return probe;
      const totals = new Map<string, { all: number; server: number }>();
      for (const s of probe.value as TimeSeries[]) {
        const service = s.resource?.labels?.service_name;
        if (!service) continue;
        const sum = (s.points ?? []).reduce((acc, p) => acc + numberOf(p.value), 0);
        const t = totals.get(service) ?? { all: 0, server: 0 };
        t.all += sum;
        if (s.metric?.labels?.response_code_class === '5xx') t.server += sum;
        totals.set(service, t);
      }
      const value: Record<string, number | null> = {};
      for (const service of valid) {
        const t = totals.get(service);
        value[service] = t && t.all > 0 ? t.server / t.all : null;
      }
      return { ok: true, value };
    },

    async deadLetterBacklog(subscriptions: string[]): Promise<Probe<Record<string, number>>> {
      const valid = [...new Set(subscriptions.filter((s) => resourceName.test(s)))];
      if (valid.length === 0) return { ok: true, value: {} };
      const end = now();
      const probe = await list(
        `metric.type = "${UNDELIVERED}" AND resource.type = "pubsub_subscription" AND ${anyOf('resource.labels.subscription_id', valid)}`,
        new Date(end.getTime() - BACKLOG_WINDOW_MS),
        end,
      );
      if (!probe.ok) return probe;
      // Latest point per subscription; a subscription with no data in the window is left out.
      const latest = new Map<string, { at: number; value: number }>();
      for (const s of probe.value as TimeSeries[]) {
        const sub = s.resource?.labels?.subscription_id;
        if (!sub) continue;
        for (const p of s.points ?? []) {
          const at = endOf(p);
          const seen = latest.get(sub);
          if (!seen || at > seen.at) latest.set(sub, { at, value: numberOf(p.value) });
        }
      }
      return { ok: true, value: Object.fromEntries([...latest].map(([sub, p]) => [sub, p.value])) };
    },

    async deadLetterTrend(subscriptions: string[], windowMinutes: number) {
      const valid = [...new Set(subscriptions.filter((s) => resourceName.test(s)))];
      if (valid.length === 0) return { ok: true, value: {} };
      const end = now();
      // The gauge is sampled every minute: the raw points of the window, oldest to newest.
      const probe = await list(
        `metric.type = "${UNDELIVERED}" AND resource.type = "pubsub_subscription" AND ${anyOf('resource.labels.subscription_id', valid)}`,
        new Date(end.getTime() - windowMinutes * 60_000),
        end,
      );
      if (!probe.ok) return probe;
      const points = new Map<string, { at: number; value: number }[]>();
      for (const s of probe.value as TimeSeries[]) {
        const sub = s.resource?.labels?.subscription_id;
        if (!sub) continue;
        const samples = points.get(sub) ?? [];
        for (const p of s.points ?? []) samples.push({ at: endOf(p), value: numberOf(p.value) });
        points.set(sub, samples);
      }
      const value: Record<string, BacklogSample[]> = {};
      for (const [sub, samples] of points) {
        if (samples.length === 0) continue;
        samples.sort((a, b) => a.at - b.at);
        value[sub] = samples.map((p) => ({ at: new Date(p.at).toISOString(), value: p.value }));
      }
      return { ok: true, value };
    },
  };
}

/**
 * A Monitoring client on the REST transport (the one `guarded` is written for), pointed at
 * `endpoint` (the sandbox) when given, else at Google.
 */
export function monitoringClient(endpoint: string | undefined, offline: boolean): MetricServiceClient {
  const options = endpoint
    ? { ...gaxEndpoint(endpoint, offline) }
    : { fallback: true as const, ...(offline ? { authClient: passThroughAuth() } : {}) };
  return new MetricServiceClient(options);
}
