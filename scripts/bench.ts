/**
 * `npm run bench`: measures the real app over HTTP (real Bolt, signed requests, the fake Slack,
 * the sandbox, run_history on the Firestore emulator when gcloud is installed, else in memory)
 * and prints what it measured, with the targets of issue 3 item 5:
 *
 *   (a) ack latency p50/p99 of 200 concurrent signed `/pipeline status`, beside a bare
 *       node:http server in this process that only verifies the signature;
 *   (b) time to a full status report with 200 ms added to every Google call, beside the same
 *       calls one after another and beside the longest chain of calls that depend on each other;
 *   (c) Google calls made for 50 concurrent status requests, per API, against one per component;
 *   (d) resident memory after 1,000 commands, and its growth over the last 500.
 *
 * It is a measurement, not a test: it exits 0 whatever the figures, and non-zero only when the
 * bench itself could not run. Every server and emulator it starts is stopped at the end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Firestore } from '@google-cloud/firestore';
import { gcloudAvailable, type RunningEmulators, startEmulators } from '../devstack/src/local/emulators.js';
import type { FakeSlack } from '../devstack/src/local/fake-slack.js';
import { pointAt } from '../devstack/src/local/stack.js';
import { seedRunHistory } from '../devstack/src/sandbox/firestore-seed.js';
import type { Sandbox } from '../devstack/src/sandbox/index.js';
import type { ApiName, SimRunHistoryDoc } from '../devstack/src/sandbox/state.js';
import { type Bot, buildGooglePorts, createBot } from '../src/app.js';
import { componentsOf, type Env, loadEnv, loadPipeline, type PipelineConfig } from '../src/config.js';
import type { IsoDate, RunHistoryControl, TriggerPort } from '../src/domain/ports.js';
import { fail, type Probe } from '../src/domain/result.js';
import { functionNames, type StatusPorts, serviceNames } from '../src/domain/status.js';
import { createRunHistoryAdapter, firestoreClient } from '../src/gcp/run-history.js';
import { createLogger } from '../src/log.js';
import { createMemoryRunHistory } from '../src/store/memory-run-history.js';

// ---- parameters ---------------------------------------------------------------------------------

const ACK_CONCURRENCY = 200;
const ACK_ROUNDS = 3;
const SLACK_ACK_DEADLINE_MS = 3000;
const LATENCY_MS = 200;
const REPORT_REPEATS = 3;
const SHARED_REQUESTS = 50;
const MEMORY_COMMANDS = 1000;
const MEMORY_BATCH = 20;
/** "Flat": RSS grows by less than this over the last 500 commands. */
const FLAT_PERCENT = 5;
const MEMORY_LIMIT_MB = 200;
const REPORT_DATE = '2026-01-20' as IsoDate;
const GOOGLE_APIS: ApiName[] = ['cloudRun', 'functions', 'scheduler', 'logging', 'monitoring', 'bigquery'];
type PortName = keyof StatusPorts;
const PORT_NAMES: PortName[] = [
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
/** Which sandbox API serves which port (run_history is Firestore: not in the sandbox). */
const PORT_API: Record<PortName, ApiName | undefined> = {
  cloudRun: 'cloudRun',
  functions: 'functions',
  scheduler: 'scheduler',
  dataChecks: 'bigquery',
  runHistory: undefined,
  logs: 'logging',
  monitoring: 'monitoring',
  jobs: 'cloudRun',
  tables: 'bigquery',
};

// ---- small helpers ------------------------------------------------------------------------------

const progress = (text: string) => process.stderr.write(`[bench ${elapsed()}] ${text}\n`);
const benchStart = performance.now();
const elapsed = () => `${((performance.now() - benchStart) / 1000).toFixed(1)} s`;
const ms = (n: number) => `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ms`;
const mb = (bytes: number) => bytes / 1024 / 1024;
const fmtMb = (n: number) => `${n.toFixed(1)} MB`;
const ratio = (n: number) => `${n.toFixed(2)}×`;

/** Nearest-rank percentile of `values` (not required to be sorted). */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}
const median = (values: number[]) => percentile(values, 50);

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** A forced full GC when the runtime allows it, so RSS readings are less noisy. */
const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

interface Mem {
  rss: number;
  heapUsed: number;
  /** What V8 holds for its heap (used or not). */
  heapTotal: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, ArrayBuffers). */
  external: number;
}

async function settledMemory(): Promise<Mem> {
  // Two full collections, then time for V8 to hand freed pages back (it unmaps lazily).
  for (let i = 0; i < 2; i++) {
    gc?.();
    await sleep(150);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ---- signed HTTP, the same client for the bot and the bare server ------------------------------

function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

interface Sent {
  status: number;
  /** From writing the request to the response's status line, in ms. */
  ms: number;
}

/** POST `body` signed as Slack does; a new connection per request (`agent: false`), as for each side. */
function postSigned(url: URL, secret: string, body: string): Promise<Sent> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign(secret, timestamp, body),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent: false },
      (res) => {
        const took = performance.now() - started;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: took }));
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A bare node:http server that only verifies Slack's signature and answers 200 (401 if wrong). */
async function startBareServer(secret: string): Promise<{ url: URL; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ts = String(req.headers['x-slack-request-timestamp'] ?? '');
      const given = Buffer.from(String(req.headers['x-slack-signature'] ?? ''));
      const body = Buffer.concat(chunks).toString('utf8');
      const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      const expected = Buffer.from(sign(secret, Number(ts), body));
      const good = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      res.writeHead(good ? 200 : 401);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: new URL(`http://127.0.0.1:${port}/slack/events`), server };
}

