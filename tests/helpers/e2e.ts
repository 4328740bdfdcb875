/**
 * The whole bot, as in production but local: the real Bolt app over signed HTTP (or Socket
 * Mode), the fake Slack, the sandbox for Google's REST APIs and the Firestore emulator from
 * the global setup. Each call gets its own Google project id, so tests never share data.
 */
import { createHmac } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { createDriver, type Driver } from '../../devstack/src/local/driver.js';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { type FakeSlack, startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import { pointAt } from '../../devstack/src/local/stack.js';
import { seedRunHistory } from '../../devstack/src/sandbox/firestore-seed.js';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { wirePubSubPush } from '../../devstack/src/sandbox/processors.js';
import type { ScenarioName } from '../../devstack/src/sandbox/scenarios.js';
import {
  type Bot,
  buildExecutors,
  buildGoogle,
  buildState,
  createBot,
  type GoogleOverrides,
  type GoogleSide,
} from '../../src/app.js';
import { type Env, loadEnv, loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { Clock } from '../../src/domain/ports.js';
import type { StatusPorts } from '../../src/domain/status.js';
import type { OidcVerifier } from '../../src/gcp/oidc.js';
import { firestoreClient } from '../../src/gcp/run-history.js';
import { pubsubClient } from '../../src/gcp/triggers.js';
import { createLogger, type Logger } from '../../src/log.js';
import { buildAlerts } from '../../src/run.js';
import { testProjectId } from './firestore.js';

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789';

/** A heartbeat or message update started just before shutdown may still be on its way to Firestore. */
const settleWrites = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * Count the client's transactions in flight, so teardown can wait for them: Firestore rejects a
 * transaction's retry with "client has already been terminated" outside any caller's reach.
 */
function trackTransactions(db: Firestore | undefined): () => Promise<void> {
  if (!db) return async () => {};
  let open = 0;
  const run = db.runTransaction.bind(db);
  db.runTransaction = ((fn: Parameters<typeof run>[0], options?: Parameters<typeof run>[1]) => {
    open++;
    return run(fn, options).finally(() => open--);
  }) as typeof db.runTransaction;
  return async () => {
    const until = Date.now() + 15_000;
    while (open > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  };
}

export interface E2E {
  config: PipelineConfig;
  sandbox: Sandbox;
  fake: FakeSlack;
  bot: Bot;
  driver: Driver;
  ports: StatusPorts;
  side: GoogleSide;
  port?: number;
  /** Structured log lines the bot wrote. */
  logs: Record<string, unknown>[];
  /** Another bot process on the same Firestore, Slack and sandbox: its own engine and HTTP port. */
  secondInstance(): Promise<{ bot: Bot; driver: Driver; stop(): Promise<void> }>;
  /** The most recent guarded request (any kind). */
  guardedRequest(): Promise<import('../../src/domain/requests.js').GuardedRequest>;
  stop(): Promise<void>;
}

export interface E2EOptions {
  scenario?: ScenarioName;
  /** Change the parsed config (limits, access, …) before anything starts. */
  patch?: (config: PipelineConfig) => PipelineConfig;
  socketMode?: boolean;
  clock?: Clock;
  ports?: GoogleOverrides;
  /** Engine timings (short in tests). */
  staleAfterMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  /** Members of the approvers' user group (the on-call group) in the fake Slack. */
  onCall?: string[];
  /**
   * The watch: alerts in C0OPS from the Firestore alert store (one collection per test, shared by
   * a second instance), and the verifier of `POST /tasks/watch` when given.
   */
  alerts?: { verifier?: OidcVerifier };
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  let config = loadPipeline('config/pipeline.example.yml', testProjectId());
  if (opts.alerts && config.alerts) config = { ...config, alerts: { ...config.alerts, channel: 'C0OPS' } };
  if (opts.patch) config = opts.patch(config);
  const db = firestoreClient(config.project, true);
  const sandbox = await startSandbox({
    config,
    scenario: opts.scenario ?? 'jan20',
    onScenario: (state) => seedRunHistory(db, config.runHistory.collection, state.runHistory),
  });
  config = pointAt(config, sandbox.url);
  // The self-heal job's next run is a real 12:45 in New York: keep it out of the tests' heals
  // unless a test sets it (tests/e2e/self-heal.test.ts does).
  for (const job of sandbox.state.schedulerJobs.values())
    job.nextRunTime = new Date(Date.now() + 6 * 3_600_000);
  // Pub/Sub-triggered phases reach the sandbox's processors through an emulator push subscription.
  const pubsub = pubsubClient(config.project, true);
  await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
  const fake = await startFakeSlack();
  if (opts.onCall) fake.setUsergroup(config.access.approvers.userGroup ?? 'S0ONCALL01', opts.onCall);
  const logs: Record<string, unknown>[] = [];
  const log: Logger = createLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const base = loadEnv({});
  const env: Env = {
    ...base,
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    demo: false,
    ...(opts.socketMode ? { SLACK_APP_TOKEN: 'xapp-e2e', socketMode: true } : { socketMode: false }),
  };
  const side = buildGoogle(config, true, opts.ports ?? {});
  const transactionsDone = trackTransactions(side.db);
  const ports = side.ports;
  const state = buildState(side.db, opts.clock ?? { now: () => new Date() });
  // Each test has its own project, so the alert store's own collection is the test's alone.
  const alertsFor = (db: Firestore | undefined, instanceId: string) => {
    const built = opts.alerts ? buildAlerts(config, db, instanceId) : undefined;
    if (!built) return {};
    const { verifier: _google, ...rest } = built;
    return { alerts: { ...rest, ...(opts.alerts?.verifier ? { verifier: opts.alerts.verifier } : {}) } };
  };
  const bot = createBot({
    ...alertsFor(side.db, 'e2e-1'),
    env,
    config,
    log,
    ports,
    ...(opts.clock ? { clock: opts.clock } : {}),
    botIdentity: { botId: fake.identity.botId, botUserId: fake.identity.botUserId },
    drainMs: 15_000,
    // Socket Mode still serves /healthz: on any free port here.
    ...(opts.socketMode ? { socketPort: 0 } : {}),
    guarded: {
      ...state,
      executors: buildExecutors(config, side, { pollMs: opts.pollMs ?? 100, backfillPollMs: 100 }),
      jobs: side.controls.jobs,
      staleAfterMs: opts.staleAfterMs ?? 30_000,
      heartbeatMs: opts.heartbeatMs ?? 1000,
      sweepMs: 0,
    },
  });
  const port = await bot.start(0);
  const driver = opts.socketMode
    ? createDriver({ via: 'socket', fakeSlack: fake })
    : createDriver({
        appUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        fakeSlack: fake,
      });
  return {
    config,
    sandbox,
    fake,
    bot,
    driver,
    ports,
    side,
    ...(port !== undefined ? { port } : {}),
    logs,
    async secondInstance() {
      const side2 = buildGoogle(config, true, opts.ports ?? {});
      const transactions2Done = trackTransactions(side2.db);
      const bot2 = createBot({
        ...alertsFor(side2.db, 'e2e-2'),
        env,
        config,
        log,
        ports: side2.ports,
        ...(opts.clock ? { clock: opts.clock } : {}),
        botIdentity: { botId: fake.identity.botId, botUserId: fake.identity.botUserId },
        drainMs: 2000,
        guarded: {
          ...buildState(side2.db, opts.clock ?? { now: () => new Date() }),
          executors: buildExecutors(config, side2, { pollMs: opts.pollMs ?? 100, backfillPollMs: 100 }),
          jobs: side2.controls.jobs,
          staleAfterMs: opts.staleAfterMs ?? 30_000,
          heartbeatMs: opts.heartbeatMs ?? 1000,
          sweepMs: 0,
        },
      });
      const port2 = await bot2.start(0);
      const driver2 = createDriver({
        appUrl: `http://127.0.0.1:${port2}/slack/events`,
        signingSecret: SIGNING_SECRET,
        fakeSlack: fake,
      });
      return {
        bot: bot2,
        driver: driver2,
        async stop() {
          await bot2.stop();
          await bot2.engine.idle();
          await settleWrites();
          await transactions2Done();
          await side2.db?.terminate();
        },
      };
    },
    async guardedRequest() {
      const [r] = await bot.deps.guarded.store.list({ limit: 1 });
      if (!r) throw new Error('no guarded request stored');
      return r;
    },
    async stop() {
      await bot.stop();
      // Firestore leaks a rejection when terminated under a transaction: let every run end first.
      await bot.engine.idle();
      await settleWrites();
      await fake.close();
      await sandbox.close();
      await db.terminate();
      await transactionsDone();
      await side.db?.terminate();
      await pubsub.close();
    },
  };
}

/** All text of a recorded message's blocks, for assertions. */
export function blockText(blocks: unknown): string {
  return JSON.stringify(blocks ?? [])
    .replaceAll('\\n', '\n')
    .replaceAll('\\"', '"');
}

/** Open /heal for a date as `user` and submit the plan modal; returns the approval message ts. */
export async function requestHeal(e: E2E, date: string, user: string, steps?: string[]): Promise<string> {
  const start = e.fake.mark();
  await e.driver.command(`/heal ${date}`, { userId: user, channelId: 'C0OPS' });
  const updated = await e.fake.waitForCall(
    'views.update',
    (c: RecordedCall) => blockText(c.body.view).includes('plan_steps'),
    {
      since: start,
      timeoutMs: 20_000,
    },
  );
  await e.driver.submitView(
    (updated.response.view as { id: string }).id,
    steps ? { plan_steps: { plan_steps_input: steps } } : {},
    user,
  );
  const approval = await e.fake.waitForCall(
    'chat.postMessage',
    (c) => blockText(c.body.blocks).includes('approval needed'),
    {
      since: start,
      timeoutMs: 10_000,
    },
  );
  return (approval.response as { ts: string }).ts;
}

/**
 * A POST of `body` to the bot's /slack/events, signed with SIGNING_SECRET as Slack signs
 * (docs.slack.dev/authentication/verifying-requests-from-slack): the response status.
 */
export async function postSigned(env: E2E, body: string, contentType: string): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const res = await fetch(`http://127.0.0.1:${env.port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    body,
  });
  return res.status;
}

/** A signed Events API delivery, as Slack sends it. */
export async function sendEvent(env: E2E, event: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: env.fake.identity.teamId,
    api_app_id: env.fake.identity.appId,
    event_id: `Ev${Date.now()}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
  return postSigned(env, body, 'application/json');
}
