/**
 * Entry point. With Slack credentials: the bot, on Google (or on the sandbox with SANDBOX=1).
 * Without any: the offline demo (sandbox, emulators when present, fake Slack, a terminal).
 */
import { randomBytes } from 'node:crypto';
import { fstatSync } from 'node:fs';
import {
  type Bot,
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
import { mountConsole } from './local/console/server.js';
import { createDriver } from './local/driver.js';
import { FakeSlack } from './local/fake-slack.js';
import { type LocalStack, startLocalStack } from './local/stack.js';
import { runTerminal } from './local/terminal.js';
import { createLogger, type Logger } from './log.js';

const DEMO_USER = 'U0ALICE';
const DEMO_CHANNEL = 'C0OPS';
/** The console's user switcher: enough people to walk a two-person approval. */
const DEMO_USERS = [
  { id: 'U0ALICE', name: 'Alice', role: 'requester' },
  { id: 'U0BOB', name: 'Bob', role: 'on-call approver' },
  { id: 'U0CAROL', name: 'Carol', role: 'not on call' },
];

async function main(): Promise<void> {
  let env: Env;
  let config: PipelineConfig;
  try {
    env = loadEnv();
    config = loadPipeline(env.PIPELINE_CONFIG, env.GOOGLE_CLOUD_PROJECT);
    if (env.production) assertProductionPipeline(config, env.PIPELINE_CONFIG);
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
  let overrides: GoogleOverrides = {};
  const offline = env.demo || env.SANDBOX === '1';
  if (offline) {
    local = await startLocalStack({ config, scenario: env.SANDBOX_SCENARIO, log });
    cleanups.push(() => local!.stop());
    config = local.config;
    overrides = local.overrides;
  }
  const side = buildGoogle(config, offline, overrides);
  const ports = side.ports;
  const guarded = {
    ...buildState(side.db, systemClock),
    executors: buildExecutors(config, side),
    jobs: side.controls.jobs,
  };
  let bot: Bot;
  if (env.demo) {
    // The console is served by the fake Slack: it gets PORT (3000 by default).
    const fake = new FakeSlack();
    const consolePort = await listenOrFallBack(fake, env.PORT);
    cleanups.unshift(() => fake.close());
    for (const u of DEMO_USERS) fake.setUser({ id: u.id, name: u.name.toLowerCase(), real_name: u.name });
    const onCall = config.access.approvers.userGroup ?? 'S0ONCALL01';
    fake.setUsergroup(onCall, ['U0BOB']);
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
      guarded,
      botIdentity: { botId: fake.identity.botId, botUserId: fake.identity.botUserId },
    });
    const port = await bot.start(0);
    cleanups.unshift(() => bot.stop());
    const driver = createDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret,
      fakeSlack: fake,
    });
    const web = mountConsole(fake, {
      driver,
      sandboxUrl: local?.sandbox.url ?? '',
      manifestPath: new URL('../manifest.yml', import.meta.url).pathname,
      users: DEMO_USERS,
      channel: DEMO_CHANNEL,
      usergroups: [{ id: onCall, handle: 'oncall' }],
    });
    cleanups.unshift(async () => web.close());
    process.stdout.write(
      `Offline demo: sandbox scenario "${env.SANDBOX_SCENARIO}" at ${local?.sandbox.url}, fake Slack at ${fake.url}, bot on 127.0.0.1:${port}\n`,
    );
    if (env.PORT !== 0 && consolePort !== env.PORT)
      process.stdout.write(`Port ${env.PORT} is busy: the console uses ${consolePort}.\n`);
    process.stdout.write(`\n  Console: ${web.url}\n\n`);
    const settle = async () => {
      const until = Date.now() + 30_000;
      await new Promise((r) => setTimeout(r, 50));
      while (bot.inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    };
    installShutdown(cleanups, log);
    if (!wantTerminal()) {
      process.stdout.write('Open the console in a browser. Ctrl-C stops everything.\n');
      return;
    }
    await runTerminal({ driver, fake, user: DEMO_USER, channel: DEMO_CHANNEL, settle });
    await shutdown(cleanups, log, 0);
    return;
  }
  bot = createBot({ env, config, log, ports, guarded });
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

/** Listen on `port`, or on any free port when it is taken. Resolves with the port listened on. */
async function listenOrFallBack(fake: FakeSlack, port: number): Promise<number> {
  try {
    await fake.listen(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await fake.listen(0);
  }
  return Number(new URL(fake.url).port);
}

/**
 * The terminal runs when someone can type (a TTY) or something is piped in; with stdin at
 * /dev/null (a background `npm start`) only the console runs. DEMO_TERMINAL=1 or 0 decides instead.
 */
function wantTerminal(): boolean {
  if (process.env.DEMO_TERMINAL === '1') return true;
  if (process.env.DEMO_TERMINAL === '0') return false;
  if (process.stdin.isTTY) return true;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
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

/**
 * Cloud Run sends SIGTERM and waits 10 s by default; Ctrl-C sends SIGINT. `on`, not `once`: a
 * repeated signal (tsx relays SIGTERM again when its child is slow to acknowledge it, and
 * people press Ctrl-C twice) would otherwise find no listener and kill the drain mid-way.
 */
function installShutdown(cleanups: (() => Promise<void>)[], log: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (!stopping) log.info('shutting down', { signal });
      void shutdown(cleanups, log, 0);
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