// ---- the stand-ins (sandbox + fake Slack) in a child process ----------------------------------------
//
// Google and Slack are other machines in production: here they run in a child process, so the
// bot's process (measured for memory, and for latency beside the bare server) holds only the bot,
// the bare server and the load client. The parent drives the child over IPC.

type Fault = Parameters<Sandbox['setFault']>[1];

interface StandInsReady {
  sandboxUrl: string;
  /** The fake Slack's Web API, e.g. `http://127.0.0.1:PORT/api/`. */
  slackApiUrl: string;
  identity: FakeSlack['identity'];
}

type Rpc =
  | { op: 'setFault'; api: ApiName; fault: Fault }
  | { op: 'clearFaults' }
  | { op: 'counts' }
  | { op: 'resetCounts' }
  | { op: 'responseUrls'; n: number }
  | { op: 'resetFake' }
  | { op: 'runHistoryDocs' }
  | { op: 'rss' }
  | { op: 'stop' };

/** One response_url post the fake Slack received: its status, and lines that say an API did not answer. */
interface ResponseEvent {
  event: 'response';
  status: number;
  unanswered: number;
}

const STAND_INS_FLAG = '--stand-ins';
const USER = 'U0ALICE';
const CHANNEL = 'C0OPS';

async function runStandIns(configFile: string, project: string): Promise<void> {
  // Imported here, so the bot's process never loads the stand-ins' code (nor sql.js).
  const { startSandbox } = await import('../devstack/src/sandbox/index.js');
  const { startFakeSlack } = await import('../devstack/src/local/fake-slack.js');
  const config = loadPipeline(configFile, project);
  const sandbox = await startSandbox({ config, scenario: 'jan20' });
  const fake = await startFakeSlack();
  const send = (m: unknown) => process.send?.(m);
  fake.on('call', (call) => {
    if (call.method !== 'response_url') return;
    const text = JSON.stringify(call.body);
    const event: ResponseEvent = {
      event: 'response',
      status: call.status,
      unanswered: (text.match(/no answer|API unavailable|error: /g) ?? []).length,
    };
    send(event);
  });
  const handle = async (rpc: Rpc): Promise<unknown> => {
    switch (rpc.op) {
      case 'setFault':
        sandbox.setFault(rpc.api, rpc.fault);
        return null;
      case 'clearFaults':
        sandbox.clearFaults();
        return null;
      case 'counts':
        return { ...sandbox.counts };
      case 'resetCounts':
        sandbox.resetCounts();
        return null;
      case 'responseUrls':
        return Array.from({ length: rpc.n }, () => ({
          responseUrl: fake.createResponseUrl({ channel: CHANNEL, user: USER }),
          triggerId: fake.issueTrigger(USER),
        }));
      case 'resetFake':
        fake.reset();
        return null;
      case 'runHistoryDocs':
        return sandbox.state.runHistory;
      case 'rss':
        return process.memoryUsage().rss;
      case 'stop':
        await fake.close();
        await sandbox.close();
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  process.on('message', (m: { id: number; rpc: Rpc }) => {
    handle(m.rpc).then(
      (result) => send({ id: m.id, result }),
      (error: unknown) => send({ id: m.id, error: String(error) }),
    );
  });
  // The parent went away without stopping us: go too.
  process.on('disconnect', () => process.exit(0));
  const ready: StandInsReady = { sandboxUrl: sandbox.url, slackApiUrl: fake.apiUrl, identity: fake.identity };
  send({ ready });
}

interface StandIns {
  ready: StandInsReady;
  call<T>(rpc: Rpc): Promise<T>;
  onResponse(listener: (e: ResponseEvent) => void): void;
  stop(): Promise<void>;
}

async function startStandIns(configFile: string, project: string): Promise<StandIns> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [STAND_INS_FLAG, configFile, project], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Structured clone: run_history documents carry Dates.
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((e: ResponseEvent) => void)[] = [];
  let nextId = 1;
  let exited = false;
  const ready = await new Promise<StandInsReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-ins did not start within 60 s')), 60_000);
    child.on('message', (m: { ready?: StandInsReady; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.ready);
      } else if ((m as Partial<ResponseEvent>).event === 'response') {
        for (const l of listeners) l(m as unknown as ResponseEvent);
      } else if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      }
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const error = new Error(`the stand-ins process exited (${signal ?? `code ${code}`})`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  });
  const call = <T>(rpc: Rpc): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('the stand-ins process is gone'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, rpc });
    });
  return {
    ready,
    call,
    onResponse: (l) => listeners.push(l),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await Promise.race([call({ op: 'stop' }).catch(() => undefined), sleep(5000)]);
      await Promise.race([gone, sleep(5000)]);
      if (!exited) {
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}

// ---- the app, assembled as in production but local ---------------------------------------------

interface Rig {
  config: PipelineConfig;
  standIns: StandIns;
  bot: Bot;
  appUrl: URL;
  secret: string;
  ports: StatusPorts;
  /** Calls into each port since the last reset (what the domain asked for). */
  portCalls: Record<PortName, number>;
  /** Extra latency (ms) in front of run_history, which the sandbox does not serve. */
  runHistoryLatency: { ms: number };
  runHistoryBackend: string;
  /** response_url posts seen at the fake Slack, those it refused, and lines marked unanswered. */
  responses: { seen: number; refused: number; unanswered: number };
  logs: { warnings: number; samples: string[]; lastReportMs: number | undefined };
  /** Slash command payloads as Slack sends them, each with a live response_url. */
  commandBodies(texts: string[]): Promise<string[]>;
  counts(): Promise<Record<ApiName, number>>;
}

/** Counts every call into each port and can delay them, without touching the adapters. */
function instrument(ports: StatusPorts, counts: Record<PortName, number>, delayMs: (p: PortName) => number) {
  const wrap = <T extends object>(name: PortName, port: T): T =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          counts[name]++;
          const d = delayMs(name);
          if (d > 0) await sleep(d);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return Object.fromEntries(PORT_NAMES.map((n) => [n, wrap(n, ports[n])])) as unknown as StatusPorts;
}

async function startRig(cleanups: (() => Promise<void>)[]): Promise<Rig> {
  const configFile = fileURLToPath(new URL('../config/pipeline.example.yml', import.meta.url));
  const project = `bench-${randomBytes(4).toString('hex')}`;
  let config = loadPipeline(configFile, project);

  // The stand-ins and the Firestore emulator (when gcloud is installed and none is given) start
  // side by side; run_history is otherwise kept in memory, as devstack/src/local/stack.ts does.
  const wantEmulator = !process.env.FIRESTORE_EMULATOR_HOST && gcloudAvailable();
  progress(
    `starting the stand-ins process (sandbox, fake Slack)${wantEmulator ? ' and the Firestore emulator' : ''}`,
  );
  const [standInsStart, emulatorStart] = await Promise.allSettled([
    startStandIns(configFile, project),
    wantEmulator ? startEmulators({ pubsub: false }) : Promise.resolve(undefined),
  ]);
  if (standInsStart.status === 'fulfilled') cleanups.unshift(() => standInsStart.value.stop());
  const emulators: RunningEmulators | undefined =
    emulatorStart.status === 'fulfilled' ? emulatorStart.value : undefined;
  if (emulators) cleanups.unshift(() => emulators.stop());
  if (standInsStart.status === 'rejected') throw standInsStart.reason;
  if (emulatorStart.status === 'rejected') throw emulatorStart.reason;
  const standIns = standInsStart.value;
  const { sandboxUrl, slackApiUrl, identity } = standIns.ready;
  config = pointAt(config, sandboxUrl);

  let backend = 'in memory (no gcloud)';
  if (emulators?.firestoreHost) {
    process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
    backend = `Firestore emulator at ${emulators.firestoreHost} (started by the bench)`;
  } else if (process.env.FIRESTORE_EMULATOR_HOST) {
    backend = `Firestore emulator at ${process.env.FIRESTORE_EMULATOR_HOST} (FIRESTORE_EMULATOR_HOST)`;
  }
  // run_history holds what the sandbox's scenario says, as devstack/src/local/stack.ts seeds it.
  const docs = await standIns.call<SimRunHistoryDoc[]>({ op: 'runHistoryDocs' });
  let runHistory: StatusPorts['runHistory'] & RunHistoryControl;
  if (process.env.FIRESTORE_EMULATOR_HOST) {
    const db: Firestore = firestoreClient(config.project, true);
    cleanups.unshift(() => db.terminate());
    await seedRunHistory(db, config.runHistory.collection, docs);
    runHistory = createRunHistoryAdapter({
      db,
      config: config.runHistory,
      deadlineMs: config.limits.callDeadlineMs,
    });
  } else {
    runHistory = createMemoryRunHistory(() => docs, config.runHistory);
  }

  const portCalls = Object.fromEntries(PORT_NAMES.map((n) => [n, 0])) as Record<PortName, number>;
  const runHistoryLatency = { ms: 0 };
  // The bench only reads: phase triggers (and the Pub/Sub client they need) are never called.
  const triggers: TriggerPort = { trigger: async () => fail('invalid', 'the bench triggers nothing') };
  const ports = instrument(buildGooglePorts(config, true, { runHistory, triggers }), portCalls, (p) =>
    p === 'runHistory' ? runHistoryLatency.ms : 0,
  );

  // The bot's log as in production (info, JSON lines, redaction), written nowhere: keep what we read.
  const logs: Rig['logs'] = { warnings: 0, samples: [], lastReportMs: undefined };
  const log = createLogger('info', (line) => {
    if (line.includes('"message":"status report"')) {
      logs.lastReportMs = (JSON.parse(line) as { ms?: number }).ms;
    } else if (line.includes('"severity":"WARNING"') || line.includes('"severity":"ERROR"')) {
      logs.warnings++;
      if (logs.samples.length < 5) logs.samples.push(line.slice(0, 300));
    }
  });

  const secret = randomBytes(16).toString('hex');
  const env: Env = {
    ...loadEnv({}),
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: slackApiUrl,
    demo: false,
    socketMode: false,
  };
  const bot = createBot({
    env,
    config,
    log,
    ports,
    botIdentity: { botId: identity.botId, botUserId: identity.botUserId },
    drainMs: 5000,
  });
  const port = await bot.start(0);
  cleanups.unshift(() => bot.stop());
  const appUrl = new URL(`http://127.0.0.1:${port}/slack/events`);

  const responses = { seen: 0, refused: 0, unanswered: 0 };
  standIns.onResponse((e) => {
    responses.seen++;
    if (e.status !== 200) responses.refused++;
    responses.unanswered += e.unanswered;
  });

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
    standIns,
    bot,
    appUrl,
    secret,
    ports,
    portCalls,
    runHistoryLatency,
    runHistoryBackend: backend,
    responses,
    logs,
    commandBodies,
    counts: () => standIns.call<Record<ApiName, number>>({ op: 'counts' }),
  };
}

