/**
 * Slack refusing, or slow, after the ack: the person is told (in the modal or ephemerally, with
 * Slack's error code) and nothing half-made is left stored. Channel membership as Slack enforces
 * it: not_in_channel, channel_not_found, DMs. The reason typed in the plan modal travels with the
 * request. Real app over signed HTTP, fake Slack, sandbox, Firestore emulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { botScopes, type RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { ACTIVE_STATES } from '../../src/domain/requests.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const DATE = '2026-01-20';

let e: E2E;
beforeAll(async () => {
  e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
});
afterAll(async () => {
  await e?.stop();
});
afterEach(async () => {
  e.fake.clearFaults();
  // Leave no active request behind for the next test's heal of the same date.
  for (const r of await e.bot.deps.guarded.store.list({ states: ACTIVE_STATES, limit: 20 }))
    await e.bot.engine.cancel(r.id, ALICE);
});

const isPlan = (c: RecordedCall) => blockText(c.body.view).includes('plan_steps');

/** `/heal` from `channel`; resolves with the plan modal's id once it shows the plan. */
async function planModal(channel: string, since: number): Promise<string> {
  const ack = await e.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: channel });
  expect(ack.status, ack.body).toBe(200);
  const updated = await e.fake.waitForCall('views.update', isPlan, { since, timeoutMs: 20_000 });
  return (updated.response.view as { id: string }).id;
}

/** The next views.update of `viewId` after `since` whose view no longer says "Storing…". */
async function outcome(viewId: string, since: number): Promise<string> {
  const call = await e.fake.waitForCall(
    'views.update',
    (c) => c.body.view_id === viewId && !blockText(c.body.view).includes('Storing the request'),
    { since, timeoutMs: 15_000 },
  );
  return blockText(call.body.view);
}

async function activeRequests() {
  return e.bot.deps.guarded.store.list({ states: ACTIVE_STATES, limit: 20 });
}

describe('a refused views.update', () => {
  it('shows the error code in the modal and stores no draft and no request', async () => {
    const mark = e.fake.mark();
    // The first views.update after the loading modal is the plan itself.
    e.fake.failNext('views.update', 'invalid_blocks');
    await e.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: 'C0OPS' });
    const refused = await e.fake.waitForCall('views.update', (c) => c.response.ok === false, {
      since: mark,
      timeoutMs: 20_000,
    });
    const hash = (
      JSON.parse(String((refused.body.view as { private_metadata: string }).private_metadata)) as {
        hash: string;
      }
    ).hash;
    const told = await e.fake.waitForCall(
      'views.update',
      (c) => c.seq > refused.seq && c.response.ok === true,
      { since: mark, timeoutMs: 10_000 },
    );
    expect(blockText(told.body.view)).toContain('`invalid_blocks`');
    expect(blockText(told.body.view)).toContain('Nothing was stored');
    const open = e.fake.view(String(told.body.view_id));
    expect(blockText(open?.blocks)).toContain('invalid_blocks');
    expect(await e.bot.deps.guarded.drafts.get(hash)).toBeUndefined();
    expect(await activeRequests()).toEqual([]);
  });

  it('a refused views.open is told through the response_url', async () => {
    const mark = e.fake.mark();
    e.fake.failNext('views.open', 'expired_trigger_id');
    await e.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: 'C0OPS' });
    const told = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 10_000 });
    expect(String(told.body.text)).toContain('`expired_trigger_id`');
    expect(e.fake.ephemerals(ALICE).at(-1)?.text).toContain('expired_trigger_id');
  });
});

describe('a refused response_url post', () => {
  it('is told to the person there, in plain text with Slack’s code', async () => {
    const mark = e.fake.mark();
    e.fake.failNext('response_url', 'invalid_blocks');
    await e.driver.command('/pipeline audit', { userId: ALICE, channelId: 'C0OPS' });
    const refused = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 10_000 });
    expect(refused.status).toBe(400);
    expect(Array.isArray(refused.body.blocks)).toBe(true);
    const told = await e.fake.waitForCall('response_url', (c) => c.seq > refused.seq, {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(told.status).toBe(200);
    expect(told.body.blocks).toBeUndefined();
    expect(e.fake.ephemerals(ALICE).at(-1)?.text).toContain(
      'Slack refused to show this answer (`invalid_blocks`)',
    );
  });
});

