import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeSlack,
  type RecordedCall,
  seedChannels,
  seedUsers,
  startFakeSlack,
  type WorkspaceChange,
} from '../../src/local/fake-slack.js';

let fake: FakeSlack;
const token = 'xoxb-fake-slack-test';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** A Web API call as the WebClient makes it: form-encoded, objects as JSON strings, token in the header. */
async function callForm(method: string, args: Record<string, unknown>, withToken = true) {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(withToken ? { authorization: `Bearer ${token}` } : {}),
    },
    body: form.toString(),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function callJson(method: string, args: Record<string, unknown>) {
  const res = await fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function respond(url: string, body: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const quiet = webApi.LogLevel.ERROR;
const client = () =>
  new webApi.WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: quiet });

beforeAll(async () => {
  fake = await startFakeSlack();
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
});

describe('recording', () => {
  it('records a form-encoded call with its JSON fields parsed and the token only as a flag', async () => {
    const blocks = [section('*hello*')];
    const res = await callForm('chat.postMessage', { channel: seedChannels.ops, text: 'hello', blocks });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, channel: seedChannels.ops, ts: '1700000000.000100' });
    expect(res.json.message).toMatchObject({ type: 'message', text: 'hello', user: fake.identity.botUserId });

    const [call] = fake.calls();
    expect(call).toMatchObject({ seq: 1, method: 'chat.postMessage', token: true, status: 200 });
    // Recorded as sent; the model's copy gets the block_id Slack would add.
    expect(call?.body.blocks).toEqual(blocks);
    expect(fake.lastMessage(seedChannels.ops)?.blocks).toEqual([
      { ...blocks[0], block_id: expect.any(String) },
    ]);
    expect(call?.body).not.toHaveProperty('token');
    expect(JSON.stringify(fake.calls())).not.toContain(token);
    expect(typeof call?.at).toBe('number');
  });

  it('records a JSON call, taking a token from the body without keeping it', async () => {
    const res = await callJson('chat.postMessage', { token, channel: seedChannels.ops, text: 'json body' });
    expect(res.json.ok).toBe(true);
    const [call] = fake.calls('chat.postMessage');
    expect(call?.token).toBe(true);
    expect(call?.body).toEqual({ channel: seedChannels.ops, text: 'json body' });
  });

  it('answers not_authed without a token, and records that none came', async () => {
    const res = await callForm('chat.postMessage', { channel: seedChannels.ops, text: 'x' }, false);
    expect(res.json).toEqual({ ok: false, error: 'not_authed' });
    expect(fake.calls()[0]?.token).toBe(false);
  });

  it('works with the real WebClient and gives increasing, unique message ts', async () => {
    const web = client();
    const a = await web.chat.postMessage({ channel: seedChannels.ops, text: 'one' });
    const b = await web.chat.postMessage({
      channel: seedChannels.ops,
      text: 'two',
      blocks: [section('two')],
    });
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(fake.messages(seedChannels.ops).map((m) => m.text)).toEqual(['one', 'two']);
    expect(fake.calls().map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage']);
  });

  it('emits each call as an event', async () => {
    const seen: RecordedCall[] = [];
    const changes: WorkspaceChange[] = [];
    const onCall = (c: RecordedCall) => seen.push(c);
    const onChange = (c: WorkspaceChange) => changes.push(c);
    fake.on('call', onCall);
    fake.on('change', onChange);
    try {
      await client().chat.postMessage({ channel: seedChannels.ops, text: 'evented' });
    } finally {
      fake.off('call', onCall);
      fake.off('change', onChange);
    }
    expect(seen.map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(changes).toEqual([
      { kind: 'message', action: 'posted', channel: seedChannels.ops, ts: expect.any(String) },
    ]);
  });

  it('answers unknown_method for methods it does not model, unless given a handler', async () => {
    expect((await callForm('admin.teams.list', {})).json).toMatchObject({
      ok: false,
      error: 'unknown_method',
    });
    fake.setHandler('admin.teams.list', () => ({ ok: true, teams: [] }));
    expect((await callForm('admin.teams.list', {})).json).toEqual({ ok: true, teams: [] });
  });
});

