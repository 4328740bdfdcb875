/**
 * The composition root: configuration → Google clients → adapters → listeners → Bolt.
 * Real clients are constructed here and nowhere else.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Firestore } from '@google-cloud/firestore';
import type { Logger as BoltLogger, CustomRoute } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import * as commands from './commands/index.js';
import { alertChannel, type Env, type PipelineConfig } from './config.js';
import type { LogSearchPort } from './domain/logs-query.js';
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
import { type AuditLog, type GuardedRequest, handedOver, type RequestStore } from './domain/requests.js';
import { fail } from './domain/result.js';
import { SingleFlightCache } from './domain/single-flight.js';
import type { StatusPorts, StatusReport } from './domain/status.js';
import type { AlertsDeps, Deps, GuardedDeps } from './flows/deps.js';
import { createDirectory } from './flows/directory.js';
import { tellRefusedResponses } from './flows/slack-failure.js';
import { createWatchService, type WatchService } from './flows/watch.js';
import { isPlainHttp } from './gcp/client-options.js';
import { lazyPort, loadOnce } from './gcp/lazy.js';
import type { OidcVerifier } from './gcp/oidc.js';
import { createRunHistoryAdapter, firestoreClient } from './gcp/run-history.js';
import { createSlackAlertNotifier } from './interactions/alert-notifier.js';
import { createBackfillWatcher } from './interactions/backfill-progress.js';
import * as interactions from './interactions/index.js';
import { createPublisher, progressClientOptions } from './interactions/progress.js';
import type { Logger } from './log.js';
import { App, LogLevel as BoltLogLevel, HTTPReceiver, SocketModeReceiver } from './slack-bolt.js';
import { guardPayloads, guardReceiver, processEventErrorHandler } from './slack-boundary.js';
import { dedupeDeliveries } from './slack-dedupe.js';
import { withDeadline } from './store/deadline.js';
import type { AlertStore } from './store/firestore-alerts.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from './store/firestore-requests.js';
import { createMemoryAuditLog, createMemoryRequestStore } from './store/memory-requests.js';
import { createFirestorePlanDrafts, createMemoryPlanDrafts, type PlanDrafts } from './store/plan-drafts.js';
import {
  createFirestoreDeliveryLog,
  createMemoryDeliveryLog,
  type DeliveryLog,
} from './store/slack-deliveries.js';
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
  /** The status ports, and log search (`/pipeline logs`, the trace) on the same Logging client. */
  ports: StatusPorts & { logSearch: LogSearchPort };
  controls: GoogleControls;
  /** The Firestore client, when one was built (run_history, and the bot's own state). */
  db?: Firestore;
}