describe('the approval post and channel membership', () => {
  it('public channel, bot not a member, no chat:write.public: not_in_channel told, request withdrawn', async () => {
    e.fake.setChannel({ id: 'C0PUBLIC', name: 'public-elsewhere', members: [ALICE, BOB] });
    e.fake.setScopes(['commands', 'chat:write', 'usergroups:read']);
    try {
      const mark = e.fake.mark();
      const viewId = await planModal('C0PUBLIC', mark);
      const submittedAt = e.fake.mark();
      const submitted = await e.driver.submitView(viewId, {}, ALICE);
      expect(submitted.outcome).toBe('updated');
      const post = await e.fake.waitForCall('chat.postMessage', undefined, {
        since: mark,
        timeoutMs: 10_000,
      });
      expect(post.response).toMatchObject({ ok: false, error: 'not_in_channel' });
      const text = await outcome(viewId, submittedAt);
      expect(text).toContain('`not_in_channel`');
      expect(text).toContain('/invite');
      expect(await activeRequests()).toEqual([]);
      const r = await e.guardedRequest();
      expect(r.state).toBe('cancelled');
      const audit = await e.bot.deps.guarded.audit.list({ requestId: r.id, limit: 10 });
      expect(audit.map((a) => `${a.action}:${a.outcome}`)).toContain('post:failed:not_in_channel');
      expect(e.fake.messages('C0PUBLIC')).toEqual([]);
    } finally {
      e.fake.setScopes(botScopes);
    }
  });

  it('public channel, bot not a member, with chat:write.public (the manifest): posted', async () => {
    e.fake.setChannel({ id: 'C0PUBLIC2', name: 'public-two', members: [ALICE, BOB] });
    const mark = e.fake.mark();
    const viewId = await planModal('C0PUBLIC2', mark);
    const submittedAt = e.fake.mark();
    await e.driver.submitView(viewId, {}, ALICE);
    expect(await outcome(viewId, submittedAt)).toContain('Approval requested in <#C0PUBLIC2>');
    expect(blockText(e.fake.lastMessage('C0PUBLIC2')?.blocks)).toContain('approval needed');
    expect((await activeRequests()).map((r) => r.state)).toEqual(['pending_approval']);
  });

  it('private channel the bot is not in: channel_not_found told, request withdrawn', async () => {
    e.fake.setChannel({ id: 'G0PRIVATE', name: 'secret', is_private: true, members: [ALICE, BOB] });
    const mark = e.fake.mark();
    const viewId = await planModal('G0PRIVATE', mark);
    const submittedAt = e.fake.mark();
    await e.driver.submitView(viewId, {}, ALICE);
    const post = await e.fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'G0PRIVATE', {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(post.response).toMatchObject({ ok: false, error: 'channel_not_found' });
    const text = await outcome(viewId, submittedAt);
    expect(text).toContain('`channel_not_found`');
    expect(text).toContain('private channel needs me invited');
    expect(await activeRequests()).toEqual([]);
    expect((await e.guardedRequest()).state).toBe('cancelled');
  });

  it('a DM: the modal says guarded actions need a channel, and nothing is planned or stored', async () => {
    const before = (await e.bot.deps.guarded.store.list({ limit: 50 })).length;
    const mark = e.fake.mark();
    await e.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: 'D0ALICEBOB' });
    const told = await e.fake.waitForCall('views.update', undefined, { since: mark, timeoutMs: 10_000 });
    expect(blockText(told.body.view)).toContain('Guarded actions need a channel');
    expect(blockText(told.body.view)).not.toContain('plan_steps');
    expect((await e.bot.deps.guarded.store.list({ limit: 50 })).length).toBe(before);
  });

  it('`/pipeline status --post` in a DM the bot is not in: the refusal is told ephemerally', async () => {
    const mark = e.fake.mark();
    await e.driver.command(`/pipeline status ${DATE} --post`, { userId: ALICE, channelId: 'D0ALICEBOB' });
    const post = await e.fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'D0ALICEBOB', {
      since: mark,
      timeoutMs: 30_000,
    });
    expect(post.response).toMatchObject({ ok: false, error: 'channel_not_found' });
    const told = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 10_000 });
    expect(String(told.body.text)).toContain('`channel_not_found`');
    expect(String(told.body.text)).toContain('direct message');
  });
});