/** Send `texts` concurrently; resolves when every ack is in and every report reached the fake Slack. */
/**
 * Send `texts` concurrently; resolves when every ack is in and, when each command posts
 * `reportsEach` reports to its response_url, when they all reached the fake Slack.
 */
async function burst(rig: Rig, texts: string[], reportsEach = 1, timeoutMs = 60_000): Promise<Sent[]> {
  const bodies = await rig.commandBodies(texts);
  const before = rig.responses.seen;
  const sent = await Promise.all(bodies.map((b) => postSigned(rig.appUrl, rig.secret, b)));
  const acked = sent.filter((s) => s.status === 200).length;
  const expected = before + acked * reportsEach;
  await until(() => rig.responses.seen >= expected, timeoutMs, `${acked} status reports in Slack`);
  return sent;
}

// ---- (a) ack latency ------------------------------------------------------------------------------

interface AckResult {
  /** `/pipeline status`: the command measured. */
  bot: number[];
  /** `/pipeline help`: Bolt and an ack with text, no work after the ack (a reference, no target). */
  help: number[];
  bare: number[];
  errors: string[];
  rounds: { botP99: number; helpP99: number; bareP99: number }[];
}

async function measureAcks(rig: Rig, bareUrl: URL): Promise<AckResult> {
  const result: AckResult = { bot: [], help: [], bare: [], errors: [], rounds: [] };
  const status = (n: number) => Array.from({ length: n }, () => '/pipeline status');
  const sendBare = async (n: number) => {
    // The same payloads the bot gets, so both sides hash and parse the same bytes.
    const bodies = await rig.commandBodies(status(n));
    return Promise.all(bodies.map((b) => postSigned(bareUrl, rig.secret, b)));
  };
  // Warm up every path (JIT, first report, clients) outside the measurement.
  await sendBare(20);
  await burst(rig, status(20));
  await burst(
    rig,
    Array.from({ length: 20 }, () => '/pipeline help'),
    0,
  );
  for (let round = 1; round <= ACK_ROUNDS; round++) {
    const bare = await sendBare(ACK_CONCURRENCY);
    const help = await burst(
      rig,
      Array.from({ length: ACK_CONCURRENCY }, () => '/pipeline help'),
      0,
    );
    // A cold cache: the burst also pays for one real report, shared by all 200.
    rig.bot.deps.statusCache.invalidate();
    const bot = await burst(rig, status(ACK_CONCURRENCY));
    const sides = { bare, help, bot };
    for (const [side, list] of Object.entries(sides)) {
      const bad = list.filter((s) => s.status !== 200);
      if (bad.length > 0) result.errors.push(`${side} round ${round}: ${bad.length} answers not 200`);
    }
    const p99 = (list: Sent[]) =>
      percentile(
        list.map((s) => s.ms),
        99,
      );
    result.bare.push(...bare.map((s) => s.ms));
    result.help.push(...help.map((s) => s.ms));
    result.bot.push(...bot.map((s) => s.ms));
    const r = { botP99: p99(bot), helpP99: p99(help), bareP99: p99(bare) };
    result.rounds.push(r);
    progress(
      `(a) round ${round}: p99 bot ${ms(r.botP99)}, bot /pipeline help ${ms(r.helpP99)}, bare ${ms(r.bareP99)}`,
    );
  }
  return result;
}

