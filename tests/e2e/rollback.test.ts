/** Rollback from /deploy-verify on the jan20 scenario, and its undo, through the real app. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const SERVICE = 'nba-phase3-analytics-processors';

describe('rollback from /deploy-verify', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('moves all traffic to the previous ready revision, and Undo restores the split', {
    timeout: 120_000,
  }, async () => {
    const original = structuredClone(e.sandbox.state.services.get(SERVICE)!.traffic);
    expect(original).toEqual([{ latest: true, percent: 100 }]);
    const previous = e.sandbox.state.services.get(SERVICE)!.revisions.at(-2)!.name;

    const start = e.fake.mark();
    await e.driver.command(`/deploy-verify ${SERVICE}`, { userId: ALICE, channelId: CHANNEL });
    const verify = await e.fake.waitForCall('response_url', undefined, { since: start, timeoutMs: 20_000 });
    expect(blockText(verify.body.blocks)).toContain(`Roll back to ${previous.slice(SERVICE.length + 1)}`);

    await e.driver.action({ actionId: 'open_rollback', userId: ALICE, channel: CHANNEL });
    const modal = await e.fake.waitForCall(
      'views.update',
      (c) => blockText(c.body.view).includes('plan_steps'),
      {
        since: start,
        timeoutMs: 20_000,
      },
    );
    const modalText = blockText(modal.body.view);
    expect(modalText).toContain('now: latest 100%');
    expect(modalText).toContain(`after: ${previous.slice(SERVICE.length + 1)} 100%`);
    await e.driver.submitView((modal.response.view as { id: string }).id, {}, ALICE);
    const approval = await e.fake.waitForCall(
      'chat.postMessage',
      (c) => blockText(c.body.blocks).includes('approval needed'),
      {
        since: start,
      },
    );
    await e.driver.action({
      actionId: 'request_approve',
      userId: BOB,
      channel: CHANNEL,
      messageTs: (approval.response as { ts: string }).ts,
    });
    await e.fake.waitFor(
      // Progress is coalesced: a short run may first show its progress message already finished.
      (c) =>
        (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
        /Roll back [^:]+: succeeded/.test(blockText(c.body.blocks)),
      {
        since: start,
        timeoutMs: 60_000,
        description: 'rollback succeeded',
      },
    );
    expect(e.sandbox.state.services.get(SERVICE)!.traffic).toEqual([
      { latest: false, revision: previous, percent: 100 },
    ]);

    const request = await e.guardedRequest();
    const undoMark = e.fake.mark();
    await e.driver.action({
      actionId: 'request_undo',
      userId: BOB,
      channel: CHANNEL,
      messageTs: request.progressTs!,
    });
    await e.fake.waitFor(
      // Progress is coalesced: a short run may first show its progress message already finished.
      (c) =>
        (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
        /Roll back [^:]+: undone/.test(blockText(c.body.blocks)),
      {
        since: undoMark,
        timeoutMs: 60_000,
        description: 'rollback undone',
      },
    );
    expect(e.sandbox.state.services.get(SERVICE)!.traffic).toEqual(original);
    const audit = await e.bot.deps.guarded.audit.list({ subject: SERVICE, limit: 50 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['submit', 'approve', 'undo']));
  });

  it('--dry-run shows the rollback plan and changes nothing', async () => {
    const before = structuredClone(e.sandbox.state.services.get(SERVICE)!.traffic);
    const requests = (await e.bot.deps.guarded.store.list({ limit: 50 })).length;
    const mark = e.fake.mark();
    await e.driver.command(`/deploy-verify rollback ${SERVICE} --dry-run`, {
      userId: ALICE,
      channelId: CHANNEL,
    });
    const reply = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    expect(blockText(reply.body.blocks)).toContain(`Dry run: Roll back ${SERVICE}`);
    expect(e.sandbox.state.services.get(SERVICE)!.traffic).toEqual(before);
    expect((await e.bot.deps.guarded.store.list({ limit: 50 })).length).toBe(requests);
  });

  it('--dry-run when Cloud Run refuses: its error text is shown escaped, never a live mention or link', async () => {
    // Google's error text reaches the person (issue 9, item 7): it must not notify or link.
    const message = 'Permission denied <!channel> <@U0BOB> <https://evil.example|run.services.get> & more';
    e.sandbox.setFault('cloudRun', { status: 403, message });
    try {
      const mark = e.fake.mark();
      await e.driver.command(`/deploy-verify rollback ${SERVICE} --dry-run`, {
        userId: ALICE,
        channelId: CHANNEL,
      });
      const reply = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
      const text = String(reply.body.text);
      expect(text).toContain(`Cannot read ${SERVICE}`);
      expect(text).toContain(
        '&lt;!channel&gt; &lt;@U0BOB&gt; &lt;https://evil.example|run.services.get&gt; &amp;',
      );
      for (const live of ['<!channel>', '<@U0BOB>', '<https://']) expect(text).not.toContain(live);
    } finally {
      e.sandbox.setFault('cloudRun', undefined);
    }
  });
});
