/**
 * The watch through the bot (issue 12): `POST /tasks/watch` refuses every bad Cloud Scheduler
 * token and runs nothing; a good one evaluates jan20, a scheduler retry of the same run and a
 * second instance act once, the alert is posted on the second run with buttons into the flows,
 * Acknowledge is limited to on-call and audited, and `/pipeline alerts` and App Home show it.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { schedulerTickId } from '../../src/app.js';
import { createOidcVerifier } from '../../src/gcp/oidc.js';
import { blockText, type E2E, sendEvent, startE2E } from '../helpers/e2e.js';

const AUDIENCE = 'https://pipeline-chatops-test.a.run.app/tasks/watch';
const SCHEDULER = 'pipeline-watch@nba-props-platform.iam.gserviceaccount.com';
const KID = 'k1';
const keyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const google = keyPair();
const stranger = keyPair();
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

function token(over: Record<string, unknown> = {}, signer = google.privateKey): string {
  const payload = {
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    sub: '1',
    email: SCHEDULER,
    email_verified: true,
    iat: nowS() - 10,
    exp: nowS() + 3000,
    ...over,
  };
  const unsigned = `${b64({ alg: 'RS256', kid: KID, typ: 'JWT' })}.${b64(payload)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(signer).toString('base64url')}`;
}

const verifier = createOidcVerifier({
  audience: AUDIENCE,
  allowedEmails: [SCHEDULER],
  certs: { [KID]: google.pem },
});
// 10:00 in New York on the 21st: the watch looks at the 20th (jan20's broken day) and the 21st.
let now = new Date('2026-01-21T15:00:00Z');
const clock = { now: () => now };
/** Cloud Scheduler's run at `hhmm` UTC on the 21st: the clock moves there and the header names it. */
const at = (hhmm: string) => {
  now = new Date(`2026-01-21T${hhmm}:00Z`);
  return now.toISOString().replace('.000', '');
};

let e: E2E;
beforeAll(async () => {
  e = await startE2E({ scenario: 'jan20', onCall: ['U0BOB'], clock, alerts: { verifier } });
});
afterAll(async () => {
  await e?.stop();
});

