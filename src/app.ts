/**
 * The composition root: configuration → Google clients → adapters → listeners → Bolt.
 * Real clients are constructed here and nowhere else.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Firestore } from '@google-cloud/firestore';
import { App, type Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import type { Deps, GuardedDeps } from './commands/deps.js';
import * as commands from './commands/index.js';
import type { Env, PipelineConfig } from './config.js';
import type {
  Clock,
  CloudRunControl,
  CloudRunPort,
  RunHistoryControl,
  RunHistoryPort,
  RunJobsPort,
  SchedulerControl,
  SchedulerPort,
  TriggerPort,
} from './domain/ports.js';
import type { AuditLog, GuardedRequest, RequestStore } from './domain/requests.js';
import { fail } from './domain/result.js';
import { SingleFlightCache } from './domain/single-flight.js';
import type { StatusPorts, StatusReport } from './domain/status.js';
import { bigQueryClient, createDataChecksAdapter } from './gcp/bigquery.js';
import { cloudRunClients, createCloudRunAdapter } from './gcp/cloud-run.js';
import { createFunctionsAdapter, functionsClient } from './gcp/functions.js';
import { createLogsAdapter, loggingClient } from './gcp/logging.js';
import { createMonitoringAdapter, monitoringClient } from './gcp/monitoring.js';
import { createRunHistoryAdapter, firestoreClient } from './gcp/run-history.js';
import { createRunJobsAdapter, runJobsClients } from './gcp/run-jobs.js';
import { createSchedulerAdapter, schedulerClient } from './gcp/scheduler.js';
import { createTriggerAdapter, idTokenSource, pubsubClient } from './gcp/triggers.js';
import { createBackfillWatcher } from './interactions/backfill-progress.js';
import { createDirectory } from './interactions/directory.js';
import * as interactions from './interactions/index.js';
import { createPublisher } from './interactions/progress.js';
import type { Logger } from './log.js';
import { withDeadline } from './store/deadline.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from './store/firestore-requests.js';
import { createMemoryAuditLog, createMemoryRequestStore } from './store/memory-requests.js';
import { createFirestorePlanDrafts, createMemoryPlanDrafts, type PlanDrafts } from './store/plan-drafts.js';
import {
  type BackfillProgress,
  backfillExecutors,
  recordExecutionIn,
} from './workflows/backfill-executor.js';
import { CANCEL_REASON, createEngine, type Engine, type StepExecutor } from './workflows/engine.js';
import { healExecutors } from './workflows/heal-executors.js';
import { rollbackExecutors } from './workflows/rollback-executor.js';
import { schedulerExecutors } from './workflows/scheduler-executors.js';

export const systemClock: Clock = { now: () => new Date() };

const noJobs = async () => fail('not_found', 'Cloud Run Jobs are not configured');

/** What the bot acts on besides reading: run_history changes and phase triggers. */
export interface GoogleControls {
  runHistory: RunHistoryControl;
  triggers: TriggerPort;
  cloudRun: CloudRunPort & CloudRunControl;
  /** The self-heal job: pause, resume, run (the same adapter as the read port). */
  scheduler: SchedulerPort & SchedulerControl;
  /** Cloud Run Jobs: backfill executions. */
  jobs: RunJobsPort;
}

export interface GoogleSide {
  ports: StatusPorts;
  controls: GoogleControls;
  /** The Firestore client, when one was built (run_history, and the bot's own state). */
  db?: Firestore;
}

export interface GoogleOverrides extends Partial<StatusPorts> {
  runHistory?: RunHistoryPort & RunHistoryControl;
  triggers?: TriggerPort;
}

/**
 * Build the Google side: one client per API, pointed at `config.endpoints` where given
 * (a sandbox, Private Service Connect), with a pass-through auth client when `offline`.
 */
