/**
 * The terminal demo: slash commands typed at a prompt go to the real bot as signed requests;
 * what the bot sends to (fake) Slack is printed as readable text.
 */
import { createInterface } from 'node:readline';
import { messageToText, viewToText } from './block-text.js';
import type { Driver } from './driver.js';
import type { FakeSlack, RecordedCall } from './fake-slack.js';

const shown = new Set([
  'chat.postMessage',
  'chat.postEphemeral',
  'chat.update',
  'response_url',
  'views.open',
  'views.update',
  'views.push',
]);

export function renderCall(call: RecordedCall): string | undefined {
  if (!shown.has(call.method) || call.status >= 400 || call.response.ok === false) return undefined;
  const b = call.body as { view?: unknown; text?: string; blocks?: unknown[]; response_type?: string };
  if (call.method.startsWith('views.')) return viewToText(b.view);
  const tag =
    call.method === 'chat.postEphemeral' ||
    (call.method === 'response_url' && b.response_type !== 'in_channel')
      ? '(only visible to you)'
      : call.method === 'chat.update'
        ? '(updated)'
        : '';
  return `${tag ? `${tag}\n` : ''}${messageToText(b)}`;
}

export async function runTerminal(opts: {
  driver: Driver;
  fake: FakeSlack;
  user: string;
  channel: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Resolves when the bot has finished the work a command started, so replies print before the prompt. */
  settle?: () => Promise<void>;
}): Promise<void> {
  const out = opts.output ?? process.stdout;
  const print = (s: string) => out.write(`${s}\n`);
  const onCall = (call: RecordedCall) => {
    const text = renderCall(call);
    if (text) print(`\n${text}\n`);
  };
  opts.fake.on('call', onCall);
  const rl = createInterface({
    input: opts.input ?? process.stdin,
    output: out,
    prompt: '> ',
    terminal: false,
  });
  print(
    'Type a slash command, e.g. /pipeline status 2026-01-20, /deploy-verify, or /pipeline help. Ctrl-D quits.',
  );
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '') {
        rl.prompt();
        continue;
      }
      if (!line.startsWith('/')) {
        print('Commands start with /, e.g. /pipeline status');
        rl.prompt();
        continue;
      }
      try {
        const delivery = await opts.driver.command(line, { userId: opts.user, channelId: opts.channel });
        if (delivery.status !== 200) print(`(the bot answered HTTP ${delivery.status})`);
        const ack = delivery.json as { text?: string; blocks?: unknown[] } | undefined;
        if (ack && (ack.text || ack.blocks)) print(`\n(only visible to you)\n${messageToText(ack)}\n`);
        await opts.settle?.();
      } catch (error) {
        print(`(could not reach the bot: ${(error as Error).message})`);
      }
      rl.prompt();
    }
  } finally {
    opts.fake.off('call', onCall);
  }
}
