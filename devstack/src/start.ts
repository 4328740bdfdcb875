/**
 * `npm start`: what a newcomer runs. With no Slack credentials, the offline demo (sandbox,
 * emulators when present, fake Slack, the web console and a terminal); with `SANDBOX=1`, the bot
 * on real Slack against the sandbox; with credentials alone, the bot as production runs it.
 * Production itself runs the compiled src/main.ts and never loads this package.
 */
import { randomBytes } from 'node:crypto';
import { fstatSync } from 'node:fs';
import type { Env } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import {
  exitOnFatal,
  exitWithConfigError,
  installShutdown,
  loadConfigurationOrExit,
  shutdown,
  startBot,
} from '../../src/run.js';
import { mountConsole } from './local/console/server.js';
import { createDriver } from './local/driver.js';
import { FakeSlack } from './local/fake-slack.js';
import { startLocalStack } from './local/stack.js';
import { runTerminal } from './local/terminal.js';
import { describeTimeline, parseTimelineSetting } from './sandbox/timeline.js';

const DEMO_USER = 'U0ALICE';
const DEMO_CHANNEL = 'C0OPS';
/** The console's user switcher: enough people to walk a two-person approval. */
const DEMO_USERS = [
  { id: 'U0ALICE', name: 'Alice', role: 'requester' },
  { id: 'U0BOB', name: 'Bob', role: 'on-call approver' },
  { id: 'U0CAROL', name: 'Carol', role: 'not on call' },
];

async function main(): Promise<void> {
  const { env, config: loaded } = loadConfigurationOrExit();
  if (env.production) {
    exitWithConfigError(
      '`npm start` is the development stack; production runs the build (`node dist/main.js`).',
    );
  }
  // The demo's own log lines would drown the terminal: warnings and errors only, unless asked.
  const log = createLogger(env.demo && !process.env.LOG_LEVEL ? 'warn' : env.LOG_LEVEL);
  const cleanups: (() => Promise<void>)[] = [];
  const offline = env.demo || env.SANDBOX === '1';
  const local = offline
    ? await startLocalStack({
        config: loaded,
        scenario: env.SANDBOX_SCENARIO,
        log,
        timeline: timelineOrExit(),
      })
    : undefined;
  if (local) cleanups.push(() => local.stop());
  const stackConfig = local?.config ?? loaded;
  // The demo's alerts go where its people are: the console's channel.
  const config =
    env.demo && stackConfig.alerts
      ? { ...stackConfig, alerts: { ...stackConfig.alerts, channel: DEMO_CHANNEL } }
      : stackConfig;
  const overrides = local?.overrides ?? {};
  if (!env.demo) {
    const { bot, port } = await startBot({ env, config, log, port: env.PORT, offline, overrides });
    cleanups.unshift(() => bot.stop());
    log.info('bot started', {
      mode: env.socketMode ? 'socket' : 'http',
      port,
      project: config.project,
      sandbox: offline,
    });
    installShutdown(cleanups, log);
    return;
  }
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
    // The watch speaks on its own in the demo: an alert shows within a minute of a fault.
    WATCH_INTERVAL_SECONDS: env.WATCH_INTERVAL_SECONDS ?? 30,
    demo: true,
  };
  const { bot, port } = await startBot({
    env: demoEnv,
    config,
    log,
    port: 0,
    offline: true,
    overrides,
    botIdentity: { botId: fake.identity.botId, botUserId: fake.identity.botUserId },
  });
  cleanups.unshift(() => bot.stop());
  const driver = createDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret,
    fakeSlack: fake,
  });
  const web = mountConsole(fake, {
    driver,
    sandboxUrl: local?.sandbox.url ?? '',
    manifestPath: new URL('../../manifest.yml', import.meta.url).pathname,
    users: DEMO_USERS,
    channel: DEMO_CHANNEL,
    usergroups: [{ id: onCall, handle: 'oncall' }],
  });
  cleanups.unshift(async () => web.close());
  process.stdout.write(
    `Offline demo: sandbox scenario "${env.SANDBOX_SCENARIO}" at ${local?.sandbox.url}, fake Slack at ${fake.url}, bot on 127.0.0.1:${port}\n`,
  );
  const timeline = local?.sandbox.state.timeline;
  if (timeline) {
    const t = describeTimeline(timeline, new Date());
    const next =
      t.next?.inMs != null ? `"${t.next.name}" in ${Math.round(t.next.inMs / 1000)} s` : 'when stepped';
    process.stdout.write(
      `Timeline: stage "${t.stage}", the next ${next} (SANDBOX_TIMELINE); the console's sandbox panel steps it.\n`,
    );
  }
  if (env.PORT !== 0 && consolePort !== env.PORT) {
    process.stdout.write(`Port ${env.PORT} is busy: the console uses ${consolePort}.\n`);
  }
  process.stdout.write(`\n  Console: ${web.url}\n\n`);
  installShutdown(cleanups, log);
  if (!wantTerminal()) {
    process.stdout.write('Open the console in a browser. Ctrl-C stops everything.\n');
    return;
  }
  const settle = async () => {
    const until = Date.now() + 30_000;
    await new Promise((r) => setTimeout(r, 50));
    while (bot.inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  };
  await runTerminal({ driver, fake, user: DEMO_USER, channel: DEMO_CHANNEL, settle });
  await shutdown(cleanups, log, 0);
}

/** `SANDBOX_TIMELINE` (default `auto`: a scenario's stages begin by themselves); a bad value stops the start. */
function timelineOrExit() {
  const parsed = parseTimelineSetting(process.env.SANDBOX_TIMELINE);
  if (!parsed.ok) exitWithConfigError(parsed.message);
  return parsed.value;
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

main().catch(exitOnFatal);