describe('error injection', () => {
  it('fails the next call of a method with {ok:false, error} and then recovers', async () => {
    fake.failNext('chat.postMessage', 'channel_not_found');
    const failed = await callForm('chat.postMessage', { channel: seedChannels.ops, text: 'x' });
    expect(failed.status).toBe(200);
    expect(failed.json).toEqual({ ok: false, error: 'channel_not_found' });
    const ok = await callForm('chat.postMessage', { channel: seedChannels.ops, text: 'x' });
    expect(ok.json.ok).toBe(true);
    expect(fake.messages(seedChannels.ops)).toHaveLength(1);
  });

  it('answers ratelimited as HTTP 429 with Retry-After, `times` times', async () => {
    fake.failNext('users.info', 'ratelimited', { times: 2, retryAfterSeconds: 7 });
    for (let i = 0; i < 2; i += 1) {
      const res = await callForm('users.info', { user: seedUsers.bob });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.json).toEqual({ ok: false, error: 'ratelimited' });
    }
    expect((await callForm('users.info', { user: seedUsers.bob })).status).toBe(200);
    expect(fake.calls('users.info').map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('the WebClient sees a 429 as a rate-limit error carrying Retry-After', async () => {
    fake.failNext('chat.postMessage', 'ratelimited', { retryAfterSeconds: 7 });
    const web = new webApi.WebClient(token, {
      slackApiUrl: fake.apiUrl,
      rejectRateLimitedCalls: true,
      logLevel: quiet,
    });
    await expect(web.chat.postMessage({ channel: seedChannels.ops, text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
  });

  it('the WebClient retries after Retry-After and both attempts are recorded', async () => {
    fake.failNext('chat.postMessage', 'ratelimited', { retryAfterSeconds: 0 });
    const web = new webApi.WebClient(token, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
      logLevel: quiet,
    });
    const res = await web.chat.postMessage({ channel: seedChannels.ops, text: 'after retry' });
    expect(res.ok).toBe(true);
    expect(fake.calls('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(fake.messages(seedChannels.ops).map((m) => m.text)).toEqual(['after retry']);
  });

  it('expired_trigger_id can be injected into views.open', async () => {
    fake.failNext('views.open', 'expired_trigger_id');
    const trigger = fake.issueTrigger(seedUsers.alice);
    const res = await callForm('views.open', { trigger_id: trigger, view: modal() });
    expect(res.json).toEqual({ ok: false, error: 'expired_trigger_id' });
    expect(fake.views()).toEqual([]);
  });

  it('delays answers when asked', async () => {
    fake.delayNext('auth.test', 120);
    const started = Date.now();
    await callForm('auth.test', {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});

describe('messages', () => {
  it('chat.update changes the message in place', async () => {
    const web = client();
    const posted = await web.chat.postMessage({
      channel: seedChannels.ops,
      text: 'running',
      blocks: [section('running')],
    });
    await web.chat.postMessage({ channel: seedChannels.ops, text: 'later message' });
    const updated = await web.chat.update({
      channel: seedChannels.ops,
      ts: posted.ts!,
      text: 'done',
      blocks: [section('*done*')],
    });
    expect(updated).toMatchObject({ ok: true, channel: seedChannels.ops, ts: posted.ts, text: 'done' });

    const messages = fake.messages(seedChannels.ops);
    expect(messages.map((m) => m.text)).toEqual(['done', 'later message']);
    expect(messages[0]?.ts).toBe(posted.ts);
    expect(messages[0]?.blocks).toEqual([{ ...section('*done*'), block_id: expect.any(String) }]);
    expect(messages[0]?.edited?.user).toBe(fake.identity.botUserId);
  });

  it('chat.update of an unknown message is message_not_found', async () => {
    const res = await callForm('chat.update', {
      channel: seedChannels.ops,
      ts: '1700000000.999900',
      text: 'x',
    });
    expect(res.json).toEqual({ ok: false, error: 'message_not_found' });
  });

  it('keeps threads and ephemerals apart from the channel', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: seedChannels.ops, text: 'parent' });
    await web.chat.postMessage({ channel: seedChannels.ops, text: 'reply', thread_ts: parent.ts! });
    const eph = await web.chat.postEphemeral({
      channel: seedChannels.ops,
      user: seedUsers.bob,
      text: 'psst',
    });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);

    expect(fake.messages(seedChannels.ops).map((m) => m.text)).toEqual(['parent']);
    expect(fake.thread(seedChannels.ops, parent.ts!).map((m) => m.text)).toEqual(['parent', 'reply']);
    expect(fake.lastMessage(seedChannels.ops)?.reply_count).toBe(1);
    expect(fake.ephemerals(seedUsers.bob).map((m) => m.text)).toEqual(['psst']);
    expect(fake.ephemerals(seedUsers.alice)).toEqual([]);
  });

  it('refuses blocks Slack would refuse, pointing at the field', async () => {
    const res = await callForm('chat.postMessage', {
      channel: seedChannels.ops,
      text: 'x',
      blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'not plain' } }],
    });
    expect(res.json.ok).toBe(false);
    expect(res.json.error).toBe('invalid_blocks');
    expect(JSON.stringify(res.json.response_metadata)).toContain('json-pointer:/blocks/0/text/type');
  });

  it('answers channel_not_found and no_text like Slack', async () => {
    expect((await callForm('chat.postMessage', { channel: 'nowhere', text: 'x' })).json.error).toBe(
      'channel_not_found',
    );
    expect((await callForm('chat.postMessage', { channel: seedChannels.ops })).json.error).toBe('no_text');
  });
});

describe('response_url', () => {
  it('posts ephemeral by default and in_channel when asked', async () => {
    const url = fake.createResponseUrl({ channel: seedChannels.ops, user: seedUsers.carol });
    expect((await respond(url, { text: 'only carol' })).status).toBe(200);
    expect(fake.ephemerals(seedUsers.carol).map((m) => [m.text, m.via])).toEqual([
      ['only carol', 'response_url'],
    ]);
    expect(fake.messages(seedChannels.ops)).toEqual([]);

    await respond(url, { text: 'everyone', response_type: 'in_channel' });
    expect(fake.messages(seedChannels.ops).map((m) => [m.text, m.via])).toEqual([
      ['everyone', 'response_url'],
    ]);
    expect(fake.calls('response_url').map((c) => c.body.text)).toEqual(['only carol', 'everyone']);
  });

  it('replace_original and delete_original act on the message the interaction came from', async () => {
    const posted = await client().chat.postMessage({ channel: seedChannels.ops, text: 'approve?' });
    const url = fake.createResponseUrl({
      channel: seedChannels.ops,
      user: seedUsers.bob,
      message: { ts: posted.ts!, ephemeral: false },
    });
    await respond(url, { replace_original: true, text: 'approved by bob' });
    expect(fake.messages(seedChannels.ops).map((m) => [m.ts, m.text])).toEqual([
      [posted.ts, 'approved by bob'],
    ]);
    await respond(url, { delete_original: true });
    expect(fake.messages(seedChannels.ops)).toEqual([]);
  });

  it('replace_original on an ephemeral replaces it for that user', async () => {
    const url = fake.createResponseUrl({ channel: seedChannels.ops, user: seedUsers.bob });
    await respond(url, { text: 'working…' });
    await respond(url, { text: 'done', replace_original: true });
    expect(fake.ephemerals(seedUsers.bob).map((m) => m.text)).toEqual(['done']);
  });

  it('can be rate limited like any endpoint', async () => {
    fake.failNext('response_url', 'ratelimited', { retryAfterSeconds: 3 });
    const url = fake.createResponseUrl({ channel: seedChannels.ops, user: seedUsers.bob });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"x"}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(fake.ephemerals()).toEqual([]);
    expect((await respond(url, { text: 'again' })).status).toBe(200);
  });

  it('works five times, then answers used_url; unknown URLs are expired_url', async () => {
    const url = fake.createResponseUrl({ channel: seedChannels.ops, user: seedUsers.bob });
    for (let i = 0; i < 5; i += 1) expect((await respond(url, { text: `#${i}` })).status).toBe(200);
    expect(await respond(url, { text: 'sixth' })).toEqual({
      status: 404,
      json: { ok: false, error: 'used_url' },
    });
    expect((await respond(`${fake.url}/response/nope`, { text: 'x' })).json.error).toBe('expired_url');
  });
});

function modal(extra: Record<string, unknown> = {}) {
  return {
    type: 'modal',
    callback_id: 'plan',
    title: { type: 'plain_text', text: 'Plan' },
    blocks: [section('loading…')],
    ...extra,
  };
}

describe('views', () => {
  it('views.open answers the view with id and hash; views.update by view_id or external_id', async () => {
    const trigger = fake.issueTrigger(seedUsers.alice);
    const opened = await callForm('views.open', {
      trigger_id: trigger,
      view: modal({ external_id: 'plan-1' }),
    });
    expect(opened.json.ok).toBe(true);
    const view = opened.json.view as Record<string, unknown>;
    expect(view).toMatchObject({
      id: expect.stringMatching(/^V/),
      hash: expect.any(String),
      callback_id: 'plan',
    });
    expect(fake.views(seedUsers.alice).map((v) => v.id)).toEqual([view.id]);

    const byId = await callForm('views.update', {
      view_id: view.id,
      hash: view.hash,
      view: modal({ blocks: [section('ready')] }),
    });
    expect(byId.json.ok).toBe(true);
    const byExternal = await callForm('views.update', {
      external_id: 'plan-1',
      view: modal({ blocks: [section('final')] }),
    });
    expect(byExternal.json.ok).toBe(true);
    expect(fake.view(String(view.id))?.blocks).toEqual([
      { ...section('final'), block_id: expect.any(String) },
    ]);

    const stale = await callForm('views.update', { view_id: view.id, hash: view.hash, view: modal() });
    expect(stale.json.error).toBe('hash_conflict');
  });

  it('views.update of a view that is not open is not_found', async () => {
    expect((await callForm('views.update', { view_id: 'V0000000999', view: modal() })).json.error).toBe(
      'not_found',
    );
    expect((await callForm('views.update', { external_id: 'nope', view: modal() })).json.error).toBe(
      'not_found',
    );
  });

  it('a trigger_id works once, for a known trigger, within its lifetime', async () => {
    const trigger = fake.issueTrigger(seedUsers.alice);
    expect((await callForm('views.open', { trigger_id: trigger, view: modal() })).json.ok).toBe(true);
    expect((await callForm('views.open', { trigger_id: trigger, view: modal() })).json.error).toBe(
      'exchanged_trigger_id',
    );
    expect((await callForm('views.open', { trigger_id: '123.456.abc', view: modal() })).json.error).toBe(
      'invalid_trigger_id',
    );

    const short = await startFakeSlack({ triggerTtlMs: 20 });
    try {
      const late = short.issueTrigger(seedUsers.alice);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const res = await fetch(`${short.apiUrl}views.open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ trigger_id: late, view: modal() }),
      });
      expect(await res.json()).toEqual({ ok: false, error: 'expired_trigger_id' });
    } finally {
      await short.close();
    }
  });

  it('refuses a modal with inputs but no submit button, as Slack does', async () => {
    const trigger = fake.issueTrigger(seedUsers.alice);
    const res = await callForm('views.open', {
      trigger_id: trigger,
      view: modal({
        blocks: [
          {
            type: 'input',
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'r' },
          },
        ],
      }),
    });
    expect(res.json.error).toBe('invalid_arguments');
    expect(JSON.stringify(res.json.response_metadata)).toContain('submit is required');
  });
});

describe('directory', () => {
  it('usergroups.users.list answers from the map; unknown groups are no_such_subteam', async () => {
    fake.setUsergroup('S0APPROVERS', [seedUsers.bob, seedUsers.carol]);
    const web = client();
    expect((await web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual([
      seedUsers.bob,
      seedUsers.carol,
    ]);
    await expect(web.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({
      data: { ok: false, error: 'no_such_subteam' },
    });
  });

  it('answers auth.test, users.info, conversations.info and conversations.members', async () => {
    const web = client();
    expect(await web.auth.test()).toMatchObject({
      user_id: fake.identity.botUserId,
      team_id: fake.identity.teamId,
    });
    expect((await web.users.info({ user: seedUsers.bob })).user).toMatchObject({
      id: seedUsers.bob,
      name: 'bob',
    });
    expect((await web.conversations.info({ channel: seedChannels.ops })).channel).toMatchObject({
      name: 'pipeline-ops',
    });
    expect((await web.conversations.members({ channel: seedChannels.ops })).members).toContain(
      seedUsers.alice,
    );
    await expect(web.users.info({ user: 'not-a-user' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
  });

  it('reactions.add records the reaction and refuses a duplicate', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: seedChannels.ops, text: 'x' });
    await web.reactions.add({ channel: seedChannels.ops, timestamp: posted.ts!, name: 'white_check_mark' });
    expect(fake.lastMessage(seedChannels.ops)?.reactions).toEqual([
      { name: 'white_check_mark', users: [fake.identity.botUserId], count: 1 },
    ]);
    await expect(
      web.reactions.add({ channel: seedChannels.ops, timestamp: posted.ts!, name: 'white_check_mark' }),
    ).rejects.toMatchObject({ data: { error: 'already_reacted' } });
  });

  it('apps.connections.open wants an app-level token', async () => {
    expect((await callForm('apps.connections.open', {})).json.error).toBe('not_allowed_token_type');
  });
});

describe('waiting', () => {
  it('resolves when a matching call arrives later', async () => {
    const waiting = fake.waitForCall('chat.postMessage', (c) => c.body.text === 'second', 2000);
    const web = client();
    await web.chat.postMessage({ channel: seedChannels.ops, text: 'first' });
    setTimeout(() => void web.chat.postMessage({ channel: seedChannels.ops, text: 'second' }), 20);
    const call = await waiting;
    expect(call.seq).toBe(2);
  });

  it('only considers calls after `since`', async () => {
    await client().chat.postMessage({ channel: seedChannels.ops, text: 'old' });
    const since = fake.mark();
    const waiting = fake.waitForCall('chat.postMessage', undefined, { since, timeoutMs: 2000 });
    await client().chat.postMessage({ channel: seedChannels.ops, text: 'new' });
    expect((await waiting).body.text).toBe('new');
  });

  it('rejects with a message listing the calls seen so far', async () => {
    await client().chat.postMessage({ channel: seedChannels.ops, text: 'the only call' });
    const error = await fake.waitForCall('views.open', undefined, 100).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/a views\.open call not seen within 100 ms/);
    expect((error as Error).message).toContain('#1 chat.postMessage channel=C0OPS text="the only call"');
  });
});
