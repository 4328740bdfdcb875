/**
 * Slack's trouble never holds a run (issue 9, item 6): a heal whose progress updates meet a
 * 10-second burst of 429s and then a 40-second run of 500s on `chat.update` takes as long as the
 * same heal with Slack well, and its messages show the final state once Slack answers again.
 * The run's duration comes from its own audit entries (approve → finish), not the test's clock.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/domain/requests.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const BURST_429_MS = 10_000;
const RUN_500_MS = 40_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Approve → finish, from the request's audit trail. */
function runDurationMs(audit: AuditEntry[]): number {
  const approved = audit.find((a) => a.action === 'approve' && a.outcome === 'running');
  const finished = audit.find((a) => a.action === 'finish');
  if (!approved || !finished) throw new Error(`no approve/finish in ${audit.map((a) => a.action).join(',')}`);
  return finished.at.getTime() - approved.at.getTime();
}

interface Heal {
  env: E2E;
  requestId: string;
  approvalTs: string;
  durationMs: number;
  /** When the outage (if any) ends, by Date.now(). */
  outageEndsAt: number;
}

/** Boot a bot, plan the heal of 2026-01-20, approve it (under the outage if asked), wait for the run's end. */
async function heal(outage: boolean): Promise<Heal> {
  const env = await startE2E({ scenario: 'jan20', onCall: [BOB] });
  // Slow processors: the run spans the 429 burst into the 500s, several updates a step.
  env.sandbox.setFault('processors', { latencyMs: 2500 });
  const approvalTs = await requestHeal(env, '2026-01-20', ALICE);
  let outageEndsAt = Date.now();
  if (outage) {
    // Windows in order: 429 with Retry-After for 10 s, then 500 until 40 s later.
    env.fake.failFor('chat.update', BURST_429_MS, { status: 429, retryAfterSec: 1 });
    env.fake.failFor('chat.update', BURST_429_MS + RUN_500_MS, { status: 500 });
    outageEndsAt = Date.now() + BURST_429_MS + RUN_500_MS;
  }
  await env.driver.action({
    actionId: 'request_approve',
    userId: BOB,
    channel: CHANNEL,
    messageTs: approvalTs,
  });
  const request = await env.guardedRequest();
  const until = Date.now() + 45_000;
  const trail = () => env.bot.deps.guarded.audit.list({ requestId: request.id, limit: 100 });
  // The run's end: its finish entry, written right after the final transition.
  let audit = await trail();
  while (!audit.some((a) => a.action === 'finish')) {
    if (Date.now() > until) throw new Error('the heal did not finish within 45 s');
    await sleep(100);
    audit = await trail();
  }
  expect((await env.bot.deps.guarded.store.get(request.id))?.state).toBe('succeeded');
  return { env, requestId: request.id, approvalTs, durationMs: runDurationMs(audit), outageEndsAt };
}

/** The text of a message as Slack now shows it (only what Slack accepted changes it). */
const shown = (env: E2E, ts: string) => blockText(env.fake.message(CHANNEL, ts)?.blocks);

describe('a heal while Slack rate-limits and fails chat.update', () => {
  it('takes no longer than with Slack well, and ends with the final state shown', {
    timeout: 120_000,
  }, async () => {
    // Side by side, so both runs meet the same load on the machine; only the first one's Slack fails.
    const [troubled, calm] = await Promise.all([heal(true), heal(false)]);
    try {
      // Slack rate-limited the run's updates from its start.
      expect(troubled.env.fake.calls('chat.update').some((c) => c.status === 429)).toBe(true);
      const progressTs = (await troubled.env.bot.deps.guarded.store.get(troubled.requestId))!.progressTs!;
      expect(progressTs).toBeDefined();
      expect(shown(troubled.env, progressTs)).not.toMatch(/Heal 2026-01-20: succeeded/);
      expect(
        troubled.durationMs,
        `run took ${troubled.durationMs} ms, ${calm.durationMs} ms without the outage`,
      ).toBeLessThanOrEqual(calm.durationMs + 2000);

      // Once Slack answers again, both messages show the final state.
      const deadline = troubled.outageEndsAt + 20_000;
      while (!/Heal 2026-01-20: succeeded/.test(shown(troubled.env, progressTs)) && Date.now() < deadline)
        await sleep(200);
      const progress = shown(troubled.env, progressTs);
      expect(progress).toMatch(/Heal 2026-01-20: succeeded/);
      expect(progress).not.toContain('request_cancel');
      // It was sent again through the 500s until Slack took it.
      expect(troubled.env.fake.calls('chat.update').some((c) => c.status === 500)).toBe(true);
      expect(shown(troubled.env, troubled.approvalTs)).toContain('Heal 2026-01-20: approved');
      expect(shown(troubled.env, troubled.approvalTs)).not.toContain('request_approve');
      // Paced: at most about one chat.update a second per message, even while retrying.
      const updates = troubled.env.fake.calls('chat.update').filter((c) => c.body.ts === progressTs);
      for (let i = 1; i < updates.length; i++)
        expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(900);
    } finally {
      await troubled.env.stop();
      await calm.env.stop();
    }
  });
});
