/**
 * A Slack retry (`X-Slack-Retry-Num`) or an exact replay of a signed command or click acts once:
 * one `--post` message, one modal, one approval, also when the repeat reaches another instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const settle = (ms = 500) => new Promise((r) => setTimeout(r, ms));

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe('repeated Slack deliveries over HTTP', () => {
  it('a retried and a replayed `/pipeline status --post` post one message', async () => {
    e = await startE2E({ scenario: 'jan20' });
    const mark = e.fake.mark();
    const first = await e.driver.command('/pipeline status 2026-01-20 --post', {
      userId: ALICE,
      channelId: CHANNEL,
    });
    expect(first.status).toBe(200);
    // Slack retries when it saw no ack in time; a replay is the same signed bytes again.
    const retried = await e.driver.replay(first, { retry: { num: 1, reason: 'http_timeout' } });
    const replayed = await e.driver.replay(first);
    expect([retried.status, replayed.status]).toEqual([200, 200]);
    await e.fake.waitForCall('chat.postMessage', (c) => c.body.channel === CHANNEL, {
      since: mark,
      timeoutMs: 20_000,
    });
    await settle(1500);
    const posts = e.fake.calls('chat.postMessage').filter((c) => c.seq > mark);
    expect(posts, e.fake.describeCalls()).toHaveLength(1);
    expect(blockText(posts[0]!.body.blocks)).toContain('2026-01-20');
    expect(e.logs.filter((l) => l.message === 'ignored a repeated Slack delivery')).toHaveLength(2);
  });

  it('a replayed /heal opens one modal; a replayed Approve on another instance is ignored', async () => {
    e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
    const mark = e.fake.mark();
    const heal = await e.driver.command('/heal 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    await e.driver.replay(heal, { retry: { num: 1, reason: 'http_timeout' } });
    await e.fake.waitForCall('views.update', undefined, { since: mark, timeoutMs: 20_000 });
    await settle();
    expect(e.fake.calls('views.open').filter((c) => c.seq > mark)).toHaveLength(1);

    const ts = await requestHeal(e, '2026-01-20', ALICE);
    const other = await e.secondInstance();
    try {
      const approveMark = e.fake.mark();
      const click = await e.driver.action({
        actionId: 'request_approve',
        userId: BOB,
        channel: CHANNEL,
        messageTs: ts,
      });
      // The same signed click, delivered to the other instance: the shared log knows it.
      const again = await other.driver.replay(click);
      expect(again.status).toBe(200);
      await e.fake.waitFor(
        (c) => c.method === 'chat.update' && /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks)),
        { since: approveMark, timeoutMs: 60_000, description: 'the heal succeeding' },
      );
      // No "already running" told to Bob: the replay never reached the engine.
      expect(
        e.fake.calls('chat.postEphemeral').filter((c) => c.seq > approveMark && c.body.user === BOB),
      ).toHaveLength(0);
      const audit = await e.bot.deps.guarded.audit.list({ subject: '2026-01-20', limit: 50 });
      expect(audit.filter((a) => a.action === 'approve')).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });
});
