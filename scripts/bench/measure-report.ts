/**
 * (b) Report time with 200 ms added to every Google call: the bot's report (command → report in
 * Slack), beside the same calls made one after another and beside the longest chain of calls
 * that depend on each other. The two references are timed in the bench's own process on the
 * same adapters (buildGooglePorts) against the same sandbox and Firestore emulator.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildGooglePorts } from '../../src/app.js';
import { componentsOf, type PipelineConfig } from '../../src/config.js';
import type { IsoDate, TriggerPort } from '../../src/domain/ports.js';
import { fail, type Probe } from '../../src/domain/result.js';
import { functionNames, type StatusPorts, serviceNames } from '../../src/domain/status.js';
import { createRunHistoryAdapter, firestoreClient } from '../../src/gcp/run-history.js';
import { LATENCY_MS, ms, progress, REPORT_DATE, REPORT_REPEATS, until } from './common.js';
import { type Bot, burst, type Cleanup, type Rig } from './rig.js';
import type { CountedPort } from './stand-ins.js';

export type PortName = keyof StatusPorts;
export const PORT_NAMES: PortName[] = [
  'cloudRun',
  'functions',
  'scheduler',
  'dataChecks',
  'runHistory',
  'logs',
  'monitoring',
  'jobs',
  'tables',
];
const APIS = ['cloudRun', 'functions', 'scheduler', 'logging', 'monitoring', 'bigquery'] as const;

/** The status ports as the bot builds them, in this process, with latency before run_history's calls. */
export function benchPorts(
  rig: Rig,
  cleanups: Cleanup[],
): { ports: StatusPorts; runHistoryLatency: { ms: number } } {
  process.env.FIRESTORE_EMULATOR_HOST = rig.emulatorHost;
  const db = firestoreClient(rig.config.project, true);
  cleanups.unshift(() => db.terminate());
  const adapter = createRunHistoryAdapter({
    db,
    config: rig.config.runHistory,
    deadlineMs: rig.config.limits.callDeadlineMs,
  });
  const runHistoryLatency = { ms: 0 };
  // The sandbox delays the other APIs; run_history is Firestore, delayed here by the same amount.
  const runHistory = new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (runHistoryLatency.ms > 0) await sleep(runHistoryLatency.ms);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  // The bench only reads: phase triggers (and the Pub/Sub client they need) are never called.
  const triggers: TriggerPort = { trigger: async () => fail('invalid', 'the bench triggers nothing') };
  return { ports: buildGooglePorts(rig.config, true, { runHistory, triggers }), runHistoryLatency };
}

interface ReportCall {
  label: string;
  port: PortName;
  run: () => Promise<Probe<unknown>>;
}

/** The reads a report makes, as src/domain/status/gather.ts makes them, each as a thunk. */
export function reportCalls(ports: StatusPorts, config: PipelineConfig, date: IsoDate): ReportCall[] {
  const now = new Date();
  const services = serviceNames(config);
  const fns = functionNames(config);
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  const calls: ReportCall[] = [
    ...services.map((s) => ({
      label: `cloudRun.getService ${s}`,
      port: 'cloudRun' as const,
      run: () => ports.cloudRun.getService(s),
    })),
    ...fns.map((f) => ({
      label: `functions.getFunction ${f}`,
      port: 'functions' as const,
      run: () => ports.functions.getFunction(f),
    })),
    ...componentsOf(config, 'schedulerJob').map(({ name }) => ({
      label: `scheduler.getJob ${name}`,
      port: 'scheduler' as const,
      run: () => ports.scheduler.getJob(name),
    })),
    ...componentsOf(config, 'job').map(({ name }) => ({
      label: `jobs.listExecutions ${name}`,
      port: 'jobs' as const,
      run: () => ports.jobs.listExecutions(name, 1),
    })),
    ...componentsOf(config, 'table').map(({ name }) => ({
      label: `tables.getTable ${name}`,
      port: 'tables' as const,
      run: () => ports.tables.getTable(name),
    })),
  ];
  for (const sql of distinctQueries(config)) {
    const id = config.dataChecks.find((c) => c.sql === sql)?.id ?? 'expected';
    calls.push({
      label: `dataChecks.scalar ${id}`,
      port: 'dataChecks',
      run: () => ports.dataChecks.scalar(sql, date, id),
    });
  }
  const dlqs = componentsOf(config, 'deadLetter');
  const window = Math.max(0, ...dlqs.map((d) => d.growing.windowMinutes));
  calls.push(
    {
      label: 'runHistory.stuckRuns',
      port: 'runHistory',
      run: () => ports.runHistory.stuckRuns(minutesAgo(config.runHistory.stuckAfterMinutes)),
    },
    { label: 'runHistory.runsForDate', port: 'runHistory', run: () => ports.runHistory.runsForDate(date) },
    {
      label: 'logs.errorsSince',
      port: 'logs',
      run: () => ports.logs.errorsSince(minutesAgo(config.limits.recentErrorsMinutes), [...services, ...fns]),
    },
    {
      label: 'monitoring.serverErrorShare',
      port: 'monitoring',
      run: () => ports.monitoring.serverErrorShare([...services, ...fns], minutesAgo(60)),
    },
  );
  if (dlqs.length > 0) {
    calls.push({
      label: 'monitoring.deadLetterTrend',
      port: 'monitoring',
      run: () =>
        ports.monitoring.deadLetterTrend(
          dlqs.map((d) => d.name),
          window,
        ),
    });
  }
  return calls;
}