export function buildGoogle(
  config: PipelineConfig,
  offline: boolean,
  overrides: GoogleOverrides = {},
): GoogleSide {
  const e = config.endpoints;
  const deadlineMs = config.limits.callDeadlineMs;
  const { project, region } = config;
  const run = cloudRunClients(e.cloudRun, offline);
  const db = overrides.runHistory ? undefined : firestoreClient(project, offline);
  const runHistory =
    overrides.runHistory ?? createRunHistoryAdapter({ db: db!, config: config.runHistory, deadlineMs });
  const cloudRun = createCloudRunAdapter({ ...run, project, region, deadlineMs });
  const dataChecks = createDataChecksAdapter({
    bigquery: bigQueryClient(e.bigquery, project, offline),
    maximumBytesBilled: config.limits.maximumBytesBilled,
    deadlineMs,
  });
  const scheduler = createSchedulerAdapter({
    client: schedulerClient(e.scheduler, offline),
    project,
    region,
    deadlineMs,
  });
  const ports: StatusPorts = {
    cloudRun,
    functions: createFunctionsAdapter({
      client: functionsClient(e.functions, offline),
      project,
      region,
      deadlineMs,
    }),
    scheduler,
    dataChecks,
    runHistory,
    logs: createLogsAdapter({
      logging: loggingClient(e.logging, project, offline),
      project,
      signatures: config.crashSignatures,
      deadlineMs,
    }),
    monitoring: createMonitoringAdapter({
      client: monitoringClient(e.monitoring, offline),
      project,
      deadlineMs,
    }),
    ...overrides,
  };
  const triggers =
    overrides.triggers ??
    createTriggerAdapter({
      cloudRun,
      idTokens: idTokenSource(offline),
      pubsub: pubsubClient(project, offline),
      project,
      deadlineMs,
    });
  const jobs = createRunJobsAdapter({ ...runJobsClients(e.cloudRun, offline), project, region, deadlineMs });
  return { ports, controls: { runHistory, triggers, cloudRun, scheduler, jobs }, ...(db ? { db } : {}) };
}

/** Only the read ports (status, deploy verification). */
export function buildGooglePorts(
  config: PipelineConfig,
  offline: boolean,
  overrides: GoogleOverrides = {},
): StatusPorts {
  return buildGoogle(config, offline, overrides).ports;
}

/** The bot's own state: Firestore when there is one, memory otherwise (the offline demo). */
export function buildState(
  db: Firestore | undefined,
  clock: Clock,
  deadlineMs = 10_000,
): { store: RequestStore; audit: AuditLog; drafts: PlanDrafts } {
  if (db) {
    return {
      store: withDeadline(createFirestoreRequestStore(db), deadlineMs, 'requests'),
      audit: withDeadline(createFirestoreAuditLog(db), deadlineMs, 'audit'),
      drafts: withDeadline(createFirestorePlanDrafts(db, clock), deadlineMs, 'drafts'),
    };
  }
  return {
    store: createMemoryRequestStore(),
    audit: createMemoryAuditLog(),
    drafts: createMemoryPlanDrafts(clock),
  };
}

/** What executors get from the bot at start: its store and instance, and where backfill progress goes. */
export interface ExecutorContext {
  store: RequestStore;
  instanceId: string;
  onBackfillProgress: (p: BackfillProgress) => Promise<void>;
}

export type ExecutorFactory = (ctx: ExecutorContext) => Record<string, StepExecutor>;

/** Step executors of every guarded action, by PlanStep.action. */
export function buildExecutors(
  config: PipelineConfig,
  side: GoogleSide,
  opts: { pollMs?: number; backfillPollMs?: number; stallMs?: number } = {},
): ExecutorFactory {
  return (ctx) => ({
    ...healExecutors({
      runHistory: side.controls.runHistory,
      triggers: side.controls.triggers,
      dataChecks: side.ports.dataChecks,
      config,
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    }),
    ...rollbackExecutors({ cloudRun: side.controls.cloudRun }),
    ...schedulerExecutors({ scheduler: side.controls.scheduler, config }),
    ...backfillExecutors({
      jobs: side.controls.jobs,
      dataChecks: side.ports.dataChecks,
      config,
      ...(opts.backfillPollMs ? { pollMs: opts.backfillPollMs, tickMs: opts.backfillPollMs * 4 } : {}),
      ...(opts.stallMs ? { stallMs: opts.stallMs } : {}),
      onProgress: ctx.onBackfillProgress,
      recordExecution: recordExecutionIn(ctx.store, ctx.instanceId),
      // Only a person's Cancel stops the execution; a shutdown or takeover leaves it for a resume to watch.
      cancelOnAbort: (reason) => reason === CANCEL_REASON,
    }),
  });
}

