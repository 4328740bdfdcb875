/**
 * The pipeline status report: gather every component concurrently through the ports, each
 * under its adapter's deadline and all under an overall one, then evaluate each into lines
 * with a health. A component that erred or did not answer marks only its own line.
 */
import type { DataCheck, PipelineConfig } from '../config.js';
import { links, type Where } from './links.js';
import type {
  CloudRunPort,
  DataChecksPort,
  ErrorGroup,
  FunctionState,
  FunctionsPort,
  IsoDate,
  LogsPort,
  MonitoringPort,
  RunHistoryPort,
  RunRecord,
  SchedulerJobState,
  SchedulerPort,
  ServiceState,
} from './ports.js';
import { type Failure, fail, type Probe } from './result.js';

export type Health = 'ok' | 'warn' | 'fail' | 'unknown';

export interface ReportLine {
  health: Health;
  /** Name of the thing (service, function, check…). */
  title: string;
  /** One line of mrkdwn-safe detail. */
  detail: string;
  link?: string;
}

export type SectionId = 'services' | 'orchestrators' | 'selfHeal' | 'data' | 'stuck' | 'errors' | 'dlq';

export interface ReportSection {
  id: SectionId;
  title: string;
  health: Health;
  lines: ReportLine[];
  /** Shown when there are no lines, e.g. "no stuck runs". */
  empty?: string;
}

export interface StatusReport {
  date: IsoDate;
  generatedAt: Date;
  project: string;
  verdict: Health;
  /** Problems in one line each, worst first: the first thing on-call reads. */
  problems: string[];
  sections: ReportSection[];
}

export interface StatusPorts {
  cloudRun: CloudRunPort;
  functions: FunctionsPort;
  scheduler: SchedulerPort;
  dataChecks: DataChecksPort;
  runHistory: RunHistoryPort;
  logs: LogsPort;
  monitoring: MonitoringPort;
}

/** Raw answers of one status gathering, before evaluation. */
export interface StatusFacts {
  services: Map<string, Probe<ServiceState>>;
  functions: Map<string, Probe<FunctionState>>;
  schedulerJob?: Probe<SchedulerJobState>;
  checks: Map<string, { actual: Probe<number>; expected?: Probe<number> }>;
  stuck: Probe<RunRecord[]>;
  errors: Probe<ErrorGroup[]>;
  serverErrors: Probe<Record<string, number | null>>;
  deadLetters: Probe<Record<string, number>>;
}

const rank: Record<Health, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };
export const worst = (hs: Health[]): Health => hs.reduce<Health>((a, b) => (rank[b] > rank[a] ? b : a), 'ok');

