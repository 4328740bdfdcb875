/**
 * Entry point. With Slack credentials: the bot, on Google (or on the sandbox with SANDBOX=1).
 * Without any: the offline demo (sandbox, emulators when present, fake Slack, a terminal).
 */
import { randomBytes } from 'node:crypto';
import { type Bot, buildGooglePorts, createBot } from './app.js';
import { ConfigError, type Env, loadEnv, loadPipeline, type PipelineConfig } from './config.js';
import type { StatusPorts } from './domain/status.js';
import { createDriver } from './local/driver.js';
import { startFakeSlack } from './local/fake-slack.js';
import { type LocalStack, startLocalStack } from './local/stack.js';
import { runTerminal } from './local/terminal.js';
import { createLogger, type Logger } from './log.js';

const DEMO_USER = 'U0ALICE';
const DEMO_CHANNEL = 'C0OPS';

async function main(): Promise<void> {
  let env: Env;
  let config: PipelineConfig;
  try {
    env = loadEnv();
    config = loadPipeline(env.PIPELINE_CONFIG, env.GOOGLE_CLOUD_PROJECT);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // The demo's own log lines would drown the terminal: warnings and errors only, unless asked.
  const log = createLogger(env.demo && !process.env.LOG_LEVEL ? 'warn' : env.LOG_LEVEL);
  const cleanups: (() => Promise<void>)[] = [];
  let local: LocalStack | undefined;
  let overrides: Partial<StatusPorts> = {};
  const offline = env.demo || env.SANDBOX === '1';
  if (offline) {
    local = await startLocalStack({ config, scenario: env.SANDBOX_SCENARIO, log });
    cleanups.push(() => local!.stop());
    config = local.config;
    overrides = local.overrides;
  }
  const ports = { ...buildGooglePorts(config, offline, overrides) };
  let bot: Bot;
  if (env.demo) {
    const fake = await startFakeSlack();
    cleanups.unshift(() => fake.close());
    const signingSecret = randomBytes(16).toString('hex');
    const demoEnv: Env = {
      ...env,
      SLACK_BOT_TOKEN: 'xoxb-demo',
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: `${fake.url}/api/`,
      demo: true,
    };
    bot = createBot({
      env: demoEnv,
      config,
      log,
      ports,
      botIdentity: { botId: fake.identity.botId, botUserId: fake.identity.botUserId },
    });
    const port = await bot.start(0);
    cleanups.unshift(() => bot.stop());
    const driver = createDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret,
      fakeSlack: fake,
    });
    process.stdout.write(
      `Offline demo: sandbox scenario "${env.SANDBOX_SCENARIO}" at ${local?.sandbox.url}, fake Slack at ${fake.url}, bot on 127.0.0.1:${port}\n`,
    );
    const settle = async () => {
      const until = Date.now() + 30_000;
      await new Promise((r) => setTimeout(r, 50));
      while (bot.inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    };
    installShutdown(cleanups, log);
    await runTerminal({ driver, fake, user: DEMO_USER, channel: DEMO_CHANNEL, settle });
    await shutdown(cleanups, log, 0);
    return;
  }
  bot = createBot({ env, config, log, ports });
  const port = await bot.start(env.PORT);
  cleanups.unshift(() => bot.stop());
  log.info('bot started', {
    mode: env.socketMode ? 'socket' : 'http',
    port,
    project: config.project,
    sandbox: offline,
  });
  installShutdown(cleanups, log);
}

let stopping = false;
async function shutdown(cleanups: (() => Promise<void>)[], log: Logger, code: number): Promise<void> {
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

/** Cloud Run sends SIGTERM and waits 10 s by default; Ctrl-C sends SIGINT. */
function installShutdown(cleanups: (() => Promise<void>)[], log: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info('shutting down', { signal });
      void shutdown(cleanups, log, 0);
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
