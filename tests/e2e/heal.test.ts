/**
 * Issue 4's walk-through, through the real app: signed requests, the fake Slack, the sandbox
 * and the Firestore and Pub/Sub emulators.
 */
import { Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE'; // requester
const BOB = 'U0BOB'; // on call
const CAROL = 'U0CAROL'; // no rights
const CHANNEL = 'C0OPS';

/** Every run_history document with its data in an exact form (Timestamps as seconds + nanos). */
async function runHistoryDocs(e: E2E): Promise<Record<string, unknown>> {
  const snap = await e.side.db!.collection(e.config.runHistory.collection).get();
  const exact = (v: unknown): unknown =>
    v instanceof Timestamp
      ? { ts: [v.seconds, v.nanoseconds] }
      : Array.isArray(v)
        ? v.map(exact)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, exact(x)]))
          : v;
  return Object.fromEntries(snap.docs.map((d) => [d.id, exact(d.data())]));
}

function lastUpdateText(e: E2E, ts: string): string {
  const msg = e.fake.message(CHANNEL, ts);
  return blockText(msg?.blocks);
}

describe('/heal 2026-01-20 end to end', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('plans, asks for approval, refuses the wrong people, runs on approval, and undoes', async () => {
    const original = await runHistoryDocs(e);
    expect(Object.keys(original)).toContain('phase3_2026-01-20_stuck');
    // A status report before the heal is cached; the heal's end must invalidate it.
    const before = e.fake.mark();
    await e.driver.command('/pipeline status 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    const dirty = await e.fake.waitForCall('response_url', undefined, { since: before, timeoutMs: 20_000 });
    expect(blockText(dirty.body.blocks)).toMatch(/Games with box scores[^\n]*4 of 7/);
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
    const approval = await e.fake.waitForCall(
      'chat.postMessage',
      (c) => blockText(c.body.blocks).includes('approval needed'),
      {
        since: start,
        timeoutMs: 10_000,
      },
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    expect(blockText(approval.body.blocks)).toContain('<!subteam^S0ONCALL01>');

    // Carol is not an approver; Alice asked and the two-person rule is on.
    const beforeRefusals = e.sandbox.state.processorCalls.length;
    await e.driver.action({
      actionId: 'request_approve',
      userId: CAROL,
      channel: CHANNEL,
      messageTs: approvalTs,
    });
    const carolTold = await e.fake.waitForCall('chat.postEphemeral', (c) => c.body.user === CAROL, {
      since: start,
    });
    expect(String(carolTold.body.text)).toMatch(/Only approvers can approve/);
    await e.driver.action({
      actionId: 'request_approve',
      userId: ALICE,
      channel: CHANNEL,
      messageTs: approvalTs,
    });
    const aliceTold = await e.fake.waitForCall('chat.postEphemeral', (c) => c.body.user === ALICE, {
      since: start,
    });
    expect(String(aliceTold.body.text)).toMatch(/two-person rule/);
    expect(e.sandbox.state.processorCalls.length).toBe(beforeRefusals);

    // Bob approves: the steps run, progress ends succeeded.
    await e.driver.action({
      actionId: 'request_approve',
      userId: BOB,
      channel: CHANNEL,
      messageTs: approvalTs,
    });
    const done = await e.fake.waitFor(
      (c) =>
        ((c.method === 'chat.update' || c.method === 'chat.postMessage') &&
          /succeeded/.test(blockText(c.body.blocks)) &&
          c.body.thread_ts !== undefined) ||
        (c.method === 'chat.update' && /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks))),
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
    await e.driver.command('/pipeline status 2026-01-20', { userId: ALICE, channelId: CHANNEL });
    const status = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    const statusText = blockText(status.body.blocks);
    expect(statusText).toContain('*Data for 2026-01-20*');
    expect(statusText).toMatch(/Games with box scores[^\n]*7 of 7/);
    expect(statusText).toMatch(/Players with predictions[^\n]*224 of at least 224/);
    expect(statusText).toContain('_no stuck runs_');

    // Undo restores the cleared run_history documents exactly.
    const afterHeal = await runHistoryDocs(e);
    expect(Object.keys(afterHeal)).not.toContain('phase3_2026-01-20_stuck');
    const progressTs = (await e.guardedRequest()).progressTs!;
    const undoMark = e.fake.mark();
    await e.driver.action({ actionId: 'request_undo', userId: BOB, channel: CHANNEL, messageTs: progressTs });
    await e.fake.waitFor(
      (c) => c.method === 'chat.update' && /Heal 2026-01-20: undone/.test(blockText(c.body.blocks)),
      {
        since: undoMark,
        timeoutMs: 20_000,
        description: 'progress saying undone',
      },
    );
    expect(await runHistoryDocs(e)).toEqual(original);

    // Every transition is in the audit log, with the plan hash.
    const audit = await e.bot.deps.guarded.audit.list({ subject: '2026-01-20', limit: 100 });
    const actions = audit.map(
      (a) =>
        `${a.action}:${a.actor === BOB || a.actor === ALICE || a.actor === CAROL ? a.actor : 'system'}:${a.outcome}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        `submit:${ALICE}:pending_approval`,
        `approve:${CAROL}:refused:not_approver`,
        `approve:${ALICE}:refused:two_person_rule`,
        `approve:${BOB}:running`,
        `undo:${BOB}:running`,
      ]),
    );
    expect(actions.some((a) => a.endsWith(':succeeded'))).toBe(true);
    expect(actions.some((a) => a.endsWith(':undone'))).toBe(true);
    const hash = audit.find((a) => a.action === 'submit')!.planHash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.filter((a) => a.planHash !== '-').every((a) => a.planHash === hash)).toBe(true);
  });
});
