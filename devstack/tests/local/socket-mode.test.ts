import { App, type BlockAction, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../../src/local/driver.js';
import { type FakeSlack, seedChannels, seedUsers, startFakeSlack } from '../../src/local/fake-slack.js';

let fake: FakeSlack;
let app: App;
let driver: Driver;
const clicked: BlockAction[] = [];

beforeAll(async () => {
  fake = await startFakeSlack();
  const clientOptions = { slackApiUrl: fake.apiUrl };
  app = new App({
    token: 'xoxb-test',
    appToken: 'xapp-1-A0APP-test',
    socketMode: true,
    botId: fake.identity.botId,
    botUserId: fake.identity.botUserId,
    clientOptions,
    // apps.connections.open is called by the Socket Mode client, which takes these options.
    installerOptions: { clientOptions: { ...clientOptions } },
    logLevel: LogLevel.ERROR,
  });
  app.command('/ping', async ({ ack, respond, client, command }) => {
    await ack();
    await respond('pong (only you)');
    await client.chat.postMessage({
      channel: command.channel_id,
      text: 'pong',
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              text: { type: 'plain_text', text: 'Approve' },
              value: 'v1',
            },
          ],
        },
      ],
    });
  });
  app.command('/echo', async ({ ack, command }) => {
    await ack({ text: `echo: ${command.text}` });
  });
  app.command('/silent', async () => {
    // Never acks: Slack would show the user an error after 3 s.
  });
  app.action<BlockAction>('approve', async ({ ack, body }) => {
    clicked.push(body);
    await ack();
  });
  await app.start();
  driver = createDriver({ via: 'socket', fakeSlack: fake });
});

afterAll(async () => {
  // The app first: a closed fake would make its Socket Mode client try to reconnect.
  await app?.stop();
  await fake?.close();
});

beforeEach(() => {
  clicked.length = 0;
});

describe('Socket Mode', () => {
  it('connected through apps.connections.open with the app-level token', () => {
    const open = fake.calls('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.token).toBe(true);
    expect(JSON.stringify(open[0])).not.toContain('xapp-');
    expect(fake.socketMode.connectionCount).toBe(1);
  });

  it('a slash command envelope is acked and the reply recorded', async () => {
    const since = fake.mark();
    const res = await driver.command('/ping', { userId: seedUsers.carol });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const post = await fake.waitForCall('chat.postMessage', undefined, { since });
    expect(post.body).toMatchObject({ channel: seedChannels.ops, text: 'pong' });
    await fake.waitForCall('response_url', undefined, { since });
    expect(fake.ephemerals(seedUsers.carol).at(-1)?.text).toBe('pong (only you)');
  });

  it('socketCommand resolves with the ack, including its payload', async () => {
    const res = await driver.socketCommand('/echo hi');
    expect(res.ack.envelope_id).toMatch(/[0-9a-f-]{36}/);
    expect(res.ack.payload).toEqual({ text: 'echo: hi' });
    expect(res.json).toEqual({ text: 'echo: hi' });
    expect(fake.ephemerals(seedUsers.alice).at(-1)).toMatchObject({ text: 'echo: hi', via: 'ack' });
  });

  it('a button click arrives as an interactive envelope', async () => {
    const since = fake.mark();
    await driver.command('/ping');
    await fake.waitForCall('chat.postMessage', undefined, { since });
    const res = await driver.action({ actionId: 'approve' });
    expect(res.status).toBe(200);
    expect(clicked).toHaveLength(1);
    expect(clicked[0]?.actions[0]).toMatchObject({ action_id: 'approve', value: 'v1' });
    // The fake filled in the block_id Slack generates for blocks without one.
    expect(clicked[0]?.actions[0]?.block_id).toMatch(/^gen/);
  });

  it('rejects clearly when nothing acks in time', async () => {
    const slow = createDriver({ via: 'socket', fakeSlack: fake, timeoutMs: 200 });
    await expect(slow.command('/silent')).rejects.toThrow(
      /no ack for slash_commands envelope .* within 200 ms/,
    );
  });
});
