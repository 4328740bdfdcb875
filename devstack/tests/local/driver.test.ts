import type { AddressInfo } from 'node:net';
import { App, type BlockAction, LogLevel, type ViewSubmitAction } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allActions, createDriver, type Driver, findButton } from '../../src/local/driver.js';
import { type FakeSlack, seedChannels, seedUsers, startFakeSlack } from '../../src/local/fake-slack.js';

const signingSecret = 'driver-test-signing-secret';

let fake: FakeSlack;
let app: App;
let driver: Driver;
let appUrl: string;
const heard: { actions: BlockAction[]; submissions: ViewSubmitAction[]; closed: string[] } = {
  actions: [],
  submissions: [],
  closed: [],
};

const pingBlocks = [
  { type: 'section', text: { type: 'mrkdwn', text: '*pong*' } },
  {
    type: 'actions',
    block_id: 'ping_actions',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' },
      { type: 'button', action_id: 'reject', style: 'danger', text: { type: 'plain_text', text: 'Reject' } },
    ],
  },
];

const modal = {
  type: 'modal' as const,
  callback_id: 'ping_modal',
  private_metadata: 'req-7',
  notify_on_close: true,
  title: { type: 'plain_text' as const, text: 'Ping' },
  submit: { type: 'plain_text' as const, text: 'Send' },
  blocks: [
    {
      type: 'actions' as const,
      block_id: 'modal_actions',
      elements: [
        {
          type: 'button' as const,
          action_id: 'reject',
          text: { type: 'plain_text' as const, text: 'Reject' },
        },
      ],
    },
    {
      type: 'input' as const,
      block_id: 'reason',
      label: { type: 'plain_text' as const, text: 'Reason' },
      element: { type: 'plain_text_input' as const, action_id: 'reason_input' },
    },
    {
      type: 'input' as const,
      block_id: 'when',
      label: { type: 'plain_text' as const, text: 'Date' },
      element: { type: 'datepicker' as const, action_id: 'date', initial_date: '2026-01-20' },
    },
  ],
};

beforeAll(async () => {
  fake = await startFakeSlack();
  app = new App({
    signingSecret,
    token: 'xoxb-test',
    botId: fake.identity.botId,
    botUserId: fake.identity.botUserId,
    clientOptions: { slackApiUrl: fake.apiUrl },
    logLevel: LogLevel.ERROR,
  });
  app.command('/ping', async ({ ack, respond, client, command }) => {
    await ack();
    await respond({ text: 'pong (only you)', response_type: 'ephemeral' });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `pong for ${command.user_id}`,
      blocks: pingBlocks,
    });
  });
  app.command('/echo', async ({ ack, command }) => {
    await ack(`echo: ${command.text}`);
  });
  app.command('/modal', async ({ ack, client, command }) => {
    await ack();
    await client.views.open({ trigger_id: command.trigger_id, view: modal });
  });
  app.command('/ephemeral', async ({ ack, respond }) => {
    await ack();
    await respond({ text: 'only you', blocks: pingBlocks });
  });
  app.action<BlockAction>('reject', async ({ ack, body, respond }) => {
    await ack();
    heard.actions.push(body);
    if (body.container.type === 'message') await respond({ replace_original: true, text: 'rejected' });
  });
  app.action<BlockAction>('approve', async ({ ack, body, respond }) => {
    await ack();
    heard.actions.push(body);
    await respond({ replace_original: true, text: 'approved' });
  });
  app.view<ViewSubmitAction>('ping_modal', async ({ ack, body, view }) => {
    const reason = view.state.values.reason?.reason_input?.value ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Say a bit more.' } });
      return;
    }
    heard.submissions.push(body);
    await ack();
  });
  app.view({ type: 'view_closed', callback_id: 'ping_modal' }, async ({ ack, view }) => {
    heard.closed.push(view.id);
    await ack();
  });
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  driver = createDriver({ appUrl, signingSecret, fakeSlack: fake });
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
  heard.actions.length = 0;
  heard.submissions.length = 0;
  heard.closed.length = 0;
});

