/**
 * The `incident` scenario healed through the bot (issue 12): the alert's date healed with a
 * two-person approval, the processors refill its data, the sandbox's timeline moves on by itself
 * (`mended`), and the next watch run resolves the alert in place. The browser test
 * (tests/browser/alerts.test.ts) steps the timeline instead.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E({ scenario: 'incident', onCall: ['U0BOB'], alerts: {} });
});
afterAll(async () => {
  await e?.stop();
});

const timeline = async () =>
  (
    (await (await fetch(`${e.sandbox.url}/_sandbox/state`)).json()) as {
      timeline: { stage: string; how: string };
    }
  ).timeline;

it('a heal of the alert’s date mends the fault: the timeline moves on and the alert resolves', {
  timeout: 120_000,
}, async () => {
  const stepped = await fetch(`${e.sandbox.url}/_sandbox/timeline`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'fault' }),
  });
  expect(stepped.status).toBe(200);
  await e.bot.watch!.tick('incident:1');
  const posted = (await e.bot.watch!.tick('incident:2')).outcomes.filter((o) => o.action === 'post');
  expect(posted).toHaveLength(1);
  const date = posted[0]!.group;

  const approvalTs = await requestHeal(e, date, 'U0ALICE');
  const start = e.fake.mark();
  await e.driver.action({
    actionId: 'request_approve',
    userId: 'U0BOB',
    channel: 'C0OPS',
    messageTs: approvalTs,
  });
  await e.fake.waitFor(
    (c) => c.method === 'chat.update' && blockText(c.body.blocks).includes(`Heal ${date}: succeeded`),
    { since: start, timeoutMs: 90_000, description: 'the heal succeeded' },
  );
  expect(await timeline()).toMatchObject({ stage: 'recovered', how: 'mended' });

  const resolved = await e.bot.watch!.tick('incident:3');
  expect(resolved.outcomes.filter((o) => o.action !== 'none')).toEqual([
    { group: date, action: 'resolve', ok: true },
  ]);
});