// ---- (b) report time under 200 ms per Google call -------------------------------------------------

interface TimedCall {
  label: string;
  port: PortName;
  ms: number;
  /** Google HTTP requests the call made (sandbox counts; run_history: 1 Firestore query). */
  requests: number;
  ok: boolean;
  error?: string;
}

interface ReportResult {
  e2e: number[];
  botMs: number[];
  sequential: TimedCall[];
  sequentialTotal: number;
  chain: { label: string; requests: number; runs: number[] };
  unknownLines: number;
}

/** The reads a report makes, as `gatherStatus` makes them, each as a thunk on the same ports. */
function reportCalls(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
): { label: string; port: PortName; run: () => Promise<Probe<unknown>> }[] {
  const now = new Date();
  const services = serviceNames(config);
  const fns = functionNames(config);
  const since = new Date(now.getTime() - config.limits.recentErrorsMinutes * 60_000);
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const stuckBefore = new Date(now.getTime() - config.runHistory.stuckAfterMinutes * 60_000);
  const calls: { label: string; port: PortName; run: () => Promise<Probe<unknown>> }[] = [
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
  ];
  for (const { name: job } of componentsOf(config, 'schedulerJob')) {
    calls.push({
      label: `scheduler.getJob ${job}`,
      port: 'scheduler',
      run: () => ports.scheduler.getJob(job),
    });
  }
  for (const { name: job } of componentsOf(config, 'job')) {
    calls.push({
      label: `jobs.listExecutions ${job}`,
      port: 'jobs',
      run: () => ports.jobs.listExecutions(job, 1),
    });
  }
  for (const { name: table } of componentsOf(config, 'table')) {
    calls.push({
      label: `tables.getTable ${table}`,
      port: 'tables',
      run: () => ports.tables.getTable(table),
    });
  }
  for (const c of config.dataChecks) {
    calls.push({
      label: `dataChecks.scalar ${c.id}`,
      port: 'dataChecks',
      run: () => ports.dataChecks.scalar(c.sql, date, c.id),
    });
    const e = c.expect;
    const expectedSql = 'equalsQuery' in e ? e.equalsQuery : 'minQuery' in e ? e.minQuery : undefined;
    if (expectedSql) {
      calls.push({
        label: `dataChecks.scalar ${c.id}_expected`,
        port: 'dataChecks',
        run: () => ports.dataChecks.scalar(expectedSql, date, `${c.id}_expected`),
      });
    }
  }
  calls.push(
    { label: 'runHistory.stuckRuns', port: 'runHistory', run: () => ports.runHistory.stuckRuns(stuckBefore) },
    { label: 'runHistory.runsForDate', port: 'runHistory', run: () => ports.runHistory.runsForDate(date) },
    {
      label: 'logs.errorsSince',
      port: 'logs',
      run: () => ports.logs.errorsSince(since, [...services, ...fns]),
    },
    {
      label: 'monitoring.serverErrorShare',
      port: 'monitoring',
      run: () => ports.monitoring.serverErrorShare([...services, ...fns], hourAgo),
    },
  );
  if (config.deadLetterSubscriptions.length > 0) {
    calls.push({
      label: 'monitoring.deadLetterTrend',
      port: 'monitoring',
      run: () => ports.monitoring.deadLetterTrend(config.deadLetterSubscriptions, 30),
    });
  }
  return calls;
}

