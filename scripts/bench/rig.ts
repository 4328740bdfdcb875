/**
 * Everything the measurements run against: the Firestore emulator, the stand-ins' process, the
 * compiled bot in its own process, the bare reference server and the load client, each in a
 * process of its own, on 127.0.0.1. `startRig` registers a cleanup for each as it starts it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, gcloudAvailable, startEmulators } from '../../devstack/src/local/emulators.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { CHANNEL, progress, USER, until } from './common.js';
import type { Sent } from './load-client.js';
import {
  type BareServer,
  type BotProcess,
  buildProduct,
  type LoadClient,
  root,
  startBareServer,
  startBot,
  startLoadClient,
} from './processes.js';
import { type SandboxCounts, type StandIns, startStandIns } from './stand-ins.js';

export type Cleanup = () => Promise<unknown>;

/** What the bot's log said, read from its stdout. */
export interface BotLog {
  warnings: number;
  samples: string[];
  /** `ms` of each "status report" line, in order. */
  reportMs: number[];
}

export interface Bot {
  process: BotProcess;
  log: BotLog;
  url: string;
}

export interface Rig {
  config: PipelineConfig;
  configFile: string;
  buildDir: string;
  /** What tsc said about the tree when it compiled it (empty: no type errors). */
  typeErrors: string;
  emulatorHost: string;
  standIns: StandIns;
  bare: BareServer;
  load: LoadClient;
  secret: string;
  /** response_url posts seen at the fake Slack, those it refused, and lines marked unanswered. */
  responses: { seen: number; refused: number; unanswered: number };
  /** The bot's environment (without PORT): what `startBotProcess` passes. */
  botEnv: Record<string, string>;
  /** Start a bot process, stopped at cleanup if not before. */
  startBotProcess(): Promise<Bot>;
  commandBodies(texts: string[]): Promise<string[]>;
  counts(): Promise<SandboxCounts>;
}

/** The example pipeline with its project replaced and every endpoint at the sandbox. */
function writePipeline(dir: string, project: string, sandboxUrl: string): string {
  let text = readFileSync(join(root, 'config/pipeline.example.yml'), 'utf8');
  text = text.replace(/^project: .*$/m, `project: ${project}`);
  const apis = ['cloudRun', 'functions', 'scheduler', 'logging', 'monitoring', 'bigquery'];
  text += `\nendpoints:\n${apis.map((a) => `  ${a}: ${sandboxUrl}`).join('\n')}\n`;
  const file = join(dir, 'pipeline.yml');
  writeFileSync(file, text);
  return file;
}

function readLog(bot: BotProcess): BotLog {
  const log: BotLog = { warnings: 0, samples: [], reportMs: [] };
  bot.onLogLine((line) => {
    if (line.includes('"message":"status report"')) {
      const ms = (JSON.parse(line) as { ms?: number }).ms;
      if (typeof ms === 'number') log.reportMs.push(ms);
    } else if (line.includes('"severity":"WARNING"') || line.includes('"severity":"ERROR"')) {
      log.warnings++;
      if (log.samples.length < 5) log.samples.push(line.slice(0, 300));
    }
  });
  return log;
}