/** Every SQL text a report runs, once each (checks share expected queries). */
export function distinctQueries(config: PipelineConfig): string[] {
  return [
    ...new Set(
      config.dataChecks.flatMap((c) => {
        const e = c.expect;
        return [c.sql, ...('equalsQuery' in e ? [e.equalsQuery] : 'minQuery' in e ? [e.minQuery] : [])];
      }),
    ),
  ];
}

export interface TimedCall {
  label: string;
  port: PortName;
  ms: number;
  /** Google requests the call made (sandbox counts; run_history: one Firestore query). */
  requests: number;
  ok: boolean;
  error?: string;
}

export interface ReportResult {
  e2e: number[];
  botMs: number[];
  sequential: TimedCall[];
  sequentialTotal: number;
  chain: { label: string; requests: number; runs: number[] };
  unknownLines: number;
}

const totalRequests = async (rig: Rig) => {
  const { byPort } = await rig.counts();
  return Object.entries(byPort).reduce((n, [port, c]) => n + (port === 'processors' ? 0 : (c ?? 0)), 0);
};

async function timeCall(rig: Rig, c: ReportCall): Promise<TimedCall> {
  const before = await totalRequests(rig);
  const started = performance.now();
  const probe = await c.run();
  const took = performance.now() - started;
  const requests = c.port === 'runHistory' ? 1 : (await totalRequests(rig)) - before;
  return {
    label: c.label,
    port: c.port,
    ms: took,
    requests,
    ok: probe.ok,
    ...(probe.ok ? {} : { error: `${probe.error.kind}: ${probe.error.message}` }),
  };
}

export async function measureReport(
  rig: Rig,
  bot: Bot,
  local: ReturnType<typeof benchPorts>,
): Promise<ReportResult> {
  const text = `/pipeline status ${REPORT_DATE} --fresh`;
  // Warm: a report without latency, and each call once in this process, outside the figures.
  await burst(rig, bot, [text]);
  const calls = reportCalls(local.ports, rig.config, REPORT_DATE as IsoDate);
  await Promise.all(calls.map((c) => c.run()));
  for (const api of APIS) {
    await rig.standIns.call({ op: 'setFault', api, fault: { latencyMs: LATENCY_MS } });
  }
  local.runHistoryLatency.ms = LATENCY_MS;
  try {
    const e2e: number[] = [];
    const botMs: number[] = [];
    const unanswered = rig.responses.unanswered;
    for (let i = 0; i < REPORT_REPEATS; i++) {
      const [b] = await rig.commandBodies([text]);
      const seen = rig.responses.seen;
      const reports = bot.log.reportMs.length;
      const started = performance.now();
      await rig.load.send(bot.url, rig.secret, [b ?? '']);
      await until(() => rig.responses.seen > seen, 30_000, 'the report in Slack');
      e2e.push(performance.now() - started);
      await until(() => bot.log.reportMs.length > reports, 5000, "the bot's log line");
      botMs.push(bot.log.reportMs.at(-1) ?? Number.NaN);
    }
    const unknownLines = rig.responses.unanswered - unanswered;
    progress(`(b) report with ${LATENCY_MS} ms per call: ${e2e.map(ms).join(', ')}`);

    const sequential: TimedCall[] = [];
    const seqStart = performance.now();
    for (const c of calls) sequential.push(await timeCall(rig, c));
    const sequentialTotal = performance.now() - seqStart;
    progress(`(b) the same ${calls.length} calls one after another: ${ms(sequentialTotal)}`);

    // gatherStatus starts every call at once, so the longest dependent chain is the deepest single
    // call: the one making the most requests in sequence inside its adapter (ties: the slowest).
    const deepest = [...sequential].sort((a, b) => b.requests - a.requests || b.ms - a.ms)[0];
    const deepestCall = calls.find((c) => c.label === deepest?.label);
    if (!deepest || !deepestCall) throw new Error('no calls to time');
    const runs: number[] = [];
    for (let i = 0; i < REPORT_REPEATS; i++) runs.push((await timeCall(rig, deepestCall)).ms);
    progress(
      `(b) longest chain (${deepest.label}, ${deepest.requests} requests): ${runs.map(ms).join(', ')}`,
    );
    return {
      e2e,
      botMs,
      sequential,
      sequentialTotal,
      chain: { label: deepest.label, requests: deepest.requests, runs },
      unknownLines,
    };
  } finally {
    await rig.standIns.call({ op: 'clearFaults' });
    local.runHistoryLatency.ms = 0;
  }
}

/** Which sandbox count serves which port (run_history is Firestore: counted in the bot by its probe). */
export const PORT_COUNT: Record<PortName, CountedPort | undefined> = {
  cloudRun: 'cloudRun',
  functions: 'functions',
  scheduler: 'scheduler',
  dataChecks: 'dataChecks',
  runHistory: undefined,
  logs: 'logs',
  monitoring: 'monitoring',
  jobs: 'jobs',
  tables: 'tables',
};