describe('the reason typed in the plan modal', () => {
  it('is stored with the request and its audit entry, and shown on every render of the approval', async () => {
    const reason = 'Box scores <!channel> missing since 06:00 & phase 3 stuck';
    const mark = e.fake.mark();
    const viewId = await planModal('C0OPS', mark);
    await e.driver.submitView(viewId, { plan_reason: { plan_reason_input: reason } }, ALICE);
    const approval = await e.fake.waitForCall(
      'chat.postMessage',
      (c) => blockText(c.body.blocks).includes('approval needed'),
      { since: mark, timeoutMs: 10_000 },
    );
    const escaped = 'Box scores &lt;!channel&gt; missing since 06:00 &amp; phase 3 stuck';
    expect(blockText(approval.body.blocks)).toContain(escaped);
    const r = await e.guardedRequest();
    expect(r.reason).toBe(reason);
    const audit = await e.bot.deps.guarded.audit.list({ requestId: r.id, limit: 10 });
    expect(audit.find((a) => a.action === 'submit')?.detail).toBe(reason);
    // Bob rejects: the approval message is rendered again by chat.update and keeps the reason.
    const ts = (approval.response as { ts: string }).ts;
    const beforeReject = e.fake.mark();
    await e.driver.action({ actionId: 'request_reject', userId: BOB, channel: 'C0OPS', messageTs: ts });
    const update = await e.fake.waitForCall(
      'chat.update',
      (c) => c.body.ts === ts && blockText(c.body.blocks).includes('rejected'),
      { since: beforeReject, timeoutMs: 10_000 },
    );
    expect(blockText(update.body.blocks)).toContain(escaped);
  });
});

describe('slow answers', () => {
  it('a views.open that takes 2.5 s: the command was acked at once and the modal still opens', async () => {
    const mark = e.fake.mark();
    e.fake.delayNext('views.open', 2500);
    const started = Date.now();
    const ack = await e.driver.command(`/heal ${DATE}`, { userId: ALICE, channelId: 'C0OPS' });
    expect(ack.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    const opened = await e.fake.waitForCall('views.open', undefined, { since: mark, timeoutMs: 10_000 });
    expect(opened.at - started).toBeGreaterThanOrEqual(2400);
    expect(opened.response.ok).toBe(true);
    await e.fake.waitForCall('views.update', isPlan, { since: mark, timeoutMs: 20_000 });
  });
});

// Last: the heal it runs to the end repairs the date every test above plans.
describe('a refused chat.update of a running request', () => {
  it('is told in the request thread with Slack’s code, once, and a later state still shows', {
    timeout: 60_000,
  }, async () => {
    const approvalTs = await requestHeal(e, DATE, ALICE);
    const mark = e.fake.mark();
    // The approval's first re-render (approved) is refused as Slack refuses a payload it cannot show.
    e.fake.failNext('chat.update', 'invalid_blocks');
    await e.driver.action({
      actionId: 'request_approve',
      userId: BOB,
      channel: 'C0OPS',
      messageTs: approvalTs,
    });
    const refused = await e.fake.waitForCall('chat.update', (c) => c.response.ok === false, {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(refused.response).toMatchObject({ error: 'invalid_blocks' });
    const told = await e.fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.thread_ts === approvalTs && String(c.body.text).includes('refused'),
      { since: mark, timeoutMs: 10_000 },
    );
    expect(String(told.body.text)).toContain('`invalid_blocks`');
    const r = await e.guardedRequest();
    const until = Date.now() + 45_000;
    while ((await e.bot.deps.guarded.store.get(r.id))?.state !== 'succeeded' && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 200));
    // Slack takes the next state: the approval no longer offers Approve, and nothing else was told.
    const shown = async () => blockText(e.fake.message('C0OPS', approvalTs)?.blocks);
    while ((await shown()).includes('request_approve') && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await shown()).not.toContain('request_approve');
    const tellings = e.fake
      .calls('chat.postMessage')
      .filter(
        (c) => c.seq > mark && c.body.thread_ts === approvalTs && String(c.body.text).includes('refused'),
      );
    expect(tellings).toHaveLength(1);
  });
});
