/**
 * The composition root: configuration → Google clients → adapters → listeners → Bolt.
 * Real clients are constructed here and nowhere else.
 */
import type { Server } from 'node:http';
import { App, type Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import type { Deps } from './commands/deps.js';
import * as commands from './commands/index.js';
import type { Env, PipelineConfig } from './config.js';
import type { Clock } from './domain/ports.js';
import { SingleFlightCache } from './domain/single-flight.js';
import type { StatusPorts, StatusReport } from './domain/status.js';
import { bigQueryClient, createDataChecksAdapter } from './gcp/bigquery.js';
import { cloudRunClients, createCloudRunAdapter } from './gcp/cloud-run.js';
import { createFunctionsAdapter, functionsClient } from './gcp/functions.js';
import { createLogsAdapter, loggingClient } from './gcp/logging.js';
import { createMonitoringAdapter, monitoringClient } from './gcp/monitoring.js';
import { createRunHistoryAdapter, firestoreClient } from './gcp/run-history.js';
import { createSchedulerAdapter, schedulerClient } from './gcp/scheduler.js';
import type { Logger } from './log.js';

export const systemClock: Clock = { now: () => new Date() };

/**
 * Build the Google side: one client per API, pointed at `config.endpoints` where given
 * (a sandbox, Private Service Connect), with a pass-through auth client when `offline`.
 */
export function buildGooglePorts(
  config: PipelineConfig,
  offline: boolean,
  overrides: Partial<StatusPorts> = {},
): StatusPorts {
  const e = config.endpoints;
  const deadlineMs = config.limits.callDeadlineMs;
  const { project, region } = config;
  const run = cloudRunClients(e.cloudRun, offline);
  const runHistory =
    overrides.runHistory ??
    createRunHistoryAdapter({ db: firestoreClient(project, offline), config: config.runHistory, deadlineMs });
  return {
    cloudRun: createCloudRunAdapter({ ...run, project, region, deadlineMs }),
    functions: createFunctionsAdapter({
      client: functionsClient(e.functions, offline),
      project,
      region,
      deadlineMs,
    }),
    scheduler: createSchedulerAdapter({
      client: schedulerClient(e.scheduler, offline),
      project,
      region,
      deadlineMs,
    }),
    dataChecks: createDataChecksAdapter({
      bigquery: bigQueryClient(e.bigquery, project, offline),
      maximumBytesBilled: config.limits.maximumBytesBilled,
      deadlineMs,
    }),
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
}

export interface Bot {
  app: App;
  deps: Deps;
  /** Listen (HTTP: on `port`, 0 for any) or connect (Socket Mode). Resolves with the HTTP port. */
  start(port?: number): Promise<number | undefined>;
  /** Stop accepting, let in-flight work finish (bounded), disconnect. */
  stop(): Promise<void>;
  inFlight(): number;
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

  const deps: Deps = {
    config,
    ports: opts.ports,
    clock,
    log,
    statusCache: new SingleFlightCache<StatusReport>(config.limits.cacheSeconds * 1000, () =>
      clock.now().getTime(),
    ),
  };
  commands.register(app, deps);

  let server: Server | undefined;
  return {
    app,
    deps,
    inFlight: () => active,
    async start(port = env.PORT) {
      if (env.socketMode) {
        await app.start();
        return undefined;
      }
      server = (await app.start(port)) as Server;
      const address = server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async stop() {
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
    },
  };
}