export interface BotOptions {
  env: Env;
  config: PipelineConfig;
  log: Logger;
  ports: StatusPorts;
  clock?: Clock;
  /**
   * Bot identity: when given, Bolt never calls `auth.test` (tests, demo). In production
   * Bolt calls it once at start.
   */
  botIdentity?: { botId: string; botUserId: string };
  /** Bound on waiting for in-flight work at shutdown. */
  drainMs?: number;
  /** Guarded actions; without it, state is in memory and no step can run (read-only bot). */
  guarded?: {
    store: RequestStore;
    audit: AuditLog;
    drafts: PlanDrafts;
    executors: Record<string, StepExecutor> | ExecutorFactory;
    instanceId?: string;
    heartbeatMs?: number;
    staleAfterMs?: number;
    /** How often stale requests are swept (expired, interrupted); 0 disables. */
    sweepMs?: number;
    /** Cloud Run Jobs for backfill planning; without it, no execution history. */
    jobs?: RunJobsPort;
  };
}

export interface Bot {
  app: App;
  deps: Deps;
  /** Listen (HTTP: on `port`, 0 for any) or connect (Socket Mode). Resolves with the HTTP port. */
  start(port?: number): Promise<number | undefined>;
  /** Stop accepting, let in-flight work finish (bounded), disconnect. */
  stop(): Promise<void>;
  inFlight(): number;
  /** Expire pending requests past their expiry and show interrupted ones (also run on a timer). */
  sweep(): Promise<void>;
  engine: Engine;
}

function boltLogger(log: Logger): BoltLogger {
  let level = BoltLogLevel.INFO;
  let name = 'bolt';
  const fmt = (msgs: unknown[]) => msgs.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    debug: (...m) => log.debug(fmt(m), { logger: name }),
    info: (...m) => log.info(fmt(m), { logger: name }),
    warn: (...m) => log.warn(fmt(m), { logger: name }),
    error: (...m) => log.error(fmt(m), { logger: name }),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n) => {
      name = n;
    },
  };
}

