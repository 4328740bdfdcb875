/**
 * Cloud Monitoring v3 for the sandbox: `timeSeries.list` for Cloud Run's request count
 * (from `state.requestCounts`) and Pub/Sub's undelivered messages (from `state.deadLetters`).
 * Filters, intervals and aggregation are parsed as the REST client sends them
 * (`interval.startTime=…&aggregation.perSeriesAligner=14`, enums as numbers); anything
 * outside the supported subset is refused with a 400.
 */
import type { RouteModule, SandboxContext } from './server.js';
import { googleError } from './server.js';
import type { SandboxState } from './state.js';

export const REQUEST_COUNT = 'run.googleapis.com/request_count';
export const UNDELIVERED = 'pubsub.googleapis.com/subscription/num_undelivered_messages';

/** One `timeSeries.list` request as received (query parameters as sent). */
export interface ReceivedMetricQuery {
  filter: string;
  params: Record<string, string | string[]>;
}

const received = new WeakMap<SandboxState, ReceivedMetricQuery[]>();

/** `timeSeries.list` requests received since `state` was built. */
export function receivedMetricQueries(state: SandboxState): ReceivedMetricQuery[] {
  let list = received.get(state);
  if (!list) {
    list = [];
    received.set(state, list);
  }
  return list;
}

class BadRequest extends Error {}

// ---------------------------------------------------------------------------------------------
// Filter: `field = "v"`, `field != "v"`, `field = one_of("a", "b")`, AND, OR, parentheses.

interface Series {
  metric: { type: string; labels: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
  metricKind: 'DELTA' | 'GAUGE';
  valueType: 'INT64';
  points: { start: number; end: number; value: number }[];
}

type Node =
  | { kind: 'and' | 'or'; parts: Node[] }
  | { kind: 'cmp'; field: string; op: '=' | '!='; values: string[] };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|!=|=|\(|\)|,|[A-Za-z_][\w.]*)/y;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m)
      throw new BadRequest(`invalid filter: unexpected text at column ${i + 1}: ${text.slice(i, i + 20)}`);
    tokens.push(m[1]!);
    i = re.lastIndex;
  }
  return tokens;
}

const unquote = (t: string | undefined): string => {
  if (!t?.startsWith('"'))
    throw new BadRequest(`invalid filter: expected a quoted string, got ${t ?? 'the end'}`);
  return t.slice(1, -1).replace(/\\(.)/g, '$1');
};

export function parseMetricFilter(text: string): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const parseOr = (): Node => {
    const parts = [parseAnd()];
    while (tokens[pos] === 'OR') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
  };
  const parseAnd = (): Node => {
    const parts = [parseTerm()];
    while (tokens[pos] === 'AND') {
      pos++;
      parts.push(parseTerm());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts };
  };
  const parseTerm = (): Node => {
    const t = tokens[pos++];
    if (t === '(') {
      const inner = parseOr();
      if (tokens[pos++] !== ')') throw new BadRequest('invalid filter: missing )');
      return inner;
    }
    if (!t || !/^(metric\.type|resource\.type|project|(metric|resource)\.labels?\.\w+)$/.test(t)) {
      throw new BadRequest(`invalid filter: unsupported selector ${t ?? '(end)'}`);
    }
    const field = t.replace(/^(metric|resource)\.label\./, '$1.labels.');
    const op = tokens[pos++];
    if (op !== '=' && op !== '!=') throw new BadRequest(`invalid filter: expected = or != after ${t}`);
    if (tokens[pos] === 'one_of') {
      pos++;
      if (tokens[pos++] !== '(') throw new BadRequest('invalid filter: expected ( after one_of');
      const values = [unquote(tokens[pos++])];
      while (tokens[pos] === ',') {
        pos++;
        values.push(unquote(tokens[pos++]));
      }
      if (tokens[pos++] !== ')') throw new BadRequest('invalid filter: missing ) after one_of');
      return { kind: 'cmp', field, op, values };
    }
    return { kind: 'cmp', field, op, values: [unquote(tokens[pos++])] };
  };
  const node = parseOr();
  if (pos < tokens.length) throw new BadRequest(`invalid filter: unexpected ${tokens[pos]}`);
  return node;
}