export async function startRig(cleanups: Cleanup[]): Promise<Rig> {
  if (!gcloudAvailable()) {
    throw new Error(
      'the bench runs the production build against the Firestore emulator: install the Google Cloud SDK (gcloud)',
    );
  }
  const project = `bench-${randomBytes(4).toString('hex')}`;
  progress('compiling the product (tsc -p tsconfig.build.json) and starting the Firestore emulator');
  const [building, starting] = await Promise.allSettled([buildProduct(), startEmulators({ pubsub: false })]);
  if (building.status === 'fulfilled') cleanups.unshift(async () => building.value.remove());
  if (starting.status === 'fulfilled') cleanups.unshift(() => starting.value.stop());
  if (building.status === 'rejected') throw building.reason;
  if (starting.status === 'rejected') throw starting.reason;
  const built = building.value;
  const emulators = starting.value;
  if (built.typeErrors) {
    progress(
      `the build reported type errors (measuring what tsc emitted anyway):\n${built.typeErrors.trim()}`,
    );
  }
  const emulatorHost = emulators.firestoreHost ?? '';

  progress('starting the stand-ins process (sandbox, fake Slack)');
  const example = join(root, 'config/pipeline.example.yml');
  const standIns = await startStandIns(example, project, emulatorHost);
  cleanups.unshift(() => standIns.stop());
  const configFile = writePipeline(built.dir, project, standIns.ready.sandboxUrl);
  const config = loadPipeline(configFile);

  const secret = randomBytes(16).toString('hex');
  const [bare, load] = await Promise.all([startBareServer(secret), startLoadClient()]);
  cleanups.unshift(() => bare.stop());
  cleanups.unshift(() => load.stop());

  // dist/main.js as the image runs it, except NODE_ENV: production mode refuses the sandbox's
  // plain-http endpoints (config.ts assertProductionPipeline), so this is development mode with
  // the production entry, Firestore state and real client libraries.
  const botEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: standIns.ready.slackApiUrl,
    PIPELINE_CONFIG: configFile,
    FIRESTORE_EMULATOR_HOST: emulatorHost,
    LOG_LEVEL: 'info',
    NODE_ENV: 'development',
    BENCH_RUN_HISTORY_COLLECTION: config.runHistory.collection,
  };
  const startBotProcess = async (): Promise<Bot> => {
    const port = await freePort();
    const proc = await startBot(built.dir, { ...botEnv, PORT: String(port) });
    const stop = () => proc.stop();
    cleanups.unshift(stop);
    return { process: proc, log: readLog(proc), url: `http://127.0.0.1:${port}/slack/events` };
  };

  const responses = { seen: 0, refused: 0, unanswered: 0 };
  standIns.onResponse((e) => {
    responses.seen++;
    if (e.status !== 200) responses.refused++;
    responses.unanswered += e.unanswered;
  });

  const { identity } = standIns.ready;
  const commandBodies = async (texts: string[]): Promise<string[]> => {
    const urls = await standIns.call<{ responseUrl: string; triggerId: string }[]>({
      op: 'responseUrls',
      n: texts.length,
    });
    return texts.map((text, i) => {
      const match = /^(\/\S+)\s*(.*)$/.exec(text);
      const payload: Record<string, string> = {
        token: 'bench-verification-token',
        team_id: identity.teamId,
        team_domain: identity.teamDomain,
        channel_id: CHANNEL,
        channel_name: 'ops',
        user_id: USER,
        user_name: 'alice',
        command: match?.[1] ?? text,
        text: match?.[2] ?? '',
        api_app_id: identity.appId,
        is_enterprise_install: 'false',
        response_url: urls[i]?.responseUrl ?? '',
        trigger_id: urls[i]?.triggerId ?? '',
      };
      return new URLSearchParams(payload).toString();
    });
  };

  return {
    config,
    configFile,
    buildDir: built.dir,
    typeErrors: built.typeErrors,
    emulatorHost,
    standIns,
    bare,
    load,
    secret,
    responses,
    botEnv,
    startBotProcess,
    commandBodies,
    counts: () => standIns.call({ op: 'counts' }),
  };
}

/** Until the bot's /healthz says no listener is at work (the claims after a burst of acks, say). */
export async function settled(bot: Bot, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${bot.process.port}/healthz`);
    const { inFlight } = (await res.json()) as { inFlight?: number };
    if (inFlight === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the bot still had ${inFlight} listeners at work after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Send `texts` at once from the load client to `bot`; resolves when every ack is in and, when
 * each command posts `reportsEach` reports to its response_url, when they all reached the fake Slack.
 */
export async function burst(
  rig: Rig,
  bot: Bot,
  texts: string[],
  reportsEach = 1,
  timeoutMs = 120_000,
): Promise<Sent[]> {
  const bodies = await rig.commandBodies(texts);
  const before = rig.responses.seen;
  const sent = await rig.load.send(bot.url, rig.secret, bodies);
  const acked = sent.filter((s) => s.status === 200).length;
  const expected = before + acked * reportsEach;
  await until(() => rig.responses.seen >= expected, timeoutMs, `${acked * reportsEach} reports in Slack`);
  // What the commands do after their report (or after their ack when they post none) is done too.
  await settled(bot, timeoutMs);
  return sent;
}