async function callWatch(authorization?: string, scheduleTime?: string) {
  const res = await fetch(`http://127.0.0.1:${e.port}/tasks/watch`, {
    method: 'POST',
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(scheduleTime ? { 'x-cloudscheduler-scheduletime': scheduleTime } : {}),
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const callsSince = (mark: number) => e.fake.calls().filter((c) => c.seq > mark);
const alertPosts = (since: number) =>
  callsSince(since).filter(
    (c: RecordedCall) =>
      c.method === 'chat.postMessage' && blockText(c.body.blocks).includes('Pipeline alert'),
  );

describe('POST /tasks/watch', () => {
  it.each([
    ['missing', undefined],
    ['not a bearer token', `Basic ${token()}`],
    ['wrong audience', `Bearer ${token({ aud: 'https://elsewhere.example.com/tasks/watch' })}`],
    ['expired', `Bearer ${token({ iat: nowS() - 7200, exp: nowS() - 3600 })}`],
    ['wrong signer', `Bearer ${token({}, stranger.privateKey)}`],
    ['wrong email', `Bearer ${token({ email: 'someone@evil.example.com' })}`],
    ['unverified email', `Bearer ${token({ email_verified: false })}`],
  ])('refuses a %s token with 401 and runs nothing', async (_name, authorization) => {
    const mark = e.fake.mark();
    const { status, body } = await callWatch(authorization, '2026-01-21T15:00:00Z');
    expect(status).toBe(401);
    expect(body).toEqual({ ok: false, error: 'unauthenticated' });
    expect(callsSince(mark)).toEqual([]);
    expect(await e.bot.deps.alerts!.store.open(10)).toEqual([]);
    expect(e.logs.some((l) => l.msg === 'watch tick')).toBe(false);
  });
});

describe('the tick id of a scheduler call', () => {
  it('is its scheduled time, the same on a retry; anything else is a fresh id, never the header', () => {
    expect(schedulerTickId('2026-01-21T15:05:00Z')).toBe('scheduler:2026-01-21T15:05:00Z');
    expect(schedulerTickId(['2026-01-21T15:05:00.123+01:00'])).toBe(
      'scheduler:2026-01-21T15:05:00.123+01:00',
    );
    for (const bad of [undefined, '', 'now', '2026-01-21T15:05:00Z\n', `2026-01-21T${'1'.repeat(60)}Z`]) {
      const id = schedulerTickId(bad);
      expect(id).toMatch(/^call:[0-9a-f-]{36}$/);
      expect(schedulerTickId(bad)).not.toBe(id);
    }
  });
});

describe('the watch on jan20', () => {
  it('posts on the second run only, once across a scheduler retry and a second instance, with buttons into the flows', async () => {
    const mark = e.fake.mark();
    const first = await callWatch(`Bearer ${token()}`, at('15:00'));
    expect(first.status).toBe(200);
    // The 20th's data and the components' state now (jan20's crash loops), once: not once per date.
    expect(first.body.outcomes).toEqual([
      { group: '2026-01-20', action: 'none', ok: true },
      { group: '2026-01-21', action: 'none', ok: true },
      { group: 'components', action: 'none', ok: true },
    ]);
    expect(alertPosts(mark)).toEqual([]);
    const second = await e.secondInstance();
    try {
      // Run 2, delivered to both instances and retried by the scheduler: one post.
      const run2 = at('15:05');
      const [a, b] = await Promise.all([
        callWatch(`Bearer ${token()}`, run2),
        callWatch(`Bearer ${token()}`, run2),
        second.bot.watch!.tick(`scheduler:${run2}`),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
    } finally {
      await second.stop();
    }
    const posts = alertPosts(mark).filter((c) => blockText(c.body.blocks).includes('2026-01-20'));
    expect(posts).toHaveLength(1);
    const text = blockText(posts[0]!.body.blocks);
    expect(text).toContain('Heal 2026-01-20');
    expect(text).toContain('Full status');
    expect(text).toContain('Acknowledge');
    expect(posts[0]!.body.channel).toBe('C0OPS');
    // The crash-looping services: one message about now, with the deploy flows, and no Heal.
    const components = alertPosts(mark).filter((c) =>
      blockText(c.body.blocks).includes('Pipeline alert: components'),
    );
    expect(components).toHaveLength(1);
    expect(blockText(components[0]!.body.blocks)).toContain('Verify deploys');
    expect(blockText(components[0]!.body.blocks)).not.toContain('Heal ');
    // 10:00 in New York is past the example's `digestAt: 09:00`: one digest over all those runs.
    const digests = callsSince(mark).filter((c) => blockText(c.body.blocks).includes('Daily digest'));
    expect(digests).toHaveLength(1);
    expect(blockText(digests[0]!.body.blocks)).toMatch(/2026-01-20[\s\S]*2026-01-21/);
  });

  it("the alert's Heal button opens the heal modal for its date", async () => {
    const [post] = alertPosts(0).filter((c) => blockText(c.body.blocks).includes('2026-01-20'));
    const mark = e.fake.mark();
    await e.driver.action({
      actionId: 'open_heal',
      userId: 'U0ALICE',
      channel: 'C0OPS',
      messageTs: (post!.response as { ts: string }).ts,
    });
    const opened = await e.fake.waitForCall('views.open', () => true, { since: mark, timeoutMs: 20_000 });
    expect(blockText(opened.body.view)).toMatch(/Heal 2026-01-20|2026-01-20/);
  });

  it('Acknowledge: refused to someone not on call (audited), done by on-call, the message updated in place', async () => {
    const [post] = alertPosts(0).filter((c) => blockText(c.body.blocks).includes('2026-01-20'));
    const ts = (post!.response as { ts: string }).ts;
    let mark = e.fake.mark();
    await e.driver.action({
      actionId: 'alert_acknowledge',
      userId: 'U0CAROL',
      channel: 'C0OPS',
      messageTs: ts,
    });
    await expect
      .poll(() => callsSince(mark).some((c) => /Only on-call/.test(JSON.stringify(c.body))), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(callsSince(mark).filter((c) => c.method === 'chat.update')).toEqual([]);
    mark = e.fake.mark();
    await e.driver.action({
      actionId: 'alert_acknowledge',
      userId: 'U0BOB',
      channel: 'C0OPS',
      messageTs: ts,
    });
    const updated = await e.fake.waitForCall('chat.update', (c) => c.body.ts === ts, {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(blockText(updated.body.blocks)).toContain('acknowledged by <@U0BOB>');
    const audit = await e.bot.deps.guarded.audit.list({ subject: '2026-01-20', limit: 10 });
    expect(audit.filter((a) => a.kind === 'alert').map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['U0CAROL', 'acknowledge', 'refused:not_on_call'],
      ['U0BOB', 'acknowledge', 'acknowledged'],
    ]);
  });

  it('/pipeline alerts and App Home list the open alert and who acknowledged it', async () => {
    const mark = e.fake.mark();
    await e.driver.command('/pipeline alerts', { userId: 'U0CAROL', channelId: 'C0OPS' });
    await expect
      .poll(() => callsSince(mark).find((c) => blockText(c.body.blocks).includes('Open alerts')), {
        timeout: 10_000,
      })
      .toBeTruthy();
    const answer = callsSince(mark).find((c) => blockText(c.body.blocks).includes('Open alerts'))!;
    expect(blockText(answer.body.blocks)).toMatch(/2026-01-20[\s\S]*acknowledged by <@U0BOB>/);
    const homeMark = e.fake.mark();
    expect(
      await sendEvent(e, { type: 'app_home_opened', user: 'U0CAROL', channel: 'D0CAROL', tab: 'home' }),
    ).toBe(200);
    const home = await e.fake.waitForCall('views.publish', () => true, {
      since: homeMark,
      timeoutMs: 10_000,
    });
    expect(blockText(home.body.view)).toMatch(/Open alerts[\s\S]*2026-01-20[\s\S]*acknowledged by <@U0BOB>/);
  });
});

describe('silence and resolve', () => {
  it('Silence 4 h shows until when; when the faults are gone the same message turns resolved, one thread line', async () => {
    const [post] = alertPosts(0).filter((c) => blockText(c.body.blocks).includes('2026-01-20'));
    const ts = (post!.response as { ts: string }).ts;
    let mark = e.fake.mark();
    await e.driver.action({ actionId: 'alert_silence_4h', userId: 'U0BOB', channel: 'C0OPS', messageTs: ts });
    const silenced = await e.fake.waitForCall('chat.update', (c) => c.body.ts === ts, {
      since: mark,
      timeoutMs: 10_000,
    });
    // 15:05Z + 4 h is 14:05 in New York.
    expect(blockText(silenced.body.blocks)).toContain('silenced until 14:05 by <@U0BOB>');
    await e.sandbox.setScenario('healthy');
    mark = e.fake.mark();
    await e.bot.watch!.tick(`scheduler:${at('15:15')}`);
    const resolved = await e.fake.waitForCall('chat.update', (c) => c.body.ts === ts, {
      since: mark,
      timeoutMs: 10_000,
    });
    expect(blockText(resolved.body.blocks)).toMatch(/Resolved: 2026-01-20[\s\S]*Resolved after 10 min/);
    // Every post of the run is a thread line (the 21st's group resolved too): no new channel message.
    const posts = callsSince(mark).filter((c) => c.method === 'chat.postMessage');
    expect(posts.every((c) => typeof c.body.thread_ts === 'string')).toBe(true);
    expect(posts.filter((c) => c.body.thread_ts === ts).map((c) => c.body.text)).toEqual([
      ':white_check_mark: Resolved after 10 min.',
    ]);
    expect(await e.bot.deps.alerts!.store.open(10)).toEqual([]);
  });
});