function fieldOf(s: Series, field: string, project: string): string | undefined {
  if (field === 'metric.type') return s.metric.type;
  if (field === 'resource.type') return s.resource.type;
  if (field === 'project') return project;
  const [scope, , key] = field.split('.') as [string, string, string];
  return (scope === 'metric' ? s.metric.labels : s.resource.labels)[key];
}

function matches(node: Node, s: Series, project: string): boolean {
  if (node.kind === 'and') return node.parts.every((p) => matches(p, s, project));
  if (node.kind === 'or') return node.parts.some((p) => matches(p, s, project));
  if (node.kind !== 'cmp') return false;
  const value = fieldOf(s, node.field, project);
  const hit = value !== undefined && node.values.includes(value);
  return node.op === '=' ? hit : !hit;
}

/** The one metric type the filter selects: a top-level `metric.type = "…"`, as the API requires. */
function metricTypeOf(node: Node): string {
  const top = node.kind === 'and' ? node.parts : [node];
  const types = top.filter((n) => n.kind === 'cmp' && n.field === 'metric.type' && n.op === '=');
  const first = types[0];
  if (types.length !== 1 || first?.kind !== 'cmp' || first.values.length !== 1) {
    throw new BadRequest('the filter must select exactly one metric type with metric.type = "…"');
  }
  return first.values[0]!;
}

// ---------------------------------------------------------------------------------------------
// Data and aggregation.

const MINUTE = 60_000;
const codeOfClass: Record<string, string> = { '2xx': '200', '4xx': '404', '5xx': '503' };

function seriesOf(state: SandboxState, type: string, end: number): Series[] {
  if (type === REQUEST_COUNT) {
    // Cloud Run writes no point for a response class with no requests.
    return state.requestCounts
      .filter((c) => c.count > 0)
      .map((c) => ({
        metric: {
          type,
          labels: {
            response_code_class: c.responseCodeClass,
            response_code: codeOfClass[c.responseCodeClass] ?? '',
          },
        },
        resource: {
          type: 'cloud_run_revision',
          labels: {
            project_id: state.project,
            service_name: c.service,
            revision_name: state.services.get(c.service)?.latestReadyRevision ?? '',
            location: state.region,
            configuration_name: c.service,
          },
        },
        metricKind: 'DELTA',
        valueType: 'INT64',
        points: [{ start: c.at.getTime() - MINUTE, end: c.at.getTime(), value: c.count }],
      }));
  }
  if (type === UNDELIVERED) {
    // A gauge sampled every 60 s (cloud.google.com/monitoring/api/metrics_gcp#gcp-pubsub): one
    // point a minute for the last hour, the current value at the end of the interval; a backlog
    // growing by `deadLetterGrowth` messages a minute was that much lower each minute before.
    return [...state.deadLetters].map(([subscription, count]) => {
      const rate = state.deadLetterGrowth?.get(subscription) ?? 0;
      const points = Array.from({ length: 60 }, (_, i) => {
        const at = end - i * MINUTE;
        return { start: at, end: at, value: Math.max(0, Math.round(count - rate * i)) };
      });
      return {
        metric: { type, labels: {} },
        resource: {
          type: 'pubsub_subscription',
          labels: { project_id: state.project, subscription_id: subscription },
        },
        metricKind: 'GAUGE' as const,
        valueType: 'INT64' as const,
        points,
      };
    });
  }
  throw new BadRequest(
    `the sandbox serves only the metric types ${REQUEST_COUNT} and ${UNDELIVERED}, not ${type}`,
  );
}

const aligners: Record<string, number> = {
  ALIGN_NONE: 0,
  ALIGN_DELTA: 1,
  ALIGN_NEXT_OLDER: 4,
  ALIGN_MIN: 10,
  ALIGN_MAX: 11,
  ALIGN_MEAN: 12,
  ALIGN_SUM: 14,
};
const reducers: Record<string, number> = {
  REDUCE_NONE: 0,
  REDUCE_MEAN: 1,
  REDUCE_MIN: 2,
  REDUCE_MAX: 3,
  REDUCE_SUM: 4,
};

