/** The driver holds the app to Slack's 3-second ack deadline, for every kind of request. */
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckTimeout, createDriver, type Driver } from '../../src/local/driver.js';
import { type FakeSlack, startFakeSlack } from '../../src/local/fake-slack.js';

const signingSecret = 'driver-deadline-secret';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let fake: FakeSlack;
let app: App;
let driver: Driver;

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
  app.command('/slow', async ({ ack }) => {
    await sleep(3500);
    await ack();
  });
  app.command('/quick', async ({ ack, client, command }) => {
    await ack();
    await client.views.open({
      trigger_id: command.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'slow_submit',
        title: { type: 'plain_text', text: 'Slow' },
        submit: { type: 'plain_text', text: 'Send' },
        blocks: [
          {
            type: 'input',
            block_id: 'b',
            label: { type: 'plain_text', text: 'Why' },
            element: { type: 'plain_text_input', action_id: 'a' },
          },
        ],
      },
    });
  });
  app.view('slow_submit', async ({ ack }) => {
    await sleep(3500);
    await ack();
  });
  const server = (await app.start(0)) as unknown as { address(): AddressInfo };
  driver = createDriver({
    appUrl: `http://127.0.0.1:${server.address().port}/slack/events`,
    signingSecret,
    fakeSlack: fake,
  });
});

afterAll(async () => {
  await app.stop();
  await fake.close();
});

describe("Slack's 3-second ack deadline", () => {
  it('fails a command acked after 3.5 s, naming it', async () => {
    const started = Date.now();
    const call = driver.command('/slow');
    await expect(call).rejects.toBeInstanceOf(AckTimeout);
    await expect(call).rejects.toThrow(/did not ack \/slow within 3000 ms/);
    expect(Date.now() - started).toBeLessThan(3400);
  });

  it('fails a view submission acked after 3.5 s; a prompt ack passes', async () => {
    const quick = await driver.command('/quick');
    expect(quick.status).toBe(200);
    const opened = await fake.waitForCall('views.open');
    const viewId = (opened.response.view as { id: string }).id;
    await expect(driver.submitView(viewId, { b: { a: 'because' } })).rejects.toThrow(
      /did not ack a view_submission of slow_submit within 3000 ms/,
    );
  });
});