const totalRequests = async (rig: Rig) => {
  const counts = await rig.counts();
  return GOOGLE_APIS.reduce((sum, a) => sum + counts[a], 0);
};

async function timeCall(rig: Rig, c: ReturnType<typeof reportCalls>[number]): Promise<TimedCall> {
  const before = await totalRequests(rig);
  const started = performance.now();
  const probe = await c.run();
  const took = performance.now() - started;
  const requests = PORT_API[c.port] === undefined ? 1 : (await totalRequests(rig)) - before;
  return {
    label: c.label,
    port: c.port,
    ms: took,
    requests,
    ok: probe.ok,
    ...(probe.ok ? {} : { error: `${probe.error.kind}: ${probe.error.message}` }),
  };
}

async function measureReport(rig: Rig): Promise<ReportResult> {
  const text = `/pipeline status ${REPORT_DATE} --fresh`;
  // Warm: one report without latency, so the first measured one pays no first-call costs.
  await burst(rig, [text]);
  for (const api of GOOGLE_APIS) {
    await rig.standIns.call({ op: 'setFault', api, fault: { latencyMs: LATENCY_MS } });
  }
  rig.runHistoryLatency.ms = LATENCY_MS;
  try {
    const e2e: number[] = [];
    const botMs: number[] = [];
    // A line whose API erred or timed out would make the figure meaningless: count them.
    const unanswered = rig.responses.unanswered;
    for (let i = 0; i < REPORT_REPEATS; i++) {
      const [body] = await rig.commandBodies([text]);
      const seen = rig.responses.seen;
      const started = performance.now();
      await postSigned(rig.appUrl, rig.secret, body ?? '');
      await until(() => rig.responses.seen > seen, 30_000, 'the report in Slack');
      e2e.push(performance.now() - started);
      if (rig.logs.lastReportMs !== undefined) botMs.push(rig.logs.lastReportMs);
    }
    const unknownLines = rig.responses.unanswered - unanswered;
    progress(`(b) report with ${LATENCY_MS} ms per call: ${e2e.map(ms).join(', ')}`);

    const calls = reportCalls(rig.ports, rig.config, REPORT_DATE);
    const sequential: TimedCall[] = [];
    const seqStart = performance.now();
    for (const c of calls) sequential.push(await timeCall(rig, c));
    const sequentialTotal = performance.now() - seqStart;
    progress(`(b) the same ${calls.length} calls one after another: ${ms(sequentialTotal)}`);

    // gatherStatus starts every call at once (a check's actual and expected queries too), so the
    // longest dependent chain is the deepest single call: the one making the most requests in
    // sequence inside its adapter (ties: the slowest). Time that call on its own.
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
    rig.runHistoryLatency.ms = 0;
  }
}

// ---- (c) calls for 50 concurrent requests ---------------------------------------------------------

interface SharedResult {
  components: Record<PortName, number>;
  portCalls: Record<PortName, number>;
  requests: Record<PortName, number>;
  /** Requests one report makes per port, from a single report measured just before. */
  oneReport: Record<PortName, number>;
  acked: number;
  refused: number;
  duplicateQueries: number;
}

function components(config: PipelineConfig): Record<PortName, number> {
  // A component is a distinct query: checks sharing an expected query run it once per report.
  const sqls = config.dataChecks.flatMap((c) => [
    c.sql,
    ...('equalsQuery' in c.expect
      ? [c.expect.equalsQuery]
      : 'minQuery' in c.expect
        ? [c.expect.minQuery]
        : []),
  ]);
  const queries = new Set(sqls).size;
  return {
    cloudRun: serviceNames(config).length,
    functions: functionNames(config).length,
    scheduler: componentsOf(config, 'schedulerJob').length,
    dataChecks: queries,
    jobs: componentsOf(config, 'job').length,
    tables: componentsOf(config, 'table').length,
    runHistory: 2,
    logs: 1,
    monitoring: 1 + (config.deadLetterSubscriptions.length > 0 ? 1 : 0),
  };
}

async function requestsByPort(rig: Rig): Promise<Record<PortName, number>> {
  const counts = await rig.counts();
  return Object.fromEntries(
    PORT_NAMES.map((p) => {
      const api = PORT_API[p];
      return [p, api ? counts[api] : rig.portCalls[p]];
    }),
  ) as Record<PortName, number>;
}

async function resetCounters(rig: Rig): Promise<void> {
  await rig.standIns.call({ op: 'resetCounts' });
  for (const p of PORT_NAMES) rig.portCalls[p] = 0;
}