export interface GoogleOverrides extends Partial<StatusPorts> {
  logSearch?: LogSearchPort;
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
  // Firestore is built at once: the bot's own state (buildState) needs it from the start.
  const db = overrides.runHistory ? undefined : firestoreClient(project, offline);
  const runHistory =
    overrides.runHistory ?? createRunHistoryAdapter({ db: db!, config: config.runHistory, deadlineMs });
  // Every other client, its adapter and its library load on the port's first call (gcp/lazy.ts).
  // Clients two ports share are loaded once for both.
  const cloudRun = lazyPort(async () => {
    const m = await import('./gcp/cloud-run.js');
    return m.createCloudRunAdapter({
      ...m.cloudRunClients(e.cloudRun, offline),
      project,
      region,
      deadlineMs,
    });
  });
  const bigquery = loadOnce(async () =>
    (await import('./gcp/bigquery.js')).bigQueryClient(e.bigquery, project, offline),
  );
  const dataChecks = lazyPort(async () =>
    (await import('./gcp/bigquery.js')).createDataChecksAdapter({
      bigquery: await bigquery(),
      maximumBytesBilled: config.limits.maximumBytesBilled,
      deadlineMs,
      ...(config.bigquery.location ? { location: config.bigquery.location } : {}),
    }),
  );
  const jobs = lazyPort(async () => {
    const m = await import('./gcp/run-jobs.js');
    return m.createRunJobsAdapter({ ...m.runJobsClients(e.cloudRun, offline), project, region, deadlineMs });
  });
  const scheduler = lazyPort(async () => {
    const m = await import('./gcp/scheduler.js');
    return m.createSchedulerAdapter({
      client: m.schedulerClient(e.scheduler, offline),
      project,
      region,
      deadlineMs,
    });
  });
  const logging = loadOnce(async () =>
    (await import('./gcp/logging.js')).loggingClient(e.logging, project, offline),
  );
  const ports: GoogleSide['ports'] = {
    cloudRun,
    functions: lazyPort(async () => {
      const m = await import('./gcp/functions.js');
      return m.createFunctionsAdapter({
        client: m.functionsClient(e.functions, offline),
        project,
        region,
        deadlineMs,
      });
    }),
    scheduler,
    dataChecks,
    runHistory,
    logs: lazyPort(async () =>
      (await import('./gcp/logging.js')).createLogsAdapter({
        logging: await logging(),
        project,
        signatures: config.crashSignatures,
        deadlineMs,
      }),
    ),
    logSearch: lazyPort(async () =>
      (await import('./gcp/log-search.js')).createLogSearchAdapter({
        logging: await logging(),
        project,
        deadlineMs,
      }),
    ),
    monitoring: lazyPort(async () => {
      const m = await import('./gcp/monitoring.js');
      return m.createMonitoringAdapter({
        client: m.monitoringClient(e.monitoring, offline),
        project,
        deadlineMs,
      });
    }),
    jobs,
    tables: lazyPort(async () =>
      (await import('./gcp/bigquery-tables.js')).createTablesAdapter({
        bigquery: await bigquery(),
        deadlineMs,
      }),
    ),
    ...overrides,
  };
  const triggers =
    overrides.triggers ??
    lazyPort(async () => {
      const m = await import('./gcp/triggers.js');
      return m.createTriggerAdapter({
        cloudRun,
        // A plain-http Cloud Run endpoint is a sandbox started separately: its service URLs are
        // local stand-ins, never worth real credentials (and none may exist).
        idTokens: m.idTokenSource(offline || isPlainHttp(e.cloudRun)),
        pubsub: m.pubsubClient(project, offline),
        project,
        deadlineMs,
      });
    });
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
  opts: { deadlineMs?: number; retention?: PipelineConfig['retention'] } = {},
): { store: RequestStore; audit: AuditLog; drafts: PlanDrafts; deliveries: DeliveryLog } {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  if (db) {
    const retention = opts.retention;
    return {
      store: withDeadline(
        createFirestoreRequestStore(db, retention ? { retainDays: retention.requestsDays } : {}),
        deadlineMs,
        'requests',
      ),
      audit: withDeadline(
        createFirestoreAuditLog(db, retention ? { retainDays: retention.auditDays } : {}),
        deadlineMs,
        'audit',
      ),
      drafts: withDeadline(createFirestorePlanDrafts(db, clock), deadlineMs, 'drafts'),
      // Its own short deadline: it sits in front of every ack (slack-dedupe.ts).
      deliveries: createFirestoreDeliveryLog({ db, clock }),
    };
  }
  return {
    store: createMemoryRequestStore(),
    audit: createMemoryAuditLog(),
    drafts: createMemoryPlanDrafts(clock),
    deliveries: createMemoryDeliveryLog(clock),
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
  ports: Deps['ports'];
  clock?: Clock;
  /**
   * Bot identity: when given, Bolt never calls `auth.test` (tests, demo). In production
   * Bolt calls it once at start.
   */
  botIdentity?: { botId: string; botUserId: string };
  /** Bound on waiting for in-flight work at shutdown. */
  drainMs?: number;
  /** Socket Mode: the port of the /healthz listener (default `env.PORT`; 0 for any). */
  socketPort?: number;
  /** Guarded actions; without it, state is in memory and no step can run (read-only bot). */
  guarded?: {
    store: RequestStore;
    audit: AuditLog;
    drafts: PlanDrafts;
    /** Which Slack deliveries were taken (by any instance); default: this process's memory. */
    deliveries?: DeliveryLog;
    executors: Record<string, StepExecutor> | ExecutorFactory;
    instanceId?: string;
    heartbeatMs?: number;
    staleAfterMs?: number;
    /** How often stale requests are swept (expired, interrupted); 0 disables. */
    sweepMs?: number;
    /** Cloud Run Jobs for backfill planning; without it, no execution history. */
    jobs?: RunJobsPort;
  };
  /** The watch (`alerts:` in the YAML): without it the bot speaks only when asked. */
  alerts?: {
    store: AlertStore;
    /** Verifies Cloud Scheduler's OIDC token; without it `POST /tasks/watch` is not served. */
    verifier?: OidcVerifier;
    /** A tick every this many seconds in this process (default `WATCH_INTERVAL_SECONDS`; none when unset). */
    intervalSeconds?: number;
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
  /** The watch, when alerts are configured. */
  watch?: WatchService;
}

/** The tick id of a Cloud Scheduler call: its scheduled time, the same on every retry of that run. */
export function schedulerTickId(scheduleTime: string | string[] | undefined): string {
  const t = Array.isArray(scheduleTime) ? scheduleTime[0] : scheduleTime;
  // cloud.google.com/scheduler/docs/reference/rpc/google.cloud.scheduler.v1#httptarget: RFC 3339.
  if (t && t.length <= 40 && /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(t))
    return `scheduler:${t}`;
  return `call:${randomUUID()}`;
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
    clientOptions: {
      ...clientOptions,
      // respond() keeps only the status of a refused response_url post: tell the person there (issue 9, item 5).
      fetch: tellRefusedResponses(globalThis.fetch, slackApiUrl ?? 'https://slack.com/api/', log),
    },
    ...(opts.botIdentity ?? {}),
  };
  const healthz: CustomRoute = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, inFlight: active }));
    },
  };
  let watch: WatchService | undefined;
  const verifier = opts.alerts?.verifier;
  // Cloud Scheduler's call (issue 12): an OIDC token it signs, verified before anything runs.
  const watchRoute: CustomRoute = {
    path: '/tasks/watch',
    method: ['POST'],
    handler: (req, res) => {
      req.resume();
      const answer = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      void (async () => {
        const caller = verifier ? await verifier(req.headers.authorization) : undefined;
        if (!caller?.ok) {
          log.warn('watch call refused', { reason: caller?.reason.message ?? 'no verifier' });
          return answer(401, { ok: false, error: 'unauthenticated' });
        }
        if (!watch) return answer(404, { ok: false, error: 'not_configured' });
        const result = await watch.tick(schedulerTickId(req.headers['x-cloudscheduler-scheduletime']));
        answer(200, { ok: true, ...result });
      })().catch((error: unknown) => {
        log.error('watch failed', { error });
        if (!res.headersSent) answer(500, { ok: false, error: 'watch_failed' });
      });
    },
  };
  const customRoutes = verifier ? [healthz, watchRoute] : [healthz];
  const httpReceiver = () => {
    const receiver = new HTTPReceiver({
      signingSecret: env.SLACK_SIGNING_SECRET ?? '',
      logger: common.logger,
      processEventErrorHandler,
      customRoutes,
    });
    guardReceiver(receiver, log);
    return receiver;
  };
  // Socket Mode still listens on PORT for /healthz: Cloud Run's startup probe needs a listener.
  // Bolt's receiver serves custom routes on `installerOptions.port`.
  const socketReceiver = (port: number) =>
    new SocketModeReceiver({
      appToken: env.SLACK_APP_TOKEN ?? '',
      logger: common.logger,
      // Socket Mode writes retryConfig into the object it is given: give it a copy.
      installerOptions: { clientOptions: { ...clientOptions }, port },
      customRoutes,
      // The envelope id reaches the middleware (slack-dedupe.ts) through the context.
      customPropertiesExtractor: (args: { envelope_id?: unknown }) =>
        typeof args.envelope_id === 'string' ? { envelopeId: args.envelope_id } : {},
    });
  const receiver = env.socketMode ? socketReceiver(opts.socketPort ?? env.PORT) : httpReceiver();
  const app = new App({ ...common, receiver });
  guardPayloads(app, log, env.socketMode ? 'socket' : 'http');

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
  // Before any listener: a repeated delivery acts once, on whichever instance took it first.
  dedupeDeliveries(
    app,
    g.deliveries ?? createMemoryDeliveryLog(clock),
    log,
    receiver instanceof HTTPReceiver ? { receiver } : {},
  );
  const staleAfterMs = g.staleAfterMs ?? env.GUARDED_STALE_AFTER_MS ?? 30_000;
  const heartbeatMs = g.heartbeatMs ?? env.GUARDED_HEARTBEAT_MS;
  let engineRef: Engine | undefined;
  let extraLines: (r: GuardedRequest) => string[] = () => [];
  const publisher = createPublisher({
    // Its own client, with bounded retries: progress must not wait out Slack's trouble (progress.ts).
    client: new WebClient(env.SLACK_BOT_TOKEN, {
      ...clientOptions,
      ...progressClientOptions,
      logger: common.logger,
    }),
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
    ...(heartbeatMs ? { heartbeatMs } : {}),
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
  const channel = alertChannel(config);
  const alerts: AlertsDeps | undefined =
    opts.alerts && channel
      ? {
          store: opts.alerts.store,
          channel,
          notifier: createSlackAlertNotifier({ chat: app.client.chat, channel, timeZone: config.timeZone }),
        }
      : undefined;
  const deps: Deps = {
    config,
    ports: opts.ports,
    clock,
    log,
    statusCache,
    guarded,
    ...(alerts ? { alerts } : {}),
  };
  if (alerts) watch = createWatchService(deps, alerts);
  commands.register(app, deps);
  interactions.register(app, deps);
  const watchEveryMs = (opts.alerts?.intervalSeconds ?? env.WATCH_INTERVAL_SECONDS ?? 0) * 1000;
  let watchTimer: NodeJS.Timeout | undefined;
  // The timer's tick id is its slot: instances with the same interval share it, so one acts.
  const timerTick = () =>
    void watch
      ?.tick(`timer:${watchEveryMs}:${Math.floor(clock.now().getTime() / watchEveryMs)}`)
      .catch((error: unknown) => log.warn('watch failed', { error }));

  const sweep = async () => {
    const { expired, interrupted } = await engine.expireStale();
    for (const r of expired) await publisher(r);
    for (const r of interrupted) {
      // A run handed over at its runner's shutdown is resumed here without anyone clicking: its
      // runner stopped cleanly and asked for it. One whose runner died is shown with a Resume
      // button instead: nobody knows why it died (a step that kills its process would take
      // every instance down in turn), so a person decides.
      if (handedOver(r)) {
        const resumed = await engine.resume(r.id, `instance:${instanceId}`);
        if (resumed.ok) continue;
      }
      await publisher(r);
    }
  };
  let sweeper: NodeJS.Timeout | undefined;
  const sweepMs = g.sweepMs ?? env.GUARDED_SWEEP_MS ?? Math.max(5000, staleAfterMs / 2);

  let server: Server | undefined;
  return {
    app,
    deps,
    inFlight: () => active,
    engine,
    sweep,
    ...(watch ? { watch } : {}),
    async start(port = env.PORT) {
      if (sweepMs > 0) {
        sweeper = setInterval(
          () => void sweep().catch((error: unknown) => log.warn('sweep failed', { error })),
          sweepMs,
        );
        sweeper.unref();
      }
      if (watch && watchEveryMs > 0) {
        watchTimer = setInterval(timerTick, watchEveryMs);
        watchTimer.unref();
      }
      if (env.socketMode) {
        await app.start();
        // Bolt keeps the receiver's /healthz server to itself and does not await its listen.
        server = (receiver as unknown as { httpServer?: Server }).httpServer;
        if (!server) return undefined;
        if (!server.listening) await once(server, 'listening');
      } else {
        server = (await app.start(port)) as Server;
      }
      const address = server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async stop() {
      clearInterval(sweeper);
      clearInterval(watchTimer);
      // Cloud Run gives 10 s between SIGTERM and SIGKILL: the whole stop fits in `drainMs`.
      const until = Date.now() + (opts.drainMs ?? 8000);
      const left = () => Math.max(0, until - Date.now());
      const bounded = (p: Promise<unknown>) =>
        Promise.race([p, new Promise<void>((resolve) => setTimeout(resolve, left()).unref())]);
      // Stop accepting first: Bolt's stop closes the HTTP server (or the socket).
      const stopping = app.stop().catch((error: unknown) => log.warn('stop failed', { error }));
      // Runs are handed over at once rather than finished: a step may wait on a phase for 15
      // minutes, far past the 10 s. The resumer checks what the step in flight already did.
      const handing = engine.handOver().catch((error: unknown) => log.warn('hand over failed', { error }));
      // In-flight listeners (a command's report after its ack) keep running, up to the bound.
      if (active > 0) await bounded(new Promise<void>((resolve) => idle.push(resolve)));
      await stopping;
      await bounded(handing);
      await bounded(engine.idle());
      if (watch) await bounded(watch.idle());
      // The last states of the messages ("handed over"), if Slack takes them in time.
      await publisher.drain(Math.min(left(), 5000));
      publisher.close();
    },
  };
}
