/** App Home, /pipeline audit, and self-approval when the two-person rule is off. */
import { afterEach, describe, expect, it } from 'vitest';
import { blockText, type E2E, requestHeal, sendEvent, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe('App Home and audit', () => {
  it('publishes the Home tab with the recent guarded actions', { timeout: 60_000 }, async () => {
    e = await startE2E({ scenario: 'jan20' });
    const env = e;
    env.fake.setUsergroup('S0ONCALL01', [BOB]);
    await requestHeal(env, '2026-01-20', ALICE);
    const mark = env.fake.mark();
    expect(
      await sendEvent(env, { type: 'app_home_opened', user: ALICE, channel: 'D0ALICE', tab: 'home' }),
    ).toBe(200);
    const published = await env.fake.waitForCall('views.publish', undefined, {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(published.body.user_id).toBe(ALICE);
    const text = blockText(published.body.view);
    expect(text).toContain('Heal 2026-01-20');
    expect(text).toContain('pending approval');
  });

  it('/pipeline audit lists the transitions of a date', { timeout: 60_000 }, async () => {
    e = await startE2E({ scenario: 'jan20' });
    const env = e;
    env.fake.setUsergroup('S0ONCALL01', [BOB]);
    await requestHeal(env, '2026-01-20', ALICE);
    const mark = env.fake.mark();
    await env.driver.command('/pipeline audit 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    const reply = await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 10_000 });
    const text = blockText(reply.body.blocks);
    expect(text).toContain('Audit log · 2026-01-20');
    expect(text).toMatch(/heal 2026-01-20 · \*submit\* by <@U0ALICE> → pending_approval/);
  });

  it('runs at once when an approver asks and the two-person rule is off', { timeout: 120_000 }, async () => {
    e = await startE2E({
      scenario: 'jan20',
      patch: (c) => ({ ...c, access: { ...c.access, twoPersonRule: false, approvers: { users: [ALICE] } } }),
    });
    const env = e;
    const mark = env.fake.mark();
    await requestHeal(env, '2026-01-20', ALICE);
    await env.fake.waitFor((c) => /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks)), {
      since: mark,
      timeoutMs: 60_000,
      description: 'the heal succeeded without a second person',
    });
    const r = await env.guardedRequest();
    expect(r.approver).toBe(ALICE);
    expect(env.fake.calls('chat.postEphemeral').filter((c) => c.seq > mark)).toHaveLength(0);
  });
});
