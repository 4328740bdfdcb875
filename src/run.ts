/**
 * Starting and stopping the bot process: configuration read once (exit 78 on a mistake), the
 * Google side, the bot's state and its executors, the Bolt app, and a drain on SIGTERM/SIGINT.
 * Shared by the production entry point (src/main.ts) and the offline demo (devstack), which
 * passes its sandbox as `overrides`.
 */
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
  ConfigError,
  type Env,
  loadEnv,
  loadPipeline,
  type PipelineConfig,
} from './config.js';
import type { Logger } from './log.js';

/** sysexits.h EX_CONFIG: the process cannot start with this configuration. */
export const EXIT_CONFIG = 78;

/** The environment and the pipeline YAML, or the process exits 78 with a readable message. */
export function loadConfigurationOrExit(): { env: Env; config: PipelineConfig } {
  try {
    const env = loadEnv();
    const config = loadPipeline(env.PIPELINE_CONFIG, env.GOOGLE_CLOUD_PROJECT);
    if (env.production) assertProductionPipeline(config, env.PIPELINE_CONFIG);
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
  const guarded = {
    ...buildState(side.db, systemClock, { retention: config.retention }),
    executors: buildExecutors(config, side),
    jobs: side.controls.jobs,
  };
  const bot = createBot({
    env,
    config,
    log,
    ports: side.ports,
    guarded,
    ...(opts.botIdentity ? { botIdentity: opts.botIdentity } : {}),
  });
  const port = await bot.start(opts.port);
  return { bot, port };
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
