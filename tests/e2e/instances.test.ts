/**
 * Two bot processes side by side, as Cloud Run runs them: one Firestore emulator, one Pub/Sub
 * emulator, one sandbox, one fake Slack; commands and clicks spread over both. 20 approvals
 * across both start one run; a runner killed mid-step (SIGKILL) is shown interrupted by the
 * other within the stale window and resumed there with a click; a runner stopped by SIGTERM
 * hands its run over and the other resumes it on its own. No trigger reaches a processor twice.
 */

import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDriver, type Driver } from '../../devstack/src/local/driver.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import type { Sandbox } from '../../devstack/src/sandbox/index.js';
import { wirePubSubPush } from '../../devstack/src/sandbox/processors.js';
import { createFirestoreAuditLog, createFirestoreRequestStore } from '../../src/store/firestore-requests.js';
import { blockText } from '../helpers/e2e.js';
import { firestoreHost, pubsubHost, testPubSub } from '../helpers/firestore.js';
import {
  freePort,
  killAll,
  type Proc,
  pipelineYaml,
  run as runProcess,
  seededSandbox,
  waitForHealthz,
} from '../helpers/process.js';

const SECRET = 'instances-test-signing-secret';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const STALE_MS = 3000;
const SWEEP_MS = 1000;
const DATE = '2026-01-20';

interface Stack {
  project: string;
  db: Firestore;
  pubsub: PubSub;
  sandbox: Sandbox;
  fake: FakeSlack;
  yaml: string;
}

interface Instance {
  proc: Proc;
  driver: Driver;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stack(): Promise<Stack> {
  const { project, db, config, sandbox } = await seededSandbox();
  // The self-heal job's real next run would join the heal plan: keep it hours away.
  for (const job of sandbox.state.schedulerJobs.values())
    job.nextRunTime = new Date(Date.now() + 6 * 3_600_000);
  const pubsub = testPubSub(project);
  cleanups.push(() => pubsub.close());
  await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
  const fake = await startFakeSlack();
  cleanups.push(() => fake.close());
  fake.setUsergroup('S0ONCALL01', [BOB]);
  const yaml = pipelineYaml({ project, sandboxUrl: sandbox.url });
  return { project, db, pubsub, sandbox, fake, yaml };
}

async function instance(s: Stack): Promise<Instance> {
  const port = await freePort();
  const proc = runProcess('src/main.ts', {
    SLACK_BOT_TOKEN: 'xoxb-instances-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: s.fake.apiUrl,
    PORT: String(port),
    PIPELINE_CONFIG: s.yaml,
    FIRESTORE_EMULATOR_HOST: firestoreHost(),
    PUBSUB_EMULATOR_HOST: pubsubHost(),
    LOG_LEVEL: 'info',
    GUARDED_STALE_AFTER_MS: String(STALE_MS),
    GUARDED_HEARTBEAT_MS: '500',
    GUARDED_SWEEP_MS: String(SWEEP_MS),
  });
  await waitForHealthz(port, proc);
  const driver = createDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SECRET,
    fakeSlack: s.fake,
  });
  return { proc, driver };
}

/** `/heal` typed on `a`, its modal submitted on `b`; the approval message's ts. */
async function requestHeal(s: Stack, a: Instance, b: Instance): Promise<string> {
  const mark = s.fake.mark();
  await a.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: CHANNEL });
  const updated = await s.fake.waitForCall(
    'views.update',
    (c: RecordedCall) => blockText(c.body.view).includes('plan_steps'),
    { since: mark, timeoutMs: 30_000 },
  );
  await b.driver.submitView((updated.response.view as { id: string }).id, {}, ALICE);
  const approval = await s.fake.waitForCall(
    'chat.postMessage',
    (c) => blockText(c.body.blocks).includes('approval needed'),
    { since: mark, timeoutMs: 15_000 },
  );
  return (approval.response as { ts: string }).ts;
}