describe('slash commands over HTTP', () => {
  it('a signed command is acked and its replies are recorded', async () => {
    const res = await driver.command('/ping hello there', { userId: seedUsers.bob });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.responseUrl).toMatch(new RegExp(`^${fake.url}/response/`));

    const post = await fake.waitForCall('chat.postMessage');
    expect(post.token).toBe(true);
    expect(post.body).toMatchObject({ channel: seedChannels.ops, text: `pong for ${seedUsers.bob}` });
    await fake.waitForCall('response_url');

    expect(fake.ephemerals(seedUsers.bob).map((m) => m.text)).toEqual(['pong (only you)']);
    expect(fake.ephemerals(seedUsers.alice)).toEqual([]);
    const message = fake.lastMessage(seedChannels.ops);
    expect(message?.text).toBe(`pong for ${seedUsers.bob}`);
    expect(findButton(message?.blocks, 'approve')?.blockId).toBe('ping_actions');
    // No auth.test: botId and botUserId were given.
    expect(fake.calls('auth.test')).toEqual([]);
  });

  it('shows an ack body to the user as Slack does', async () => {
    const res = await driver.command('/echo 2026-01-20');
    expect(res.status).toBe(200);
    expect(res.body).toBe('echo: 2026-01-20');
    expect(fake.ephemerals(seedUsers.alice).map((m) => [m.text, m.via])).toEqual([
      ['echo: 2026-01-20', 'ack'],
    ]);
  });

  it('rejects a bad signature with 401 and makes no Web API call', async () => {
    const res = await driver.command('/ping', { badSignature: true });
    expect(res.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.calls()).toEqual([]);
  });

  it('rejects a timestamp older than five minutes (replay) with 401 and makes no Web API call', async () => {
    const res = await driver.command('/ping', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.calls()).toEqual([]);
  });

  it('signs the raw body: the same request with a recent timestamp passes', async () => {
    const res = await driver.command('/echo ok', { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(res.status).toBe(200);
  });

  it('refuses text that is not a command', async () => {
    await expect(driver.command('ping')).rejects.toThrow(/starts with a slash/);
  });
});

describe('block actions', () => {
  it('a click on a recorded button reaches the listener with the message, and respond() replaces it', async () => {
    await driver.command('/ping');
    const post = await fake.waitForCall('chat.postMessage');
    const ts = String(post.response.ts);

    const res = await driver.action({ actionId: 'approve', userId: seedUsers.bob });
    expect(res.status).toBe(200);
    expect(res.responseUrl).toBeDefined();
    expect(heard.actions).toHaveLength(1);
    const body = heard.actions[0];
    expect(body?.actions[0]).toMatchObject({
      action_id: 'approve',
      block_id: 'ping_actions',
      value: 'req-1',
      type: 'button',
    });
    expect(body?.user.id).toBe(seedUsers.bob);
    expect(body?.container).toMatchObject({ type: 'message', message_ts: ts, channel_id: seedChannels.ops });
    expect(body?.message?.ts).toBe(ts);
    expect(body?.channel?.id).toBe(seedChannels.ops);

    await fake.waitForCall('response_url', (c) => c.body.replace_original === true);
    const messages = fake.messages(seedChannels.ops);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.ts).toBe(ts);
    expect(messages[0]?.text).toBe('approved');
    expect(messages[0]?.blocks).toBeUndefined();
  });

  it('a click in an ephemeral message carries no message, and respond() replaces the ephemeral', async () => {
    await driver.command('/ephemeral', { userId: seedUsers.carol });
    await fake.waitForCall('response_url');
    const res = await driver.action({ actionId: 'reject', userId: seedUsers.carol });
    expect(res.status).toBe(200);
    const body = heard.actions[0];
    expect(body?.container).toMatchObject({
      type: 'message',
      is_ephemeral: true,
      channel_id: seedChannels.ops,
    });
    expect(body?.message).toBeUndefined();
    await fake.waitForCall('response_url', (c) => c.body.replace_original === true);
    expect(fake.ephemerals(seedUsers.carol).map((m) => m.text)).toEqual(['rejected']);
  });

  it('a click in a modal carries the view and no response_url', async () => {
    await driver.command('/modal');
    await fake.waitForCall('views.open');
    const [view] = fake.views();
    const res = await driver.action({ actionId: 'reject', viewId: view!.id });
    expect(res.status).toBe(200);
    expect(res.responseUrl).toBeUndefined();
    const body = heard.actions[0];
    expect(body?.container).toEqual({ type: 'view', view_id: view!.id });
    expect(body?.view?.callback_id).toBe('ping_modal');
    expect(body?.view?.state.values.when?.date).toEqual({ type: 'datepicker', selected_date: '2026-01-20' });
    expect(body?.response_url).toBeUndefined();
  });

  it('says which buttons exist when the action is not found', async () => {
    await driver.command('/ping');
    await fake.waitForCall('chat.postMessage');
    await expect(driver.action({ actionId: 'nope' })).rejects.toThrow(
      /no element with action_id 'nope'.*approve, reject/,
    );
  });
});

describe('modals', () => {
  it('a view submission reaches its listener; errors keep it open, a bare ack closes it', async () => {
    await driver.command('/modal');
    await fake.waitForCall('views.open');
    const [view] = fake.views(seedUsers.alice);
    expect(view?.callback_id).toBe('ping_modal');
    expect(allActions(view?.blocks).map((a) => a.element.action_id)).toEqual([
      'reject',
      'reason_input',
      'date',
    ]);

    const rejected = await driver.submitView(view!.id, { reason: { reason_input: 'no' } });
    expect(rejected.status).toBe(200);
    expect(rejected.json).toEqual({ response_action: 'errors', errors: { reason: 'Say a bit more.' } });
    expect(rejected.outcome).toBe('errors');
    expect(fake.view(view!.id)?.errors).toEqual({ reason: 'Say a bit more.' });

    const accepted = await driver.submitView(view!.id, { reason: { reason_input: 'backfill after outage' } });
    expect(accepted.outcome).toBe('closed');
    expect(fake.views()).toEqual([]);
    const submitted = heard.submissions[0];
    expect(submitted?.view.private_metadata).toBe('req-7');
    expect(submitted?.view.state.values.reason?.reason_input).toEqual({
      type: 'plain_text_input',
      value: 'backfill after outage',
    });
    // Inputs the test did not touch keep their initial value.
    expect(submitted?.view.state.values.when?.date).toEqual({
      type: 'datepicker',
      selected_date: '2026-01-20',
    });
  });

  it('names the view inputs when a submitted id is wrong', async () => {
    await driver.command('/modal');
    await fake.waitForCall('views.open');
    const [view] = fake.views();
    await expect(driver.submitView(view!.id, { reason: { wrong: 'x' } })).rejects.toThrow(
      /no input reason\.wrong \(inputs: modal_actions\.reject, reason\.reason_input, when\.date\)/,
    );
  });

  it('closing a view with notify_on_close sends view_closed', async () => {
    await driver.command('/modal');
    await fake.waitForCall('views.open');
    const [view] = fake.views();
    const res = await driver.closeView(view!.id);
    expect(res.sent).toBe(true);
    expect(res.status).toBe(200);
    expect(heard.closed).toEqual([view!.id]);
    expect(fake.views()).toEqual([]);
  });
});
