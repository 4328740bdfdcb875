/**
 * Gathering: every read the report needs, concurrently, each under its adapter's deadline and
 * all under the report's own (one timer). Never rejects; what did not answer by the deadline
 * is a `timeout` failure that marks only its own line.
 */
import type { DataCheck, PipelineConfig } from '../../config.js';
import { componentsOf } from '../components.js';
import type {
  BacklogSample,
  CloudRunPort,
  DataChecksPort,
  ErrorGroup,
  ExecutionState,
  FunctionState,
  FunctionsPort,
  IsoDate,
  JobsReadPort,
  LogsPort,
  MonitoringPort,
  RunHistoryPort,
  RunRecord,
  SchedulerJobState,
  SchedulerPort,
  ServiceState,
  TableInfo,
  TablesPort,
} from '../ports.js';
import { type Bound, underReportDeadline } from '../report-deadline.js';
import { ok, type Probe } from '../result.js';
import type { CheckResult } from './evaluate-check.js';

export interface StatusPorts {
  cloudRun: CloudRunPort;
  functions: FunctionsPort;
  scheduler: SchedulerPort;
  dataChecks: DataChecksPort;
  runHistory: RunHistoryPort;
  logs: LogsPort;
  monitoring: MonitoringPort;
  jobs: JobsReadPort;
  tables: TablesPort;
}

/** Raw answers of one status gathering, before evaluation. */
export interface StatusFacts {
  services: Map<string, Probe<ServiceState>>;
  functions: Map<string, Probe<FunctionState>>;
  jobs: Map<string, Probe<ExecutionState[]>>;
  schedulerJobs: Map<string, Probe<SchedulerJobState>>;
  tables: Map<string, Probe<TableInfo>>;
  checks: Map<string, CheckResult>;
  stuck: Probe<RunRecord[]>;
  /** run_history documents of the date (for failed runs). */
  runs: Probe<RunRecord[]>;
  errors: Probe<ErrorGroup[]>;
  serverErrors: Probe<Record<string, number | null>>;
  deadLetters: Probe<Record<string, BacklogSample[]>>;
}

/** Service and function names, in the order of the YAML. */
export function functionNames(config: Pick<PipelineConfig, 'components'>): string[] {
  return componentsOf(config, 'function').map((f) => f.name);
}

export function serviceNames(config: Pick<PipelineConfig, 'components'>): string[] {
  return componentsOf(config, 'service').map((s) => s.name);
}

/** One data check: its query and, when the expectation is a query, that one too, concurrently. */
export async function runCheck(
  port: DataChecksPort,
  check: DataCheck,
  date: IsoDate,
  b: Bound,
): Promise<CheckResult> {
  const e = check.expect;
  const expectedSql = 'equalsQuery' in e ? e.equalsQuery : 'minQuery' in e ? e.minQuery : undefined;
  const [actual, expected] = await Promise.all([
    b(port.scalar(check.sql, date, check.id)),
    expectedSql ? b(port.scalar(expectedSql, date, `${check.id}_expected`)) : Promise.resolve(undefined),
  ]);
  return expected ? { actual, expected } : { actual };
}

/** Checks often share an expected query (the schedule, the roster): each SQL runs once per report. */
export function onceEachQuery(port: DataChecksPort): DataChecksPort {
  const queries = new Map<string, Promise<Probe<number>>>();
  return {
    scalar(sql, d, label) {
      let q = queries.get(sql);
      if (!q) {
        q = port.scalar(sql, d, label);
        queries.set(sql, q);
      }
      return q;
    },
  };
}

const byName = async <T>(names: string[], read: (name: string) => Promise<Probe<T>>) =>
  new Map(await Promise.all(names.map(async (n) => [n, await read(n)] as const)));

/** Run every read the report needs, concurrently. Never rejects; resolves by the report deadline. */
export async function gatherStatus(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<StatusFacts> {
  return underReportDeadline(config.limits.reportDeadlineMs, (b) => readAll(ports, config, date, now, b));
}

async function readAll(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
  b: Bound,
): Promise<StatusFacts> {
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  const services = serviceNames(config);
  const fns = functionNames(config);
  const dataChecks = onceEachQuery(ports.dataChecks);
  const dlqs = componentsOf(config, 'deadLetter');
  // One Monitoring read for every subscription, over the longest window any of them asks for.
  const window = Math.max(0, ...dlqs.map((d) => d.growing.windowMinutes));
  const [svc, fn, jobs, sched, tables, checks, stuck, runs, errors, serverErrors, deadLetters] =
    await Promise.all([
      byName(services, (s) => b(ports.cloudRun.getService(s))),
      byName(fns, (f) => b(ports.functions.getFunction(f))),
      byName(
        componentsOf(config, 'job').map((j) => j.name),
        (j) => b(ports.jobs.listExecutions(j, 1)),
      ),
      byName(
        componentsOf(config, 'schedulerJob').map((j) => j.name),
        (j) => b(ports.scheduler.getJob(j)),
      ),
      byName(
        componentsOf(config, 'table').map((t) => t.name),
        (t) => b(ports.tables.getTable(t)),
      ),
      Promise.all(
        config.dataChecks.map(async (c) => [c.id, await runCheck(dataChecks, c, date, b)] as const),
      ).then((entries) => new Map(entries)),
      b(ports.runHistory.stuckRuns(minutesAgo(config.runHistory.stuckAfterMinutes))),
      b(ports.runHistory.runsForDate(date)),
      b(ports.logs.errorsSince(minutesAgo(config.limits.recentErrorsMinutes), [...services, ...fns])),
      b(ports.monitoring.serverErrorShare([...services, ...fns], minutesAgo(60))),
      dlqs.length > 0
        ? b(
            ports.monitoring.deadLetterTrend(
              dlqs.map((d) => d.name),
              window,
            ),
          )
        : Promise.resolve(ok({})),
    ]);
  return {
    services: svc,
    functions: fn,
    jobs,
    schedulerJobs: sched,
    tables,
    checks,
    stuck,
    runs,
    errors,
    serverErrors,
    deadLetters,
  };
}
