/** `/pipeline logs <component> [text] [--since 1h] [--severity ERROR] [--limit 20]`. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type PipelineCommand, usage } from '../domain/command-args.js';
import { logsQueryOf, resolveLogSource } from '../domain/logs-args.js';
import { type Deps, refusalText } from '../flows/deps.js';
import { logsReply } from '../flows/logs.js';

type Args = Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'respond'>;

/**
 * The `/pipeline logs …` branch of /pipeline. A component that is not configured is refused in
 * the ack, with the ones that are: nothing is read.
 */
export async function logsCommand(
  deps: Deps,
  { ack, respond }: Args,
  cmd: Extract<PipelineCommand, { kind: 'logs' }>,
): Promise<void> {
  const source = resolveLogSource(deps.config, cmd.args.component);
  if (!source.ok) {
    await ack({ response_type: 'ephemeral', text: refusalText(source.reason.message, usage.pipeline) });
    return;
  }
  await ack();
  const reply = await logsReply(deps, logsQueryOf(source.value, cmd.args, deps.clock.now()));
  await respond({ response_type: 'ephemeral', ...reply });
}