export function createBot(opts: BotOptions): Bot {
  const { env, config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const slackApiUrl = env.SLACK_API_URL ? `${env.SLACK_API_URL.replace(/\/$/, '')}/` : undefined;
  const clientOptions = slackApiUrl ? { slackApiUrl } : {};
  let active = 0;
  const idle: (() => void)[] = [];
  const common = {
    ...(env.SLACK_BOT_TOKEN ? { token: env.SLACK_BOT_TOKEN } : {}),
    // No conversation state is used: skip Bolt's per-request store lookup.
    convoStore: false as const,
    logger: boltLogger(log),
    clientOptions,
    ...(opts.botIdentity ?? {}),
  };
  const app = env.socketMode
    ? new App({
        ...common,
        appToken: env.SLACK_APP_TOKEN ?? '',
        socketMode: true,
        // Socket Mode writes retryConfig into the object it is given: give it a copy.
        installerOptions: { clientOptions: { ...clientOptions } },
      })
    : new App({
        ...common,
        signingSecret: env.SLACK_SIGNING_SECRET ?? '',
        customRoutes: [
          {
            path: '/healthz',
            method: ['GET'],
            handler: (_req, res) => {
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ ok: true, inFlight: active }));
            },
          },
        ],
      });

  // Count work in flight (listeners continue after ack) so SIGTERM can let it finish.
  app.use(async ({ next }) => {
    active++;
    try {
      await next();
    } finally {
      active--;
      if (active === 0) for (const resolve of idle.splice(0)) resolve();
    }
  });
  app.error(async (error) => {
    log.error('listener failed', { error });
  });

  const g: NonNullable<BotOptions['guarded']> = opts.guarded ?? {
    ...buildState(undefined, clock),
    executors: {},
  };
  const staleAfterMs = g.staleAfterMs ?? 30_000;
  let engineRef: Engine | undefined;
  let extraLines: (r: GuardedRequest) => string[] = () => [];
  const publisher = createPublisher({
    client: app.client,
    config,
    clock,
    log,
    staleAfterMs,
    engine: () => engineRef!,
    extraLines: (r) => extraLines(r),
  });
  const instanceId = g.instanceId ?? `${process.env.K_REVISION ?? 'local'}-${randomUUID().slice(0, 8)}`;
  const backfill = createBackfillWatcher({
    client: app.client,
    store: g.store,
    log,
    stallMinutes: config.backfill.stallMinutes,
    publish: (id) => guarded.publish(id),
  });
  extraLines = (r) => backfill.lines(r.id);
  const executors =
    typeof g.executors === 'function'
      ? g.executors({ store: g.store, instanceId, onBackfillProgress: backfill.onProgress })
      : g.executors;
  const statusCache = new SingleFlightCache<StatusReport>(config.limits.cacheSeconds * 1000, () =>
    clock.now().getTime(),
  );
  const engine = createEngine({
    store: g.store,
    audit: g.audit,
    executors,
    clock,
    instanceId,
    ...(g.heartbeatMs ? { heartbeatMs: g.heartbeatMs } : {}),
    staleAfterMs,
    onProgress: async (r) => {
      // A finished action changed the pipeline: the next status report must not be a cached one.
      if (['succeeded', 'failed', 'cancelled', 'undone'].includes(r.state)) statusCache.invalidate();
      await publisher(r);
    },
    log: (line) => log.info('guarded', line as Record<string, unknown>),
  });
  engineRef = engine;
  const guarded: GuardedDeps = {
    engine,
    store: g.store,
    audit: g.audit,
    drafts: g.drafts,
    directory: createDirectory(app.client, log),
    jobs: g.jobs ?? { runJob: noJobs, getExecution: noJobs, listExecutions: noJobs, cancelExecution: noJobs },
    staleAfterMs,
    async publish(id) {
      const status = await engine.status(id);
      if (status) await publisher(status.request);
    },
  };
  const deps: Deps = {
    config,
    ports: opts.ports,
    clock,
    log,
    statusCache,
    guarded,
  };
  commands.register(app, deps);
  interactions.register(app, deps);

  const sweep = async () => {
    const { expired, interrupted } = await engine.expireStale();
    for (const r of [...expired, ...interrupted]) await publisher(r);
  };
  let sweeper: NodeJS.Timeout | undefined;
  const sweepMs = g.sweepMs ?? Math.max(5000, staleAfterMs / 2);

  let server: Server | undefined;
  return {
    app,
    deps,
    inFlight: () => active,
    engine,
    sweep,
    async start(port = env.PORT) {
      if (sweepMs > 0) {
        sweeper = setInterval(
          () => void sweep().catch((error: unknown) => log.warn('sweep failed', { error })),
          sweepMs,
        );
        sweeper.unref();
      }
      if (env.socketMode) {
        await app.start();
        return undefined;
      }
      server = (await app.start(port)) as Server;
      const address = server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async stop() {
      clearInterval(sweeper);
      const drainMs = opts.drainMs ?? 25_000;
      // Stop accepting first: Bolt's stop closes the HTTP server (or the socket), in-flight
      // listeners keep running and are awaited below, up to the bound.
      const stopping = app.stop().catch((error: unknown) => log.warn('stop failed', { error }));
      if (active > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref()),
        ]);
      }
      await stopping;
      // Steps in flight stop writing; another instance resumes them (their heartbeat goes stale).
      engine.shutdown();
      await Promise.race([engine.idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    },
  };
}
