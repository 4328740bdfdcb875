/**
 * Issue 4's walk-through, through the real app: signed requests, the fake Slack, the sandbox
 * and the Firestore and Pub/Sub emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/local/fake-slack.js';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE'; // requester
const BOB = 'U0BOB'; // on call
const CAROL = 'U0CAROL'; // no rights
const CHANNEL = 'C0OPS';

function lastUpdateText(e: E2E, ts: string): string {
  const msg = e.fake.message(CHANNEL, ts);
  return blockText(msg?.blocks);
}

describe('/heal 2026-01-20 end to end', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20' });
    e.fake.setUsergroup('S0ONCALL01', [BOB]);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('plans, asks for approval, refuses the wrong people, runs on approval, and undoes', async () => {
    const start = e.fake.mark();
    const ack = await e.driver.command('/heal 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    expect(ack.status).toBe(200);
    // The modal opens with the ack's trigger_id, before any Google call.
    const opened = await e.fake.waitForCall('views.open', undefined, { since: start, timeoutMs: 10_000 });
    expect(blockText(opened.body.view)).toContain('Computing the plan');
    const updated = await e.fake.waitForCall(
      'views.update',
      (c: RecordedCall) => blockText(c.body.view).includes('plan_steps'),
      { since: start, timeoutMs: 20_000 },
    );
    const modal = blockText(updated.body.view);
    expect(modal).toContain('phase3_2026-01-20_stuck');
    expect(modal).toContain('Games with box scores: 4 of 7 expected');
    expect(modal).toContain('Players with predictions: 26 of at least 224 expected');
    for (const phase of ['phase2', 'phase3', 'phase4', 'phase5']) expect(modal).toContain(`(${phase})`);
    const viewId = (updated.response.view as { id: string }).id;

    // Submit → request stored, approval message in the channel.
    const submit = await e.driver.submitView(viewId, {}, ALICE);
    expect(submit.status).toBe(200);
    const approval = await e.fake.waitForCall('chat.postMessage', (c) => blockText(c.body.blocks).includes('approval needed'), {
      since: start,
      timeoutMs: 10_000,
    });
    const approvalTs = (approval.response as { ts: string }).ts;
    expect(blockText(approval.body.blocks)).toContain('<!subteam^S0ONCALL01>');

    // Carol is not an approver; Alice asked and the two-person rule is on.
    const beforeRefusals = e.sandbox.state.processorCalls.length;
    await e.driver.action({ actionId: 'request_approve', userId: CAROL, channel: CHANNEL, messageTs: approvalTs });
    const carolTold = await e.fake.waitForCall('chat.postEphemeral', (c) => c.body.user === CAROL, { since: start });
    expect(String(carolTold.body.text)).toMatch(/Only approvers can approve/);
    await e.driver.action({ actionId: 'request_approve', userId: ALICE, channel: CHANNEL, messageTs: approvalTs });
    const aliceTold = await e.fake.waitForCall('chat.postEphemeral', (c) => c.body.user === ALICE, { since: start });
    expect(String(aliceTold.body.text)).toMatch(/two-person rule/);
    expect(e.sandbox.state.processorCalls.length).toBe(beforeRefusals);

    // Bob approves: the steps run, progress ends succeeded.
    await e.driver.action({ actionId: 'request_approve', userId: BOB, channel: CHANNEL, messageTs: approvalTs });
    const done = await e.fake.waitFor(
      (c) => (c.method === 'chat.update' || c.method === 'chat.postMessage') && /succeeded/.test(blockText(c.body.blocks)) && c.body.thread_ts !== undefined || (c.method === 'chat.update' && /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks))),
      { since: start, timeoutMs: 60_000, description: 'progress message saying succeeded' },
    );
    expect(done).toBeDefined();
    const calls = e.sandbox.state.processorCalls.filter((c) => c.authorized);
    expect(calls.map((c) => c.service)).toEqual([
      'nba-phase2-raw-processors',
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'prediction-coordinator',
    ]);
    expect(lastUpdateText(e, approvalTs)).toContain('approved');

    // The status for the date is clean now.
    const mark = e.fake.mark();
    await e.driver.command('/pipeline status 2026-01-20 --fresh', { userId: ALICE, channelId: CHANNEL });
    const status = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    const statusText = blockText(status.body.blocks);
    expect(statusText).toContain('*Data for 2026-01-20*');
    expect(statusText).toMatch(/Games with box scores[^\n]*7 of 7/);
    expect(statusText).toMatch(/Players with predictions[^\n]*224 of at least 224/);
    expect(statusText).toContain('_no stuck runs_');
  });
});
