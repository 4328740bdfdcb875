/**
 * The watch's alerts in the fake Slack, through the real Web API client: one channel message per
 * group, updated in place when it resolves, reminders and the resolve line in its thread, and a
 * post Slack refused tried again on the next run.
 */
import type { Firestore } from '@google-cloud/firestore';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, seedChannels, startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { createSlackAlertNotifier } from '../../src/interactions/alert-notifier.js';
import { createFirestoreAlertStore } from '../../src/store/firestore-alerts.js';
import { type ReportFinding, runWatch, type WatchDeps } from '../../src/workflows/watch.js';
import { blockText } from '../helpers/e2e.js';
import { testFirestore } from '../helpers/firestore.js';

const CHANNEL = seedChannels.ops;
const t0 = new Date('2026-01-21T15:00:00Z');
const tick = (min: number) => ({ id: `t${min}`, now: new Date(t0.getTime() + min * 60_000) });
const missing: ReportFinding = {
  severity: 'fail',
  component: 'Players with predictions',
  kind: 'check',
  message: '26 of at least 224 <!channel>',
};

let fake: FakeSlack;
let db: Firestore;
beforeAll(async () => {
  fake = await startFakeSlack();
  db = testFirestore();
});
afterAll(async () => {
  await fake.close();
  await db.terminate();
});

function watch(findings: () => Record<string, ReportFinding[]>): WatchDeps {
  const client = new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  return {
    report: async (date: IsoDate) => ({ findings: findings()[date] ?? [] }),
    store: createFirestoreAlertStore(db, { collection: `alerts_${Date.now()}`, instanceId: 'i0' }),
    notifier: createSlackAlertNotifier({ chat: client.chat, channel: CHANNEL, timeZone: 'America/New_York' }),
    timeZone: 'America/New_York',
    log: () => {},
  };
}

describe('alerts in Slack', () => {
  it('posts once, reminds in the thread, and resolves the same message in place with one thread line', async () => {
    let now: Record<string, ReportFinding[]> = { '2026-01-20': [missing] };
    const w = watch(() => now);
    const before = fake.messages(CHANNEL).length;
    await runWatch(w, tick(0));
    expect(fake.messages(CHANNEL)).toHaveLength(before);
    await runWatch(w, tick(5));
    await runWatch(w, tick(10));
    const posted = fake.messages(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    const ts = posted[0]!.ts;
    const text = blockText(posted[0]!.blocks);
    expect(text).toMatch(
      /Pipeline alert: 2026-01-20[\s\S]*Players with predictions\* · 26 of at least 224 &lt;!channel&gt;/,
    );
    await runWatch(w, tick(5 + 240));
    expect(
      fake
        .thread(CHANNEL, ts)
        .slice(1)
        .map((m) => m.text),
    ).toEqual([expect.stringMatching(/Still firing after 4 h/)]);
    now = {};
    await runWatch(w, tick(5 + 250));
    expect(fake.messages(CHANNEL).slice(before)).toHaveLength(1);
    const resolved = fake.message(CHANNEL, ts)!;
    expect(blockText(resolved.blocks)).toMatch(/Resolved: 2026-01-20[\s\S]*Resolved after 4 h 10 min/);
    expect(
      fake
        .thread(CHANNEL, ts)
        .map((m) => m.text)
        .at(-1),
    ).toBe(':white_check_mark: Resolved after 4 h 10 min.');
    expect(fake.refusals()).toEqual([]);
  });

  it('tries again on the next run when Slack refused the post', async () => {
    const w = watch(() => ({ '2026-01-20': [missing] }));
    const before = fake.messages(CHANNEL).length;
    await runWatch(w, tick(0));
    fake.failNext('chat.postMessage', { status: 500 });
    const refused = await runWatch(w, tick(5));
    expect(refused.find((o) => o.group === '2026-01-20')?.ok).toBe(false);
    expect(fake.messages(CHANNEL)).toHaveLength(before);
    await runWatch(w, tick(10));
    expect(fake.messages(CHANNEL)).toHaveLength(before + 1);
  });
});