async function measureShared(rig: Rig): Promise<SharedResult> {
  const text = `/pipeline status ${REPORT_DATE}`;
  // One report alone, for the baseline of requests per report.
  rig.bot.deps.statusCache.invalidate();
  await resetCounters(rig);
  await burst(rig, [text]);
  const oneReport = await requestsByPort(rig);

  rig.bot.deps.statusCache.invalidate();
  await resetCounters(rig);
  const refusedBefore = rig.responses.refused;
  const sent = await burst(
    rig,
    Array.from({ length: SHARED_REQUESTS }, () => text),
  );
  const sqls = rig.config.dataChecks.flatMap((c) => {
    const e = c.expect;
    return [c.sql, ...('equalsQuery' in e ? [e.equalsQuery] : 'minQuery' in e ? [e.minQuery] : [])];
  });
  return {
    components: components(rig.config),
    portCalls: { ...rig.portCalls },
    requests: await requestsByPort(rig),
    oneReport,
    acked: sent.filter((s) => s.status === 200).length,
    refused: rig.responses.refused - refusedBefore,
    duplicateQueries: sqls.length - new Set(sqls).size,
  };
}

// ---- (d) memory over 1,000 commands ---------------------------------------------------------------

interface MemoryResult {
  /** Right after start and one report (every client loaded), before any load. */
  idle: Mem;
  start: Mem;
  at500: Mem;
  at1000: Mem;
  standInsRss: number;
  /** RSS after each batch (no forced GC), by commands sent. */
  samples: { done: number; rss: number }[];
  reportsComputed: number;
  acked: number;
  ms: number;
}

async function measureMemory(rig: Rig, idle: Mem): Promise<MemoryResult> {
  // Three dates, two in ten with --fresh: the cache answers most, the report path runs often.
  const variants = [
    '/pipeline status',
    `/pipeline status ${REPORT_DATE}`,
    '/pipeline status yesterday',
    `/pipeline status ${REPORT_DATE} --fresh`,
    '/pipeline status',
    '/pipeline status yesterday',
    `/pipeline status ${REPORT_DATE}`,
    '/pipeline status --fresh',
    '/pipeline status yesterday',
    `/pipeline status ${REPORT_DATE}`,
  ];
  await resetCounters(rig);
  const start = await settledMemory();
  let at500 = start;
  let acked = 0;
  const samples: { done: number; rss: number }[] = [];
  const started = performance.now();
  for (let done = 0; done < MEMORY_COMMANDS; ) {
    const texts = Array.from(
      { length: MEMORY_BATCH },
      (_, i) => variants[(done + i) % variants.length] as string,
    );
    const sent = await burst(rig, texts);
    acked += sent.filter((s) => s.status === 200).length;
    done += texts.length;
    samples.push({ done, rss: process.memoryUsage().rss });
    // The fake Slack keeps a transcript of everything: drop it, to keep the stand-ins small.
    await rig.standIns.call({ op: 'resetFake' });
    if (done === MEMORY_COMMANDS / 2) {
      at500 = await settledMemory();
      progress(`(d) ${done} commands: RSS ${fmtMb(mb(at500.rss))}`);
    }
  }
  const at1000 = await settledMemory();
  progress(`(d) ${MEMORY_COMMANDS} commands: RSS ${fmtMb(mb(at1000.rss))}`);
  const services = rig.config.phases.length;
  return {
    idle,
    start,
    at500,
    at1000,
    standInsRss: await rig.standIns.call<number>({ op: 'rss' }),
    samples,
    reportsComputed: Math.round(rig.portCalls.cloudRun / Math.max(1, services)),
    acked,
    ms: performance.now() - started,
  };
}

// ---- printing ---------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

