/**
 * Control of the self-heal Cloud Scheduler job through the real app (signed requests, the fake
 * Slack, the sandbox, the emulators): `/pipeline self-heal` and its buttons, pause/resume/run as
 * guarded actions with dry runs and audit, and a heal that pauses the job around itself when
 * the job is due during it, resuming it afterwards even when the heal fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { clockTime } from '../../src/domain/self-heal-plan.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const JOB = 'self-heal-predictions';
const SLOW = { timeout: 120_000 };

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

async function boot(): Promise<E2E> {
  e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
  return e;
}

const simJob = (env: E2E) => {
  const j = env.sandbox.state.schedulerJobs.get(JOB);
  if (!j) throw new Error(`no sandbox job ${JOB}`);
  return j;
};

/**
 * The progress message saying `pattern` (its title, e.g. "Pause self-heal job: succeeded", is in
 * no other message). A one-step run may end before the request knows its thread, so its first
 * progress post in the thread may already say how it ended: posts count as well as updates.
 */
const progressSays = (env: E2E, pattern: RegExp, since: number, timeoutMs = 60_000) =>
  env.fake.waitFor(
    (c) =>
      (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
      pattern.test(blockText(c.body.blocks)),
    { since, timeoutMs, description: `a progress update matching ${pattern}` },
  );

/** The ts of the progress message a recorded post or update is about. */
const tsOf = (c: RecordedCall): string =>
  c.method === 'chat.postMessage' ? (c.response as { ts: string }).ts : String(c.body.ts);

/** The plan modal's final view after `open` (a command or a button click) opened it. */
async function planModalAfter(
  env: E2E,
  start: number,
): Promise<{ viewId: string; text: string; call: RecordedCall }> {
  const opened = await env.fake.waitForCall('views.open', undefined, { since: start, timeoutMs: 10_000 });
  expect(blockText(opened.body.view)).toMatch(/Reading the self-heal job/);
  const updated = await env.fake.waitForCall(
    'views.update',
    (c) => blockText(c.body.view).includes('plan_steps'),
    {
      since: start,
      timeoutMs: 20_000,
    },
  );
  return {
    viewId: (updated.response.view as { id: string }).id,
    text: blockText(updated.body.view),
    call: updated,
  };
}

/** Submit an open plan modal as `user`; the approval message's ts. */
async function submitPlan(env: E2E, viewId: string, user: string): Promise<string> {
  const start = env.fake.mark();
  await env.driver.submitView(viewId, {}, user);
  const approval = await env.fake.waitForCall(
    'chat.postMessage',
    (c) => blockText(c.body.blocks).includes('approval needed'),
    { since: start, timeoutMs: 10_000 },
  );
  return (approval.response as { ts: string }).ts;
}

/** Watch the sandbox job's state until stopped: every state it was seen in. */
function watchJob(env: E2E): { seen: Set<string>; stop(): void } {
  const seen = new Set<string>([simJob(env).state]);
  const timer = setInterval(() => seen.add(simJob(env).state), 10);
  return { seen, stop: () => clearInterval(timer) };
}

describe('/pipeline self-heal', () => {
  it(
    'shows the job; pause through the command and approval, Undo resumes; Run now from its button',
    SLOW,
    async () => {
      const env = await boot();
      expect(simJob(env).state).toBe('ENABLED');

      // The job, with Pause and Run now.
      let mark = env.fake.mark();
      await env.driver.command('/pipeline self-heal', { userId: ALICE, channelId: CHANNEL });
      const shown = await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
      const text = blockText(shown.body.blocks);
      expect(text).toContain(`Self-heal job: ${JOB}`);
      expect(text).toContain('ENABLED');
      expect(text).toContain('`45 12 * * *` (America/New_York)');
      expect(text).toMatch(
        /Last attempt\*: \d{4}-\d{2}-\d{2} \d{2}:\d{2} \([^)]* ago\) · :white_check_mark: succeeded/,
      );
      expect(text).toMatch(/Next run\*: \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(in /);
      expect(text).toContain('https://console.cloud.google.com/cloudscheduler?project=');
      expect(text).toContain('self_heal_pause');
      expect(text).toContain('self_heal_run');
      expect(text).not.toContain('self_heal_resume');

      // Pause via the command: modal, submit, Bob approves.
      mark = env.fake.mark();
      await env.driver.command('/pipeline self-heal pause', { userId: ALICE, channelId: CHANNEL });
      const modal = await planModalAfter(env, mark);
      expect((modal.call.body.view as { callback_id: string }).callback_id).toBe('self_heal_plan');
      expect(modal.text).toContain('Request approval');
      expect(modal.text).toContain(`Pause the Cloud Scheduler job ${JOB}`);
      expect(simJob(env).state).toBe('ENABLED');
      const ts = await submitPlan(env, modal.viewId, ALICE);
      const request = await env.guardedRequest();
      expect(request.plan).toMatchObject({ kind: 'self-heal', subject: JOB });
      expect(request.plan.steps).toEqual([
        expect.objectContaining({ action: 'pause_scheduler', undoable: true, params: { job: JOB } }),
      ]);
      mark = env.fake.mark();
      await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
      const done = await progressSays(env, /Pause self-heal job: succeeded/, mark);
      expect(blockText(done.body.blocks)).toContain('request_undo');
      expect(simJob(env).state).toBe('PAUSED');

      // Now the job offers Resume instead of Pause.
      mark = env.fake.mark();
      await env.driver.command('/pipeline self-heal', { userId: ALICE, channelId: CHANNEL });
      const paused = blockText(
        (await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 })).body
          .blocks,
      );
      expect(paused).toContain('PAUSED');
      expect(paused).toContain('self_heal_resume');
      expect(paused).not.toContain('self_heal_pause');

      // Undo: the job is enabled again.
      mark = env.fake.mark();
      await env.driver.action({
        actionId: 'request_undo',
        userId: BOB,
        channel: CHANNEL,
        messageTs: tsOf(done),
      });
      await progressSays(env, /Pause self-heal job: undone/, mark, 20_000);
      expect(simJob(env).state).toBe('ENABLED');

      // Run now, from the button on the shown job.
      const lastBefore = simJob(env).lastAttemptTime?.getTime() ?? 0;
      mark = env.fake.mark();
      await env.driver.command('/pipeline self-heal', { userId: ALICE, channelId: CHANNEL });
      await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
      mark = env.fake.mark();
      await env.driver.action({ actionId: 'self_heal_run', userId: ALICE, channel: CHANNEL });
      const runModal = await planModalAfter(env, mark);
      expect(runModal.text).toContain(`Run the Cloud Scheduler job ${JOB} once, now`);
      const runTs = await submitPlan(env, runModal.viewId, ALICE);
      mark = env.fake.mark();
      await env.driver.action({
        actionId: 'request_approve',
        userId: BOB,
        channel: CHANNEL,
        messageTs: runTs,
      });
      const ran = await progressSays(env, /Run self-heal job: succeeded/, mark);
      expect(blockText(ran.body.blocks)).not.toContain('request_undo'); // a run cannot be undone
      expect(simJob(env).lastAttemptTime!.getTime()).toBeGreaterThan(lastBefore);
      expect(simJob(env).state).toBe('ENABLED');

      // Every action is in the audit log.
      const audit = await env.bot.deps.guarded.audit.list({ subject: JOB, limit: 100 });
      const trail = audit.map((a) => `${a.kind}:${a.action}:${a.outcome}`);
      expect(trail).toEqual([
        'self-heal:submit:pending_approval',
        'self-heal:approve:running',
        'self-heal:finish:succeeded',
        'self-heal:undo:running',
        'self-heal:finish:undone',
        'self-heal:submit:pending_approval',
        'self-heal:approve:running',
        'self-heal:finish:succeeded',
      ]);
      expect(audit.filter((a) => a.action === 'approve').every((a) => a.actor === BOB)).toBe(true);
    },
  );

  it(
    '--dry-run shows the plan and changes and stores nothing; impossible actions are refused',
    SLOW,
    async () => {
      const env = await boot();
      const before = { ...simJob(env) };
      for (const action of ['pause', 'run']) {
        const mark = env.fake.mark();
        await env.driver.command(`/pipeline self-heal ${action} --dry-run`, {
          userId: ALICE,
          channelId: CHANNEL,
        });
        const reply = await env.fake.waitForCall('response_url', undefined, {
          since: mark,
          timeoutMs: 20_000,
        });
        const text = blockText(reply.body.blocks);
        expect(text).toContain(`Dry run: ${action === 'pause' ? 'Pause' : 'Run'} self-heal job`);
        expect(text).toContain(
          action === 'pause' ? 'Pause the Cloud Scheduler job' : 'Run the Cloud Scheduler job',
        );
        expect(text).toContain('nothing was changed or stored');
        expect(env.fake.calls().filter((c) => c.seq > mark && c.method === 'views.open')).toHaveLength(0);
      }
      const mark = env.fake.mark();
      await env.driver.command('/pipeline self-heal resume --dry-run', { userId: ALICE, channelId: CHANNEL });
      const refused = await env.fake.waitForCall('response_url', undefined, {
        since: mark,
        timeoutMs: 20_000,
      });
      expect(blockText(refused.body.blocks)).toMatch(/already enabled/);

      expect(simJob(env).state).toBe(before.state);
      expect(simJob(env).lastAttemptTime?.getTime()).toBe(before.lastAttemptTime?.getTime());
      expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(0);
      expect(await env.bot.deps.guarded.audit.list({ limit: 10 })).toHaveLength(0);
    },
  );

  it('a heal planned when the job is due soon pauses it and resumes it after the heal', SLOW, async () => {
    const env = await boot();
    const next = new Date(Date.now() + 10 * 60_000);
    simJob(env).nextRunTime = next;
    const start = env.fake.mark();
    const ts = await requestHeal(env, '2026-01-20', ALICE);
    const modal = env.fake
      .calls('views.update')
      .filter((c) => c.seq > start)
      .map((c) => blockText(c.body.view))
      .find((t) => t.includes('plan_steps'))!;
    expect(modal).toContain(
      `The self-heal job runs at ${clockTime(next.toISOString(), 'America/New_York')}, during this heal`,
    );
    expect(modal).toContain('runs even if a step fails');
    const request = await env.guardedRequest();
    const actions = request.plan.steps.map((s) => s.action);
    expect(actions[0]).toBe('pause_scheduler');
    expect(actions.at(-1)).toBe('resume_scheduler');
    expect(request.plan.steps.at(-1)?.always).toBe(true);

    const watch = watchJob(env);
    const mark = env.fake.mark();
    await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
    await progressSays(env, /Heal 2026-01-20: succeeded/, mark);
    watch.stop();
    expect(watch.seen.has('PAUSED')).toBe(true);
    expect(simJob(env).state).toBe('ENABLED');
    const final = await env.guardedRequest();
    expect(final.steps.find((s) => s.id === 'pause-self-heal')?.status).toBe('done');
    expect(final.steps.find((s) => s.id === 'resume-self-heal')?.status).toBe('done');
    const finish = (await env.bot.deps.guarded.audit.list({ requestId: final.id, limit: 50 })).find(
      (a) => a.action === 'finish',
    );
    expect(finish?.outcome).toBe('succeeded');
    expect(finish?.detail).toContain(`Resume the self-heal job ${JOB}`);
  });

  it(
    'a heal that fails still resumes the job; Retry pauses it again and resumes it at the end',
    SLOW,
    async () => {
      const env = await boot();
      simJob(env).nextRunTime = new Date(Date.now() + 10 * 60_000);
      // The HTTP processors fail; phase2 (through Pub/Sub push) is left out, as in heal-guards.
      env.sandbox.setFault('processors', { status: 500 });
      const ts = await requestHeal(env, '2026-01-20', ALICE, [
        'pause-self-heal',
        'clear-run-history',
        'trigger-phase3',
        'trigger-phase4',
        'trigger-phase5',
        // resume-self-heal always runs: shown as text, not as an option to tick.
      ]);
      const watch = watchJob(env);
      let mark = env.fake.mark();
      await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
      const failed = await progressSays(env, /Heal 2026-01-20: failed/, mark);
      watch.stop();
      expect(watch.seen.has('PAUSED')).toBe(true);
      expect(simJob(env).state).toBe('ENABLED');
      expect(blockText(failed.body.blocks)).toMatch(
        /Resume the self-heal job[^\n]*runs even if a step fails/,
      );
      const request = await env.guardedRequest();
      expect(request.state).toBe('failed');
      const status = (id: string) => request.steps.find((s) => s.id === id)?.status;
      expect(status('trigger-phase3')).toBe('failed');
      expect(status('trigger-phase4')).toBe('pending');
      expect(status('resume-self-heal')).toBe('done');
      const audit = await env.bot.deps.guarded.audit.list({ requestId: request.id, limit: 50 });
      expect(audit.find((a) => a.action === 'finish')?.outcome).toBe('failed');

      // Retry: the job is paused again while the failed steps run, and enabled at the end.
      env.sandbox.clearFaults();
      const again = watchJob(env);
      mark = env.fake.mark();
      await env.driver.action({
        actionId: 'request_retry',
        userId: BOB,
        channel: CHANNEL,
        messageTs: tsOf(failed),
      });
      await progressSays(env, /Heal 2026-01-20: succeeded/, mark);
      again.stop();
      expect(again.seen.has('PAUSED')).toBe(true);
      expect(simJob(env).state).toBe('ENABLED');
      const trail = (await env.bot.deps.guarded.audit.list({ requestId: request.id, limit: 50 })).map(
        (a) => `${a.action}:${a.outcome}`,
      );
      expect(trail.slice(-2)).toEqual(['retry:running', 'finish:succeeded']);
    },
  );
});
