/**
 * The buttons into the logs and the trace: *Logs* (status, deploy-verify, trace), *More* (the next
 * page), the *Full entry* menu of a logs page, and *Trace* (status). Every value came from a message
 * the bot wrote but arrives from Slack: each is parsed again, and the component resolved again from
 * the configuration, before anything is read.
 */
import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  BlockStaticSelectAction,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { parseDate } from '../domain/dates.js';
import { parseCursor, parseEntryRef, parseLogsButton, sourceOfBlock } from '../domain/logs-args.js';
import type { Outcome } from '../domain/result.js';
import type { Deps } from '../flows/deps.js';
import { logsReply, openLogEntry } from '../flows/logs.js';
import { traceReply } from '../flows/trace.js';
import { blocks } from '../ids.js';
import { esc } from '../views/common.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
type SelectArgs = SlackActionMiddlewareArgs<BlockStaticSelectAction> & AllMiddlewareArgs;
type Respond = ButtonArgs['respond'];

/** A new ephemeral message under the one clicked (the report stays as it was). */
const reply = (respond: Respond, message: { text: string; blocks?: KnownBlock[] }) =>
  respond({ response_type: 'ephemeral', replace_original: false, ...message });

async function logsFor(deps: Deps, respond: Respond, query: Outcome<Parameters<typeof logsReply>[1]>) {
  if (!query.ok) return reply(respond, { text: `:warning: ${esc(query.reason.message)}` });
  return reply(respond, await logsReply(deps, query.value));
}

export const makeOpenLogs =
  (deps: Deps) =>
  async ({ ack, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    await logsFor(deps, respond, parseLogsButton(action.value ?? '', deps.config, deps.clock.now()));
  };

export const makeLogsMore =
  (deps: Deps) =>
  async ({ ack, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    await logsFor(deps, respond, parseCursor(action.value ?? '', deps.config, deps.clock.now()));
  };

export const makeLogsEntry =
  (deps: Deps) =>
  async ({ ack, action, body, client, respond }: SelectArgs): Promise<void> => {
    await ack();
    const source = sourceOfBlock(action.block_id, blocks.logsEntries, deps.config);
    const ref = parseEntryRef(action.selected_option?.value ?? '');
    if (!source.ok || !ref.ok) {
      const why = !source.ok ? source.reason.message : !ref.ok ? ref.reason.message : '';
      await reply(respond, { text: `:warning: ${esc(why)}` });
      return;
    }
    await openLogEntry(deps, client, {
      triggerId: body.trigger_id,
      source: source.value,
      ref: ref.value,
      say: (text) => reply(respond, { text }),
    });
  };

export const makeOpenTrace =
  (deps: Deps) =>
  async ({ ack, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const date = parseDate(action.value ?? '', deps.config.timeZone, deps.clock.now());
    if (!date.ok) {
      await reply(respond, { text: 'That button does not name a date.' });
      return;
    }
    const { text, blocks: trace } = await traceReply(deps, date.value);
    await reply(respond, { text, blocks: trace });
  };
