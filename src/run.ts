/**
 * Starting and stopping the bot process: configuration read once (exit 78 on a mistake), the
 * Google side, the bot's state and its executors, the Bolt app, and a drain on SIGTERM/SIGINT.
 * Shared by the production entry point (src/main.ts) and the offline demo (devstack), which
 * passes its sandbox as `overrides`.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import {
  type Bot,
  type BotOptions,
  buildExecutors,
  buildGoogle,
  buildState,
  createBot,
  type GoogleOverrides,
  systemClock,
} from './app.js';
import {
  assertProductionPipeline,
  assertWatchDriven,
  ConfigError,
  type Env,
  loadEnv,
  loadPipeline,
  type PipelineConfig,
} from './config.js';
import { createOidcVerifier } from './gcp/oidc.js';
import type { Logger } from './log.js';
import { withDeadline } from './store/deadline.js';
import { createFirestoreAlertStore } from './store/firestore-alerts.js';

/** sysexits.h EX_CONFIG: the process cannot start with this configuration. */
export const EXIT_CONFIG = 78;

/** The environment and the pipeline YAML, or the process exits 78 with a readable message. */
export function loadConfigurationOrExit(): { env: Env; config: PipelineConfig } {
  try {
    const env = loadEnv();
    const config = loadPipeline(env.PIPELINE_CONFIG, env.GOOGLE_CLOUD_PROJECT);
    if (env.production) {
      assertProductionPipeline(config, env.PIPELINE_CONFIG);
      assertWatchDriven(config, env, env.PIPELINE_CONFIG);
    }
    return { env, config };
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error.message);
    throw error;
  }
}

export function exitWithConfigError(message: string): never {
  process.stderr.write(`Configuration error: ${message}\n`);
  process.exit(EXIT_CONFIG);
}

export interface StartedBot {
  bot: Bot;
  /** The HTTP port; undefined in Socket Mode. */
  port: number | undefined;
}

/** Build everything the bot needs and start it on `port`. */
export async function startBot(opts: {
  env: Env;
  config: PipelineConfig;
  log: Logger;
  port: number;
  /** Clients without Google credentials (a sandbox, emulators). */
  offline?: boolean;
  overrides?: GoogleOverrides;
  botIdentity?: BotOptions['botIdentity'];
}): Promise<StartedBot> {
  const { env, config, log } = opts;
  const side = buildGoogle(config, opts.offline ?? false, opts.overrides ?? {});
  const instanceId = `${process.env.K_REVISION ?? 'local'}-${randomUUID().slice(0, 8)}`;
  const guarded = {
    ...buildState(side.db, systemClock, { retention: config.retention }),
    executors: buildExecutors(config, side),
    jobs: side.controls.jobs,
    instanceId,
  };
  const alerts = buildAlerts(config, side.db, instanceId);
  if (config.alerts && !alerts) log.warn('alerts need Firestore: the watch is off', {});
  const bot = createBot({
    env,
    config,
    log,
    ports: side.ports,
    guarded,
    ...(alerts ? { alerts } : {}),
    ...(opts.botIdentity ? { botIdentity: opts.botIdentity } : {}),
  });
  const port = await bot.start(opts.port);
  return { bot, port };
}

/** The watch's store and, with `alerts.scheduler`, the verifier of Cloud Scheduler's token. */
export function buildAlerts(
  config: PipelineConfig,
  db: Firestore | undefined,
  instanceId: string,
): BotOptions['alerts'] {
  const a = config.alerts;
  if (!a || !db) return undefined;
  // A deadline on every call, as on the bot's other state (store/deadline.ts).
  const store = withDeadline(
    createFirestoreAlertStore(db, {
      instanceId,
      policy: { confirmations: a.confirmations, reminderMs: a.reminderHours * 3_600_000 },
      retainDays: config.retention.alertsDays,
    }),
    10_000,
    'alerts',
  );
  const verifier = a.scheduler
    ? createOidcVerifier({ audience: a.scheduler.audience, allowedEmails: a.scheduler.serviceAccounts })
    : undefined;
  return { store, ...(verifier ? { verifier } : {}) };
}

let stopping = false;

/** Run every cleanup in order (each failure logged, none skipped), then exit with `code`. */
export async function shutdown(cleanups: (() => Promise<void>)[], log: Logger, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of cleanups) {
    try {
      await c();
    } catch (error) {
      log.warn('shutdown step failed', { error });
    }
  }
  process.exit(code);
}

/**
 * Cloud Run sends SIGTERM and waits 10 s by default; Ctrl-C sends SIGINT. `on`, not `once`: a
 * repeated signal (tsx relays SIGTERM again when its child is slow to acknowledge it, and
 * people press Ctrl-C twice) would otherwise find no listener and kill the drain mid-way.
 */
export function installShutdown(cleanups: (() => Promise<void>)[], log: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (!stopping) log.info('shutting down', { signal });
      void shutdown(cleanups, log, 0);
    });
  }
}

export function exitOnFatal(error: unknown): never {
  process.stderr.write(`Fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