/** An enum from the query string: the REST client sends numbers, people send names. */
function enumParam(value: string | null, names: Record<string, number>, what: string): number {
  if (value === null || value === '') return 0;
  const n = /^\d+$/.test(value) ? Number(value) : names[value];
  if (n === undefined || !Object.values(names).includes(n)) {
    throw new BadRequest(`${what} ${value} is not supported by the sandbox`);
  }
  return n;
}

function combine(values: number[], how: number, kind: 'align' | 'reduce'): number {
  const sum = values.reduce((a, b) => a + b, 0);
  if (kind === 'align') {
    if (how === aligners.ALIGN_MIN) return Math.min(...values);
    if (how === aligners.ALIGN_MAX) return Math.max(...values);
    if (how === aligners.ALIGN_MEAN) return sum / values.length;
    if (how === aligners.ALIGN_NEXT_OLDER) return values[values.length - 1]!;
    return sum;
  }
  if (how === reducers.REDUCE_MIN) return Math.min(...values);
  if (how === reducers.REDUCE_MAX) return Math.max(...values);
  if (how === reducers.REDUCE_MEAN) return sum / values.length;
  return sum;
}

function parseTime(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(value))
    throw new BadRequest(`${name} must be an RFC 3339 time`);
  return t;
}

function listTimeSeries(state: SandboxState, q: URLSearchParams) {
  const filter = q.get('filter');
  if (!filter) throw new BadRequest('filter is required');
  const end = parseTime(q.get('interval.endTime'), 'interval.endTime');
  if (end === undefined) throw new BadRequest('interval.endTime is required');
  const start = parseTime(q.get('interval.startTime'), 'interval.startTime') ?? end;
  if (start > end) throw new BadRequest('interval.startTime must not be after interval.endTime');
  const node = parseMetricFilter(filter);
  const type = metricTypeOf(node);

  const aligner = enumParam(q.get('aggregation.perSeriesAligner'), aligners, 'aggregation.perSeriesAligner');
  const reducer = enumParam(
    q.get('aggregation.crossSeriesReducer'),
    reducers,
    'aggregation.crossSeriesReducer',
  );
  const periodText = q.get('aggregation.alignmentPeriod');
  const period = periodText
    ? Number(/^(\d+(?:\.\d+)?)s$/.exec(periodText)?.[1] ?? Number.NaN) * 1000
    : undefined;
  if (period !== undefined && !(period > 0))
    throw new BadRequest(`invalid aggregation.alignmentPeriod ${periodText}`);
  if (aligner !== 0 && period === undefined)
    throw new BadRequest('the alignment period must be given with an aligner');
  if (reducer !== 0 && aligner === 0)
    throw new BadRequest('a cross-series reducer needs a per-series aligner');
  const groupBy = q
    .getAll('aggregation.groupByFields')
    .map((f) => f.replace(/^(metric|resource)\.label\./, '$1.labels.'));
  for (const f of groupBy) {
    if (!/^(metric|resource)\.labels\.\w+$/.test(f) && f !== 'resource.type') {
      throw new BadRequest(`unsupported aggregation.groupByFields ${f}`);
    }
  }
  for (const key of q.keys()) {
    if (key.startsWith('secondaryAggregation.'))
      throw new BadRequest('secondaryAggregation is not supported by the sandbox');
  }

  let series = seriesOf(state, type, end)
    .filter((s) => matches(node, s, state.project))
    .map((s) => ({ ...s, points: s.points.filter((p) => p.end >= start && p.end <= end) }))
    .filter((s) => s.points.length > 0);

  // Per-series alignment: periods ending at interval.endTime, one point per period with data.
  let buckets = (s: Series) =>
    s.points.map((p, i) => ({ key: i, start: p.start, end: p.end, values: [p.value] }));
  if (aligner !== 0 && period !== undefined) {
    buckets = (s) => {
      const by = new Map<number, number[]>();
      for (const p of [...s.points].sort((a, b) => b.end - a.end)) {
        const k = Math.floor((end - p.end) / period);
        by.set(k, [...(by.get(k) ?? []), p.value]);
      }
      return [...by].map(([k, values]) => ({
        key: k,
        start: end - (k + 1) * period,
        end: end - k * period,
        values,
      }));
    };
  }
  let aligned = series.map((s) => ({
    ...s,
    points: buckets(s).map((b) => ({ ...b, value: combine(b.values.reverse(), aligner, 'align') })),
  }));

  if (reducer !== 0) {
    const groups = new Map<string, typeof aligned>();
    for (const s of aligned) {
      const key = JSON.stringify(groupBy.map((f) => fieldOf(s, f, state.project) ?? ''));
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    aligned = [...groups.values()].map((members) => {
      const first = members[0]!;
      const pick = (scope: 'metric' | 'resource') =>
        Object.fromEntries(
          groupBy
            .filter((f) => f.startsWith(`${scope}.labels.`))
            .map((f) => [f.split('.')[2]!, fieldOf(first, f, state.project) ?? '']),
        );
      const byKey = new Map<number, { start: number; end: number; values: number[] }>();
      for (const m of members) {
        for (const p of m.points) {
          const b = byKey.get(p.key) ?? { start: p.start, end: p.end, values: [] };
          b.values.push(p.value);
          byKey.set(p.key, b);
        }
      }
      return {
        ...first,
        metric: { type: first.metric.type, labels: pick('metric') },
        resource: { type: first.resource.type, labels: pick('resource') },
        points: [...byKey].map(([key, b]) => ({ key, ...b, value: combine(b.values, reducer, 'reduce') })),
      };
    });
  }
  series = aligned;

  const mean = aligner === aligners.ALIGN_MEAN || reducer === reducers.REDUCE_MEAN;
  const headersOnly = q.get('view') === '1' || q.get('view') === 'HEADERS';
  return series.map((s) => ({
    metric: s.metric,
    resource: s.resource,
    metricKind: s.metricKind,
    valueType: mean ? 'DOUBLE' : s.valueType,
    ...(headersOnly
      ? {}
      : {
          points: [...s.points]
            .sort((a, b) => b.end - a.end)
            .map((p) => ({
              interval: {
                startTime: new Date(p.start).toISOString(),
                endTime: new Date(p.end).toISOString(),
              },
              value: mean ? { doubleValue: p.value } : { int64Value: String(Math.round(p.value)) },
            })),
        }),
  }));
}

export const monitoringRoutes: RouteModule = (ctx: SandboxContext) => [
  {
    api: 'monitoring',
    method: 'GET',
    pattern: /^\/v3\/projects\/([^/]+)\/timeSeries$/,
    handle(req, m) {
      const state = ctx.state;
      const params: Record<string, string | string[]> = {};
      for (const key of new Set(req.query.keys())) {
        const all = req.query.getAll(key);
        params[key] = all.length === 1 ? all[0]! : all;
      }
      receivedMetricQueries(state).push({ filter: req.query.get('filter') ?? '', params });
      if (decodeURIComponent(m[1]!) !== state.project) {
        return googleError(403, `the caller does not have permission to read metrics of project ${m[1]}`);
      }
      let series: ReturnType<typeof listTimeSeries>;
      try {
        series = listTimeSeries(state, req.query);
      } catch (error) {
        if (error instanceof BadRequest) return googleError(400, error.message);
        throw error;
      }
      const size = Number(req.query.get('pageSize') ?? 0) || 100_000;
      const startAt = Number(req.query.get('pageToken') || 0);
      if (!Number.isInteger(startAt) || startAt < 0) return googleError(400, 'invalid page token');
      const page = series.slice(startAt, startAt + size);
      const next = startAt + page.length;
      return {
        body: {
          ...(page.length > 0 ? { timeSeries: page } : {}),
          ...(next < series.length ? { nextPageToken: String(next) } : {}),
        },
      };
    },
  },
];
