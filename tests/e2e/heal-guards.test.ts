/** The guard rails of /heal: exactly once, failure and retry, interruption and resume, expiry, bad input. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/domain/ports.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

async function boot(opts: Parameters<typeof startE2E>[0] = {}): Promise<E2E> {
  e = await startE2E({ scenario: 'jan20', ...opts, onCall: [BOB] });
  return e;
}

const progressSays = (env: E2E, pattern: RegExp, since: number, timeoutMs = 60_000) =>
  env.fake.waitFor(
    // The progress message is posted in the thread, then updated; a fast run may end before its first post.
    (c) =>
      (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
      pattern.test(blockText(c.body.blocks)),
    {
      since,
      timeoutMs,
      description: `a progress update matching ${pattern}`,
    },
  );

describe('heal guard rails', () => {
  it('runs once when 20 approvals arrive at once', { timeout: 120_000 }, async () => {
    const env = await boot();
    const ts = await requestHeal(env, '2026-01-20', ALICE);
    const mark = env.fake.mark();
    const clicks = Array.from({ length: 20 }, () =>
      env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts }),
    );
    const deliveries = await Promise.all(clicks);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    await progressSays(env, /Heal 2026-01-20: succeeded/, mark);
    const calls = env.sandbox.state.processorCalls.filter((c) => c.authorized);
    expect(calls).toHaveLength(4); // one per triggered phase, not 20×
    // Each loser is told, once its transaction has lost (under load, after the run may have ended).
    const refusals = () =>
      env.fake.calls('chat.postEphemeral').filter((c) => c.seq > mark && c.body.user === BOB);
    await vi.waitFor(() => expect(refusals().length).toBe(19), { timeout: 60_000, interval: 200 });
    expect(env.sandbox.state.processorCalls.filter((c) => c.authorized)).toHaveLength(4);
    expect(String(refusals()[0]!.body.text)).toMatch(/already (running|finished)/);
  });

  it('stops at a failing step, says what was done and not, and Retry continues from there', async () => {
    const env = await boot();
    // The HTTP processors fail; phase2 (through Pub/Sub push, the same sandbox routes) is left out.
    env.sandbox.setFault('processors', { status: 500 });
    const ts = await requestHeal(env, '2026-01-20', ALICE, [
      'clear-run-history',
      'trigger-phase3',
      'trigger-phase4',
      'trigger-phase5',
    ]);
    const mark = env.fake.mark();
    await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
    const failed = await progressSays(env, /Heal 2026-01-20: failed/, mark);
    const text = blockText(failed.body.blocks);
    expect(text).toMatch(/Not done: [^\n]*phase3/);
    expect(text).toContain('request_retry');
    const request = await env.guardedRequest();
    expect(request.state).toBe('failed');
    expect(request.steps.find((s) => s.id === 'clear-run-history')?.status).toBe('done');
    expect(request.steps.find((s) => s.id === 'trigger-phase3')?.status).toBe('failed');

    env.sandbox.clearFaults();
    const before = env.sandbox.state.processorCalls.filter((c) => c.authorized).map((c) => c.service);
    const retryMark = env.fake.mark();
    await env.driver.action({
      actionId: 'request_retry',
      userId: BOB,
      channel: CHANNEL,
      messageTs: request.progressTs!,
    });
    await progressSays(env, /Heal 2026-01-20: succeeded/, retryMark);
    const after = env.sandbox.state.processorCalls.filter((c) => c.authorized).map((c) => c.service);
    // The cleared runs are not cleared again; phase3..5 run once each after the retry.
    expect(after.slice(before.length)).toEqual([
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'prediction-coordinator',
    ]);
  });

  it('shows a run whose runner stopped as interrupted, and Resume on another instance finishes it', async () => {
    const env = await boot({ staleAfterMs: 1500, heartbeatMs: 300 });
    // Slow processors so the run is still going when its runner dies.
    env.sandbox.setFault('processors', { latencyMs: 1500 });
    const ts = await requestHeal(env, '2026-01-20', ALICE);
    const mark = env.fake.mark();
    await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
    await progressSays(env, /Heal 2026-01-20: running/, mark, 20_000);
    env.bot.engine.shutdown(); // the runner's heartbeat stops, as when its instance dies
    const other = await env.secondInstance();
    try {
      await new Promise((r) => setTimeout(r, 2500));
      const sweepMark = env.fake.mark();
      await other.bot.sweep();
      const shown = await progressSays(env, /Heal 2026-01-20: interrupted/, sweepMark, 10_000);
      expect(blockText(shown.body.blocks)).toContain('request_resume');
      env.sandbox.clearFaults();
      const request = await env.guardedRequest();
      const resumeMark = env.fake.mark();
      await other.driver.action({
        actionId: 'request_resume',
        userId: BOB,
        channel: CHANNEL,
        messageTs: request.progressTs!,
      });
      await progressSays(env, /Heal 2026-01-20: succeeded/, resumeMark);
      expect((await env.guardedRequest()).state).toBe('succeeded');
    } finally {
      await other.stop();
    }
  });

  it('refuses to approve an expired request', async () => {
    let offsetMs = 0;
    const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
    const env = await boot({ clock });
    const ts = await requestHeal(env, '2026-01-20', ALICE);
    offsetMs = 16 * 60_000; // past the 15-minute expiry
    const mark = env.fake.mark();
    await env.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: ts });
    const told = await env.fake.waitForCall('chat.postEphemeral', (c) => c.body.user === BOB, {
      since: mark,
    });
    expect(String(told.body.text)).toMatch(/expired/);
    expect(env.sandbox.state.processorCalls.filter((c) => c.authorized)).toHaveLength(0);
    const audit = await env.bot.deps.guarded.audit.list({ subject: '2026-01-20', limit: 50 });
    expect(audit.some((a) => a.action === 'approve' && a.outcome.startsWith('refused'))).toBe(true);
  });

  it('answers bad dates and unknown flags with usage, storing and starting nothing', async () => {
    const env = await boot();
    for (const text of [
      '/heal 2026-02-30',
      '/heal 2026/01/20',
      '/heal',
      '/heal 2026-01-20 --force',
      '/heal 2036-01-20',
    ]) {
      const mark = env.fake.mark();
      const d = await env.driver.command(text, { userId: ALICE, channelId: CHANNEL });
      expect(d.status).toBe(200);
      expect(String((d.json as { text?: string })?.text)).toMatch(/Usage[\s\S]*\/heal &lt;date&gt;/);
      await new Promise((r) => setTimeout(r, 200));
      expect(env.fake.calls().filter((c) => c.seq > mark && c.method === 'views.open')).toHaveLength(0);
    }
    expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(0);
    expect(env.sandbox.counts.bigquery).toBe(0);
  });

  it('--dry-run shows the plan and changes nothing', async () => {
    const env = await boot();
    const mark = env.fake.mark();
    await env.driver.command('/heal 2026-01-20 --dry-run', { userId: ALICE, channelId: CHANNEL });
    const reply = await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    const text = blockText(reply.body.blocks);
    expect(text).toContain('Dry run: Heal 2026-01-20');
    expect(text).toContain('phase4_2026-01-20_stuck');
    expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(0);
    expect(env.sandbox.state.processorCalls).toHaveLength(0);
  });

  it('says there is nothing to heal, with the evidence, when the date is complete', async () => {
    const env = await boot({ scenario: 'healthy' });
    const mark = env.fake.mark();
    await env.driver.command('/heal 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    const update = await env.fake.waitForCall('views.update', undefined, { since: mark, timeoutMs: 20_000 });
    const text = blockText(update.body.view);
    expect(text).toContain('Nothing to heal for 2026-01-20');
    expect(text).toContain('Games with box scores: 7 of 7');
  });

  it('points a second heal of the same date to the one pending', async () => {
    const env = await boot();
    await requestHeal(env, '2026-01-20', ALICE);
    const mark = env.fake.mark();
    const opened = await env.driver.command('/heal 2026-01-20', { userId: BOB, channelId: CHANNEL });
    expect(opened.status).toBe(200);
    // Bob's modal (Alice's, still open, may be updated too: it says her request was posted).
    const update = await env.fake.waitFor(
      (c) =>
        c.method === 'views.update' &&
        c.body.view !== undefined &&
        !/Approval requested/.test(blockText(c.body.view)),
      { since: mark, timeoutMs: 20_000, description: "Bob's heal modal" },
    );
    expect(blockText(update.body.view)).toMatch(/already|waiting for approval, requested by <@U0ALICE>/);
    expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(1);
  });
});