const progress = (s: Stack, pattern: RegExp, since: number, timeoutMs = 90_000) =>
  s.fake.waitFor(
    (c) =>
      (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
      pattern.test(blockText(c.body.blocks)),
    { since, timeoutMs, description: `a progress update matching ${pattern}` },
  );

const triggers = (s: Stack) => s.sandbox.state.processorCalls.filter((c) => c.authorized);

/**
 * Every trigger the processors received carried a key and no step took effect twice. With
 * `retried`, a step caught in flight may have been sent again after a hand-over: allowed only
 * with the key it was first sent with, so the processor answered it as a duplicate.
 */
function expectEachKeyOnce(s: Stack, expected: number, opts: { retried?: boolean } = {}): void {
  const all = triggers(s);
  const effective = all.filter((c) => !c.duplicate);
  const keys = effective.map((c) => c.idempotencyKey);
  expect(keys, JSON.stringify(all, null, 1)).toHaveLength(expected);
  expect(all.every((c) => typeof c.idempotencyKey === 'string' && c.idempotencyKey.length > 0)).toBe(true);
  expect(new Set(keys).size).toBe(expected);
  const retries = all.filter((c) => c.duplicate);
  if (opts.retried) {
    expect(retries.length).toBeLessThanOrEqual(1);
    expect(retries.every((c) => keys.includes(c.idempotencyKey))).toBe(true);
  } else {
    expect(retries).toEqual([]);
  }
}

/** Which instance runs the request: the one logging its steps. */
async function runnerOf(instances: Instance[], requestId: string): Promise<Instance> {
  let found: Instance | undefined;
  await vi.waitFor(
    () => {
      // Steps, not refusals: the losers of the approval race log the request id too.
      found = instances.find((i) =>
        i.proc
          .stdout()
          .split('\n')
          .some((l) => l.includes('"event":"guarded.step"') && l.includes(`"requestId":"${requestId}"`)),
      );
      expect(found).toBeDefined();
    },
    { timeout: 20_000, interval: 50 },
  );
  return found!;
}

/** The moment the processors have received the run's first trigger (the step is still running). */
const firstTrigger = (s: Stack) =>
  vi.waitFor(() => expect(triggers(s).length).toBeGreaterThan(0), { timeout: 60_000, interval: 10 });

describe('two bot processes side by side', () => {
  it('one run from 20 approvals over both; SIGKILL mid-step, shown interrupted by the other, resumed there', {
    timeout: 240_000,
  }, async () => {
    const s = await stack();
    const [a, b] = [await instance(s), await instance(s)];
    const ts = await requestHeal(s, a, b);
    // Slow processors: the run is mid-step when its runner dies.
    s.sandbox.setFault('processors', { latencyMs: 2500 });
    const clicks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).driver.action({
          actionId: 'request_approve',
          userId: BOB,
          channel: CHANNEL,
          messageTs: ts,
        }),
      ),
    );
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const store = createFirestoreRequestStore(s.db);
    const [request] = await store.list({ limit: 1 });
    const audit = createFirestoreAuditLog(s.db);
    await vi.waitFor(
      async () => {
        const entries = await audit.list({ subject: DATE, limit: 100 });
        expect(entries.filter((x) => x.action === 'approve')).toHaveLength(20);
      },
      { timeout: 30_000, interval: 200 },
    );
    const approvals = (await audit.list({ subject: DATE, limit: 100 })).filter((x) => x.action === 'approve');
    expect(approvals.filter((x) => x.outcome === 'running')).toHaveLength(1);

    const runner = await runnerOf([a, b], request!.id);
    const other = runner === a ? b : a;
    await firstTrigger(s);
    runner.proc.child.kill('SIGKILL');
    process.kill(-runner.proc.child.pid!, 'SIGKILL');
    const killedAt = Date.now();
    const killMark = s.fake.mark();
    const shown = await progress(s, /Heal 2026-01-20: interrupted/, killMark, 20_000);
    // Its heartbeat goes stale after STALE_MS; the other's sweep shows it at its next turn.
    expect(shown.at - killedAt).toBeLessThan(STALE_MS + SWEEP_MS + 3000);
    expect(blockText(shown.body.blocks)).toContain('request_resume');

    s.sandbox.clearFaults();
    const interrupted = (await store.get(request!.id))!;
    const resumeMark = s.fake.mark();
    await other.driver.action({
      actionId: 'request_resume',
      userId: BOB,
      channel: CHANNEL,
      messageTs: interrupted.progressTs!,
    });
    const done = await progress(s, /Heal 2026-01-20: succeeded/, resumeMark);
    // The step caught in flight was found done (its checks pass), not triggered again.
    expect(blockText(done.body.blocks)).toContain('found done when resumed');
    expectEachKeyOnce(s, 4);
    const final = (await store.get(request!.id))!;
    expect(final.steps.every((x) => x.status === 'done')).toBe(true);
  });

  it('SIGTERM mid-step: the runner hands over within 10 s, the other resumes on its own', {
    timeout: 240_000,
  }, async () => {
    const s = await stack();
    const [a, b] = [await instance(s), await instance(s)];
    const ts = await requestHeal(s, b, a);
    s.sandbox.setFault('processors', { latencyMs: 2500 });
    const mark = s.fake.mark();
    // Approved on `a`: the approving instance runs it.
    await a.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
    await firstTrigger(s);
    const termAt = Date.now();
    a.proc.child.kill('SIGTERM');
    expect(await a.proc.exited, a.proc.stderr()).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(10_000);
    expect(a.proc.stdout()).toContain('guarded.handed_over');
    const handed = await progress(s, /Handed over/, mark, 20_000);
    expect(blockText(handed.body.blocks)).toMatch(/Handed over/);
    s.sandbox.clearFaults();
    // Nobody clicks: `b`'s sweep resumes a run handed over.
    const done = await progress(s, /Heal 2026-01-20: succeeded/, mark);
    expect(blockText(done.body.blocks)).toMatch(
      /Handed over by instance `[^`]+` at its shutdown; resumed by/,
    );
    // The step `a` abandoned may have reached the processor: `b` sends it again with its key.
    expectEachKeyOnce(s, 4, { retried: true });
    expect(b.proc.stdout()).toMatch(/"action":"resume"|guarded.step/);
  });
});