// ---- main -------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const c of cleanups.splice(0)) {
        try {
          await c();
        } catch (error) {
          progress(`cleanup step failed: ${(error as Error).message}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const out: string[] = [];
  const print = (s = '') => out.push(s);
  try {
    const rig = await startRig(cleanups);
    const bare = await startBareServer(rig.secret);
    cleanups.unshift(
      () =>
        new Promise<void>((resolve) => {
          bare.server.closeAllConnections();
          bare.server.close(() => resolve());
        }),
    );
    progress(`run_history: ${rig.runHistoryBackend}`);
    // Memory at rest: after start and one report, so every client library is loaded.
    await burst(rig, ['/pipeline status']);
    const idle = await settledMemory();

    progress(
      `(a) ${ACK_ROUNDS} rounds of ${ACK_CONCURRENCY} concurrent signed commands, bot and bare server`,
    );
    const acks = await measureAcks(rig, bare.url);
    progress('(b) report time with latency');
    const report = await measureReport(rig);
    progress(`(c) ${SHARED_REQUESTS} concurrent status requests`);
    const shared = await measureShared(rig);
    progress(`(d) ${MEMORY_COMMANDS} commands in batches of ${MEMORY_BATCH}`);
    const memory = await measureMemory(rig, idle);

    // ---- (a)
    const botP50 = percentile(acks.bot, 50);
    const botP99 = percentile(acks.bot, 99);
    const bareP50 = percentile(acks.bare, 50);
    const bareP99 = percentile(acks.bare, 99);
    const ackRatio = botP99 / bareP99;
    print(
      `(a) Ack latency, ${ACK_ROUNDS} rounds × ${ACK_CONCURRENCY} concurrent signed commands, client-side (send → HTTP status), pooled`,
    );
    print(
      table([
        ['server', 'p50', 'p99', 'max', 'per-round p99'],
        [
          'bot (Bolt, /pipeline status)',
          ms(botP50),
          ms(botP99),
          ms(Math.max(...acks.bot)),
          acks.rounds.map((r) => ms(r.botP99)).join(', '),
        ],
        [
          'bare node:http (signature only)',
          ms(bareP50),
          ms(bareP99),
          ms(Math.max(...acks.bare)),
          acks.rounds.map((r) => ms(r.bareP99)).join(', '),
        ],
        [
          'reference: bot, /pipeline help',
          ms(percentile(acks.help, 50)),
          ms(percentile(acks.help, 99)),
          ms(Math.max(...acks.help)),
          acks.rounds.map((r) => ms(r.helpP99)).join(', '),
        ],
      ]),
    );
    print(
      `p50 ratio ${ratio(botP50 / bareP50)}, p99 ratio ${ratio(ackRatio)} (target ≤ 3×); margin to Slack's 3 s ack deadline: ${ms(SLACK_ACK_DEADLINE_MS - botP99)} at p99`,
    );
    print(
      '(/pipeline help: the same Bolt app acking with text and doing nothing after the ack, so no report is built, ' +
        'rendered or posted while the other acks wait: the part of the gap that is Bolt itself. The status burst starts with an empty cache.)',
    );
    for (const e of acks.errors) print(`  ! ${e}`);
    print();

    // ---- (b)
    const reportMs = median(report.e2e);
    const chainMs = median(report.chain.runs);
    const seqRatio = report.sequentialTotal / reportMs;
    const chainRatio = reportMs / chainMs;
    print(`(b) Full status report for ${REPORT_DATE} with ${LATENCY_MS} ms added to every Google call`);
    print(
      table([
        ['measure', 'time', 'detail'],
        [
          'report by the bot (command → report in Slack)',
          ms(reportMs),
          `median of ${report.e2e.map(ms).join(', ')}; bot's own log: ${report.botMs.map(ms).join(', ')}`,
        ],
        [
          'same calls one after another',
          ms(report.sequentialTotal),
          `${report.sequential.length} calls, ${report.sequential.reduce((n, c) => n + c.requests, 0)} requests`,
        ],
        [
          'longest chain of dependent calls',
          ms(chainMs),
          `${report.chain.label}: ${report.chain.requests} requests in sequence; median of ${report.chain.runs.map(ms).join(', ')}`,
        ],
      ]),
    );
    print(
      `sequential / report ${ratio(seqRatio)} (target ≥ 5×); report / longest chain ${ratio(chainRatio)} (target ≤ 1.5×)`,
    );
    print(
      'Dependency depth (src/domain/status.ts): gatherStatus starts every port call in one Promise.all, and a ' +
        "check's actual and expected queries in parallel: 1 port call deep. Inside the adapters:",
    );
    const byPort = new Map<string, TimedCall[]>();
    for (const c of report.sequential) byPort.set(c.port, [...(byPort.get(c.port) ?? []), c]);
    print(
      table([
        ['port', 'calls', 'requests per call', 'time per call (one after another)'],
        ...[...byPort].map(([port, list]) => [
          port,
          String(list.length),
          [...new Set(list.map((c) => c.requests))].join('/'),
          list.map((c) => ms(c.ms)).join(', '),
        ]),
      ]),
    );
    const failed = report.sequential.filter((c) => !c.ok);
    for (const c of failed) print(`  ! ${c.label} failed: ${c.error}`);
    if (report.unknownLines > 0)
      print(`  ! the reports had ${report.unknownLines} lines marked as not answered`);
    print(
      `  (run_history is not in the sandbox (${rig.runHistoryBackend.replace(/ at .*$| \(.*\)$/, '')}): the bench adds the same ${LATENCY_MS} ms in front of it)`,
    );
    print();

    // ---- (c)
    const totalPortCalls = PORT_NAMES.reduce((n, p) => n + shared.portCalls[p], 0);
    const totalComponents = PORT_NAMES.reduce((n, p) => n + shared.components[p], 0);
    const totalRequests50 = PORT_NAMES.reduce((n, p) => n + shared.requests[p], 0);
    const totalOne = PORT_NAMES.reduce((n, p) => n + shared.oneReport[p], 0);
    print(
      `(c) Google calls for ${SHARED_REQUESTS} concurrent /pipeline status ${REPORT_DATE} (cache emptied first; ${shared.acked} acked, ${shared.refused} reports refused by Slack)`,
    );
    print(
      table([
        [
          'port (API)',
          'components',
          'port calls',
          'HTTP requests',
          'one report alone',
          'requests per component',
        ],
        ...PORT_NAMES.map((p) => [
          `${p} (${PORT_API[p] ?? 'firestore'})`,
          String(shared.components[p]),
          String(shared.portCalls[p]),
          PORT_API[p] ? String(shared.requests[p]) : `${shared.requests[p]} (queries)`,
          String(shared.oneReport[p]),
          (shared.requests[p] / Math.max(1, shared.components[p])).toFixed(1),
        ]),
        [
          'total',
          String(totalComponents),
          String(totalPortCalls),
          String(totalRequests50),
          String(totalOne),
          (totalRequests50 / totalComponents).toFixed(2),
        ],
      ]),
    );
    print(
      `Components from the config: ${rig.config.phases.length} services, ${functionNames(rig.config).length} functions, ` +
        `${rig.config.selfHeal ? 1 : 0} scheduler job, ${shared.components.dataChecks} distinct BigQuery queries ` +
        `(${rig.config.dataChecks.length} checks + expected), run_history, logs, ${shared.components.monitoring} Monitoring reads.`,
    );
    if (shared.duplicateQueries > 0) {
      print(
        `  note: ${shared.duplicateQueries} of the checks' queries repeat another's SQL (shared expected queries): each runs once per report`,
      );
    }
    print();

    // ---- (d)
    // Growth over the last 500: the least-squares trend of RSS after each batch (one reading per
    // batch, 25 of them), which one GC more or less cannot swing as it can a pair of readings.
    const half = MEMORY_COMMANDS / 2;
    const lastHalf = memory.samples.filter((x) => x.done > half).map((x) => ({ x: x.done, y: x.rss }));
    const growth = mb(slope(lastHalf) * half);
    const growthPct = (growth / mb(memory.at500.rss)) * 100;
    const pairGrowth = mb(memory.at1000.rss - memory.at500.rss);
    const signed = (n: number, unit: string) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}${unit}`;
    print(
      `(d) Memory of the bot's process over ${MEMORY_COMMANDS} commands (batches of ${MEMORY_BATCH}, 3 dates, 2 in 10 with --fresh): ` +
        `${memory.acked} acked, ${memory.reportsComputed} reports computed, ${(memory.ms / 1000).toFixed(1)} s`,
    );
    print(
      table([
        ['point (after a forced GC)', 'RSS', 'heap used', 'heap total', 'external'],
        ...(
          [
            ['idle (started, one report)', memory.idle],
            ['before the 1,000 (after a-c)', memory.start],
            ['after 500', memory.at500],
            ['after 1,000', memory.at1000],
          ] as const
        ).map(([label, m]) => [
          label,
          fmtMb(mb(m.rss)),
          fmtMb(mb(m.heapUsed)),
          fmtMb(mb(m.heapTotal)),
          fmtMb(mb(m.external)),
        ]),
      ]),
    );
    const every100 = memory.samples.filter((x) => x.done % 100 === 0).map((x) => mb(x.rss).toFixed(0));
    print(`RSS every 100 commands (no forced GC), MB: ${every100.join(', ')}`);
    print(
      `growth over the last 500: ${signed(growth, ' MB')} (${signed(growthPct, '%')}) by the trend of ${lastHalf.length} readings; ` +
        `${signed(pairGrowth, ' MB')} between the two readings after a forced GC; heap used ${signed(mb(memory.at1000.heapUsed - memory.at500.heapUsed), ' MB')}.`,
    );
    print(
      `The process holds the bot, the bare server and the load client (the stand-ins run in their own process: ${fmtMb(mb(memory.standInsRss))}).${gc ? '' : ' No forced GC was available.'}`,
    );
    if (rig.logs.warnings > 0) {
      print(`  ! the bot logged ${rig.logs.warnings} warnings/errors, e.g.:`);
      for (const s of rig.logs.samples) print(`    ${s}`);
    }
    print();

    // ---- summary
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    print(
      `Summary (Node ${process.version}, ${availableParallelism()} cores, ${cpu}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; run_history: ${rig.runHistoryBackend.replace(/ \(.*\)$/, '')})`,
    );
    const perComponent = PORT_NAMES.every((p) => shared.portCalls[p] === shared.components[p]);
    print(
      table([
        ['figure', 'measured', 'target', 'result'],
        [
          '(a) ack p99, bot / bare server',
          `${ms(botP99)} / ${ms(bareP99)} = ${ratio(ackRatio)}`,
          '≤ 3×',
          verdict(ackRatio <= 3),
        ],
        [
          "(a) margin to Slack's 3 s ack",
          ms(SLACK_ACK_DEADLINE_MS - botP99),
          '> 0',
          verdict(botP99 < SLACK_ACK_DEADLINE_MS),
        ],
        [
          '(b) sequential / report',
          `${ms(report.sequentialTotal)} / ${ms(reportMs)} = ${ratio(seqRatio)}`,
          '≥ 5×',
          verdict(seqRatio >= 5),
        ],
        [
          '(b) report / longest chain',
          `${ms(reportMs)} / ${ms(chainMs)} = ${ratio(chainRatio)}`,
          '≤ 1.5×',
          verdict(chainRatio <= 1.5),
        ],
        [
          `(c) port calls for ${SHARED_REQUESTS} requests`,
          `${totalPortCalls} for ${totalComponents} components`,
          '1 per component',
          verdict(perComponent),
        ],
        [
          `(c) HTTP requests for ${SHARED_REQUESTS} requests`,
          `${totalRequests50} (one report alone: ${totalOne})`,
          `${totalComponents} (1 per component)`,
          verdict(totalRequests50 === totalComponents),
        ],
        [
          `(d) RSS after ${MEMORY_COMMANDS.toLocaleString('en')} commands`,
          `${fmtMb(mb(memory.at1000.rss))} (idle: ${fmtMb(mb(memory.idle.rss))})`,
          `< ${MEMORY_LIMIT_MB} MB`,
          verdict(mb(memory.at1000.rss) < MEMORY_LIMIT_MB),
        ],
        [
          '(d) RSS growth over the last 500',
          `${signed(growth, ' MB')} (${signed(growthPct, '%')})`,
          `flat (< ${FLAT_PERCENT}%)`,
          verdict(growthPct < FLAT_PERCENT),
        ],
      ]),
    );
    print(`Total bench time ${elapsed()}.`);
  } catch (error) {
    process.stderr.write(
      `bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanup();
    return 1;
  }
  progress('stopping');
  await cleanup();
  process.stdout.write(`\n${out.join('\n')}\n`);
  return 0;
}

const role = process.argv.indexOf(STAND_INS_FLAG);
const run =
  role >= 0
    ? runStandIns(process.argv[role + 1] ?? '', process.argv[role + 2] ?? '').then(() => undefined)
    : main();
run.then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String(error)}\n`);
    process.exit(1);
  },
);
