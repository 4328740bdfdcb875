/**
 * The console shows Slack's refusals where the refused message or modal would have been: a refused post
 * in the timeline, a refused update on its message, a refused modal for the person who would have seen it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleHandle, mountConsole, timeline } from '../../src/local/console/server.js';
import type { Driver } from '../../src/local/driver.js';
import { type FakeSlack, seedChannels, seedUsers, startFakeSlack } from '../../src/local/fake-slack.js';

let fake: FakeSlack;
let consoleHandle: ConsoleHandle;
const token = 'xoxb-console-refusals';
// 151 characters: one past the header text limit of Slack's reference.
const badHeader = [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }];
const pointer = '[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]';

async function call(method: string, args: Record<string, unknown>) {
  const res = await fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(args),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function state(user: string) {
  const res = await fetch(`${consoleHandle.url}/api/state?user=${user}`);
  return (await res.json()) as {
    messages: ReturnType<typeof timeline>;
    refusedViews: { seq: number; method: string; error: string; messages: string[] }[];
  };
}

beforeAll(async () => {
  fake = await startFakeSlack();
  // The state and dismiss routes never use the driver, the sandbox or the manifest.
  consoleHandle = mountConsole(fake, {
    driver: {} as Driver,
    sandboxUrl: 'http://127.0.0.1:9',
    manifestPath: 'manifest.yml',
    users: [
      { id: seedUsers.alice, name: 'alice', role: 'requester' },
      { id: seedUsers.bob, name: 'bob', role: 'approver' },
    ],
    channel: seedChannels.ops,
  });
});

afterAll(async () => {
  consoleHandle?.close();
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
});

describe('the console shows refusals in place of what was refused', () => {
  it('a refused post stands after the messages before it, with the error and the pointer', async () => {
    await call('chat.postMessage', { channel: seedChannels.ops, text: 'first' });
    await call('chat.postMessage', { channel: seedChannels.ops, text: 'refused', blocks: badHeader });
    await call('chat.postMessage', { channel: seedChannels.ops, text: 'third' });
    const { messages } = await state(seedUsers.alice);
    expect(messages.map((m) => m.text || m.refused?.error)).toEqual(['first', 'invalid_blocks', 'third']);
    expect(messages[1]).toMatchObject({
      ts: expect.stringMatching(/^refused-/),
      refused: { method: 'chat.postMessage', error: 'invalid_blocks', messages: [pointer] },
    });
    expect(messages.some((m) => m.text === 'refused')).toBe(false);
  });

  it('a refused update shows on the message it meant to change, until a later update succeeds', async () => {
    const posted = await call('chat.postMessage', { channel: seedChannels.ops, text: 'running' });
    await call('chat.update', { channel: seedChannels.ops, ts: posted.ts, text: 'done', blocks: badHeader });
    let { messages } = await state(seedUsers.alice);
    expect(messages).toEqual([
      expect.objectContaining({
        text: 'running',
        refused: expect.objectContaining({ method: 'chat.update' }),
      }),
    ]);
    await call('chat.update', { channel: seedChannels.ops, ts: posted.ts, text: 'done' });
    ({ messages } = await state(seedUsers.alice));
    expect(messages).toEqual([expect.objectContaining({ text: 'done' })]);
    expect(messages[0]?.refused).toBeUndefined();
  });

  it('a refused ephemeral shows only to its user; a refused thread reply sits in its thread', async () => {
    const parent = await call('chat.postMessage', { channel: seedChannels.ops, text: 'parent' });
    await call('chat.postEphemeral', {
      channel: seedChannels.ops,
      user: seedUsers.bob,
      text: 'x',
      blocks: badHeader,
    });
    await call('chat.postMessage', {
      channel: seedChannels.ops,
      thread_ts: parent.ts,
      text: 'x',
      blocks: badHeader,
    });
    const alice = (await state(seedUsers.alice)).messages;
    expect(alice).toHaveLength(1);
    expect(alice[0]?.replies.map((r) => r.refused?.method)).toEqual(['chat.postMessage']);
    const bob = (await state(seedUsers.bob)).messages;
    expect(bob.map((m) => m.refused?.method ?? m.text)).toEqual(['parent', 'chat.postEphemeral']);
  });

  it('a refused modal is reported to its user until a modal opens, or it is dismissed', async () => {
    const bad = {
      type: 'modal',
      title: { type: 'plain_text', text: 'x'.repeat(25) },
      blocks: [{ type: 'divider' }],
    };
    await call('views.open', { trigger_id: fake.issueTrigger(seedUsers.alice), view: bad });
    const alice = await state(seedUsers.alice);
    expect(alice.refusedViews).toEqual([
      expect.objectContaining({
        method: 'views.open',
        error: 'invalid_arguments',
        messages: [expect.stringContaining('[json-pointer:/view/title/text]')],
      }),
    ]);
    expect((await state(seedUsers.bob)).refusedViews).toEqual([]);

    const good = { ...bad, title: { type: 'plain_text', text: 'Plan' } };
    await call('views.open', { trigger_id: fake.issueTrigger(seedUsers.alice), view: good });
    expect((await state(seedUsers.alice)).refusedViews).toEqual([]);

    await call('views.open', { trigger_id: fake.issueTrigger(seedUsers.bob), view: bad });
    const [refusal] = (await state(seedUsers.bob)).refusedViews;
    await fetch(`${consoleHandle.url}/api/dismiss`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seq: refusal?.seq }),
    });
    expect((await state(seedUsers.bob)).refusedViews).toEqual([]);
  });

  it('timeline() without refusals is unchanged', () => {
    expect(timeline(fake, seedChannels.ops, seedUsers.alice)).toEqual([]);
  });
});
