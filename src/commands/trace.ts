/** `/pipeline trace <date>`: the date along the chain, where it broke and since when. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { PipelineCommand } from '../domain/command-args.js';
import type { Deps } from '../flows/deps.js';
import { traceReply } from '../flows/trace.js';

type Args = Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'respond'>;

/** The `/pipeline trace …` branch of /pipeline: ack at once, the reads take up to the report deadline. */
export async function traceCommand(
  deps: Deps,
  { ack, respond }: Args,
  cmd: Extract<PipelineCommand, { kind: 'trace' }>,
): Promise<void> {
  await ack();
  const { text, blocks } = await traceReply(deps, cmd.date);
  await respond({ response_type: 'ephemeral', text, blocks });
}