/** Settle `p` by `deadline` (epoch ms) or report a timeout: the overall bound of a report. */
function bounded<T>(p: Promise<Probe<T>>, deadline: number): Promise<Probe<T>> {
  const left = Math.max(0, deadline - Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Probe<T>>((resolve) => {
    timer = setTimeout(() => resolve(fail('timeout', 'no answer before the report deadline')), left);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function functionNames(config: PipelineConfig): string[] {
  return [...config.orchestrators.map((o) => o.name), ...(config.selfHeal ? [config.selfHeal.function] : [])];
}

/** Run every read the report needs, concurrently. Never rejects; resolves by the overall deadline. */
export async function gatherStatus(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<StatusFacts> {
  const deadline = Date.now() + config.limits.reportDeadlineMs;
  const b = <T>(p: Promise<Probe<T>>) => bounded(p, deadline);
  // Checks often share an expected query (the schedule, the roster): run each SQL once per report.
  const queries = new Map<string, Promise<Probe<number>>>();
  const dataChecks: DataChecksPort = {
    scalar(sql, d, label) {
      let q = queries.get(sql);
      if (!q) {
        q = ports.dataChecks.scalar(sql, d, label);
        queries.set(sql, q);
      }
      return q;
    },
  };
  const services = config.phases.map((p) => p.service);
  const fnNames = functionNames(config);
  const since = new Date(now.getTime() - config.limits.recentErrorsMinutes * 60_000);
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const stuckBefore = new Date(now.getTime() - config.runHistory.stuckAfterMinutes * 60_000);

  const serviceP = services.map(async (s) => [s, await b(ports.cloudRun.getService(s))] as const);
  const fnP = fnNames.map(async (f) => [f, await b(ports.functions.getFunction(f))] as const);
  const checkP = config.dataChecks.map(async (c) => [c.id, await runCheck(dataChecks, c, date, b)] as const);
  const [svc, fns, checks, job, stuck, errors, serverErrors, deadLetters] = await Promise.all([
    Promise.all(serviceP),
    Promise.all(fnP),
    Promise.all(checkP),
    config.selfHeal ? b(ports.scheduler.getJob(config.selfHeal.schedulerJob)) : Promise.resolve(undefined),
    b(ports.runHistory.stuckRuns(stuckBefore)),
    b(ports.logs.errorsSince(since, [...services, ...fnNames])),
    b(ports.monitoring.serverErrorShare(services, hourAgo)),
    config.deadLetterSubscriptions.length > 0
      ? b(ports.monitoring.deadLetterBacklog(config.deadLetterSubscriptions))
      : Promise.resolve({ ok: true as const, value: {} }),
  ]);
  return {
    services: new Map(svc),
    functions: new Map(fns),
    ...(job ? { schedulerJob: job } : {}),
    checks: new Map(checks),
    stuck,
    errors,
    serverErrors,
    deadLetters,
  };
}

/** One data check: its query and, when the expectation is a query, that one too, concurrently. */
export async function runCheck(
  port: DataChecksPort,
  check: DataCheck,
  date: IsoDate,
  b: <T>(p: Promise<Probe<T>>) => Promise<Probe<T>>,
): Promise<{ actual: Probe<number>; expected?: Probe<number> }> {
  const e = check.expect;
  const expectedSql = 'equalsQuery' in e ? e.equalsQuery : 'minQuery' in e ? e.minQuery : undefined;
  const [actual, expected] = await Promise.all([
    b(port.scalar(check.sql, date, check.id)),
    expectedSql ? b(port.scalar(expectedSql, date, `${check.id}_expected`)) : Promise.resolve(undefined),
  ]);
  return expected ? { actual, expected } : { actual };
}

/** "no answer" for a timeout, the failure's message otherwise. */
export function describeFailure(f: Failure): string {
  switch (f.kind) {
    case 'timeout':
      return `no answer (${f.message})`;
    case 'not_found':
      return 'not found';
    case 'denied':
      return `permission denied: ${f.message}`;
    case 'unavailable':
      return `API unavailable: ${f.message}`;
    default:
      return `error: ${f.message}`;
  }
}

/** `nba-phase3-analytics-processors-00092-zvl` → `00092-zvl`: the service name is already on the line. */
export function shortRevision(service: string, rev: string | undefined): string {
  if (!rev) return '—';
  return rev.startsWith(`${service}-`) ? rev.slice(service.length + 1) : rev;
}

export function evaluateService(
  name: string,
  p: Probe<ServiceState>,
  w: Where,
  fiveXx?: number | null,
): ReportLine {
  const link = links.service(w, name);
  if (!p.ok) return { health: 'unknown', title: name, detail: describeFailure(p.error), link };
  const s = p.value;
  const rev = (r: string | undefined) => shortRevision(name, r);
  const problems: string[] = [];
  let health: Health = 'ok';
  const stale = s.latestCreatedRevision && s.latestCreatedRevision !== s.latestReadyRevision;
  if (stale) {
    health = 'fail';
    problems.push(`latest revision ${rev(s.latestCreatedRevision)} is not ready`);
  }
  if (s.ready.state !== 'true') {
    health = 'fail';
    // The condition message repeats the revision name: keep the part after it.
    const why = s.ready.message?.replace(/^Revision '[^']+' is not ready and cannot serve traffic\.\s*/, '');
    problems.push(`${stale ? '' : 'not ready: '}${why || s.ready.reason || 'Ready is not true'}`);
  }
  const onLatest = s.servingShares.find((x) => x.revision === s.latestReadyRevision)?.percent ?? 0;
  if (onLatest < 100 && health === 'ok') health = 'warn';
  if (typeof fiveXx === 'number' && fiveXx >= 0.05) {
    health = 'fail';
    problems.push(`${Math.round(fiveXx * 100)}% 5xx in the last hour`);
  } else if (typeof fiveXx === 'number' && fiveXx > 0.01 && health === 'ok') {
    health = 'warn';
    problems.push(`${(fiveXx * 100).toFixed(1)}% 5xx in the last hour`);
  }
  const split = s.servingShares.map((x) => `${rev(x.revision)} ${x.percent}%`).join(', ');
  const detail = [
    `${rev(s.latestReadyRevision)} · ${onLatest}% traffic`,
    split && onLatest < 100 ? `(split: ${split})` : '',
  ]
    .concat(problems)
    .filter(Boolean)
    .join(' · ');
  return { health, title: name, detail, link };
}

export function evaluateFunction(
  name: string,
  p: Probe<FunctionState>,
  expectedTopic: string | undefined,
  w: Where,
): ReportLine {
  const link = links.function(w, name);
  if (!p.ok)
    return {
      health: p.error.kind === 'not_found' ? 'fail' : 'unknown',
      title: name,
      detail: describeFailure(p.error),
      link,
    };
  const f = p.value;
  const parts = [`${f.state} · ${shortRevision(name, f.revision)}`];
  let health: Health = f.state === 'ACTIVE' ? 'ok' : f.state === 'DEPLOYING' ? 'warn' : 'fail';
  if (expectedTopic && f.triggerTopic !== expectedTopic) {
    health = 'fail';
    parts.push(`trigger topic ${f.triggerTopic ?? 'none'}, expected ${expectedTopic}`);
  }
  const errors = f.stateMessages.filter((m) => m.severity === 'ERROR');
  if (errors.length > 0) {
    if (health === 'ok' || health === 'warn') health = f.state === 'ACTIVE' ? 'warn' : 'fail';
    parts.push(errors.map((m) => m.message).join('; '));
  }
  return { health, title: name, detail: parts.join(' · '), link };
}

function ago(iso: string | undefined, now: Date): string {
  if (!iso) return 'never';
  const min = Math.round((now.getTime() - Date.parse(iso)) / 60_000);
  if (min < 0) return `in ${formatMinutes(-min)}`;
  return `${formatMinutes(min)} ago`;
}

export function formatMinutes(min: number): string {
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

export function evaluateSelfHeal(p: Probe<SchedulerJobState>, now: Date, w: Where): ReportLine {
  const link = links.schedulerJob(w);
  if (!p.ok)
    return {
      health: p.error.kind === 'not_found' ? 'fail' : 'unknown',
      title: 'self-heal job',
      detail: describeFailure(p.error),
      link,
    };
  const j = p.value;
  const lastOk = !j.lastStatus || j.lastStatus.code === 0;
  const health: Health = j.state !== 'ENABLED' ? 'warn' : lastOk ? 'ok' : 'fail';
  const parts = [
    j.state,
    `\`${j.schedule ?? '?'}\` ${j.timeZone ?? ''}`.trim(),
    `last run ${ago(j.lastAttemptTime, now)}${lastOk ? '' : ` failed: ${j.lastStatus?.message || `code ${j.lastStatus?.code}`}`}`,
    `next ${j.nextRunTime ? ago(j.nextRunTime, now) : '—'}`,
  ];
  return { health, title: j.name, detail: parts.join(' · '), link };
}

export function evaluateCheck(
  check: DataCheck,
  r: { actual: Probe<number>; expected?: Probe<number> } | undefined,
  w: Where,
): ReportLine {
  const link = links.bigquery(w);
  const title = check.label;
  if (!r) return { health: 'unknown', title, detail: 'not run', link };
  if (!r.actual.ok) return { health: 'unknown', title, detail: describeFailure(r.actual.error), link };
  const actual = r.actual.value;
  const e = check.expect;
  let expected: number;
  let atLeast: boolean;
  if ('equals' in e) [expected, atLeast] = [e.equals, false];
  else if ('min' in e) [expected, atLeast] = [e.min, true];
  else {
    if (!r.expected?.ok) {
      return {
        health: 'unknown',
        title,
        detail: `${actual} (expected: ${r.expected && !r.expected.ok ? describeFailure(r.expected.error) : 'not run'})`,
        link,
      };
    }
    [expected, atLeast] = [r.expected.value, 'minQuery' in e];
  }
  const good = atLeast ? actual >= expected : actual === expected;
  return {
    health: good ? 'ok' : 'fail',
    title,
    detail: `${actual} of ${atLeast ? 'at least ' : ''}${expected}${good ? '' : ' expected'}`,
    link,
  };
}

/** Evaluate gathered facts into the report on-call reads. Pure. */
export function evaluateStatus(
  config: PipelineConfig,
  facts: StatusFacts,
  date: IsoDate,
  now: Date,
): StatusReport {
  const w: Where = { project: config.project, region: config.region };
  const shares = facts.serverErrors.ok ? facts.serverErrors.value : {};
  const services: ReportSection = {
    id: 'services',
    title: 'Cloud Run services',
    health: 'ok',
    lines: config.phases.map((p) => {
      const probe = facts.services.get(p.service) ?? fail('error', 'not gathered');
      return evaluateService(p.service, probe, w, shares[p.service]);
    }),
  };
  if (!facts.serverErrors.ok) {
    services.lines.push({
      health: 'unknown',
      title: '5xx share',
      detail: describeFailure(facts.serverErrors.error),
    });
  }
  const topics = new Map(config.orchestrators.map((o) => [o.name, o.topic]));
  const orchestrators: ReportSection = {
    id: 'orchestrators',
    title: 'Functions',
    health: 'ok',
    lines: functionNames(config).map((f) =>
      evaluateFunction(f, facts.functions.get(f) ?? fail('error', 'not gathered'), topics.get(f), w),
    ),
  };
  const sections: ReportSection[] = [services, orchestrators];
  if (facts.schedulerJob) {
    sections.push({
      id: 'selfHeal',
      title: 'Self-heal',
      health: 'ok',
      lines: [evaluateSelfHeal(facts.schedulerJob, now, w)],
    });
  }
  sections.push({
    id: 'data',
    title: `Data for ${date}`,
    health: 'ok',
    lines: config.dataChecks.map((c) => evaluateCheck(c, facts.checks.get(c.id), w)),
    empty: 'no data checks configured',
  });
  const rhLink = links.firestoreCollection(w, config.runHistory.collection);
  sections.push({
    id: 'stuck',
    title: `Stuck runs (running > ${formatMinutes(config.runHistory.stuckAfterMinutes)})`,
    health: 'ok',
    lines: facts.stuck.ok
      ? facts.stuck.value.map((r) => ({
          health: 'fail' as const,
          title: r.processor,
          detail: `${r.date} · started ${ago(r.startedAt, now)} · \`${r.id}\``,
          link: rhLink,
        }))
      : [
          {
            health: 'unknown',
            title: 'run_history',
            detail: describeFailure(facts.stuck.error),
            link: rhLink,
          },
        ],
    empty: 'no stuck runs',
  });
  sections.push({
    id: 'errors',
    title: `Errors, last ${formatMinutes(config.limits.recentErrorsMinutes)}`,
    health: 'ok',
    lines: facts.errors.ok
      ? [...facts.errors.value]
          .sort((a, b) => b.count - a.count)
          .map((g) => {
            const sig = config.crashSignatures.find((s) => s.id === g.signature);
            return {
              health: sig ? ('fail' as const) : ('warn' as const),
              title: `${g.source}${sig ? ` · ${sig.label}` : ''}`,
              detail: `${g.count}× · last ${ago(g.lastSeen, now)} · \`${g.sample.slice(0, 200)}\``,
              link: links.logs(w, g.source),
            };
          })
      : [
          {
            health: 'unknown',
            title: 'Cloud Logging',
            detail: describeFailure(facts.errors.error),
            link: links.logs(w),
          },
        ],
    empty: 'no errors',
  });
  if (config.deadLetterSubscriptions.length > 0) {
    sections.push({
      id: 'dlq',
      title: 'Dead-letter backlog',
      health: 'ok',
      lines: facts.deadLetters.ok
        ? config.deadLetterSubscriptions.map((s) => {
            const n = (facts.deadLetters.ok ? facts.deadLetters.value[s] : undefined) ?? 0;
            return {
              health: n > 0 ? ('warn' as const) : ('ok' as const),
              title: s,
              detail: `${n} undelivered`,
              link: links.subscription(w, s),
            };
          })
        : [
            {
              health: 'unknown',
              title: 'Cloud Monitoring',
              detail: describeFailure(facts.deadLetters.error),
            },
          ],
    });
  }
  for (const s of sections) s.health = worst(s.lines.map((l) => l.health));
  const problems = sections
    .flatMap((s) =>
      s.lines.filter((l) => l.health === 'fail' || l.health === 'unknown').map((l) => ({ s, l })),
    )
    .sort((a, b) => rank[b.l.health] - rank[a.l.health])
    .map(({ s, l }) => `${l.title}: ${l.health === 'unknown' ? l.detail : firstProblem(s.id, l)}`);
  return {
    date,
    generatedAt: now,
    project: config.project,
    verdict: worst(sections.map((s) => s.health)),
    problems,
    sections,
  };
}

function firstProblem(section: SectionId, l: ReportLine): string {
  if (section === 'stuck')
    return `stuck since ${l.detail.split(' · ')[1]?.replace('started ', '') ?? ''}`.trim();
  const parts = l.detail.split(' · ');
  return parts.length > 1 ? parts.slice(1).join(' · ') : l.detail;
}

/** The status report for `date`: gather then evaluate. */
export async function buildStatusReport(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<StatusReport> {
  const facts = await gatherStatus(ports, config, date, now);
  return evaluateStatus(config, facts, date, now);
}
