/**
 * `/pipeline self-heal [pause|resume|run] [--dry-run]`: show the self-heal Cloud Scheduler job,
 * or plan an action on it as a guarded request (modal → approval → run → undo), like /heal.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { PipelineCommand } from '../domain/command-args.js';
import { links } from '../domain/links.js';
import type { Deps } from '../flows/deps.js';
import { notConfigured, openSelfHealModal, selfHealPlan } from '../flows/self-heal.js';
import { selfHealFallback, selfHealMessage } from '../views/self-heal.js';

type Args = Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'command' | 'client' | 'respond'>;
type SelfHealCommand = Extract<PipelineCommand, { kind: 'self-heal' }>;

/** The `/pipeline self-heal …` branch of /pipeline. */
export async function selfHealCommand(deps: Deps, args: Args, cmd: SelfHealCommand): Promise<void> {
  const { ack, command, client, respond } = args;
  const selfHeal = deps.config.selfHeal;
  if (!selfHeal) {
    await ack({ response_type: 'ephemeral', text: notConfigured });
    return;
  }
  await ack();
  if (cmd.action === 'show') {
    const probe = await deps.ports.scheduler.getJob(selfHeal.schedulerJob);
    const view = {
      job: selfHeal.schedulerJob,
      probe,
      now: deps.clock.now(),
      timeZone: deps.config.timeZone,
      consoleUrl: links.schedulerJob({ project: deps.config.project, region: deps.config.region }),
    };
    await respond({
      response_type: 'ephemeral',
      text: selfHealFallback(view),
      blocks: selfHealMessage(view),
    });
    return;
  }
  if (cmd.dryRun) {
    const result = await selfHealPlan(deps, cmd.action);
    await respond({
      response_type: 'ephemeral',
      text: result.plan ? `${result.plan.title}: dry run` : 'Self-heal: nothing planned',
      blocks: result.blocks,
    });
    return;
  }
  await openSelfHealModal(deps, client, {
    triggerId: command.trigger_id,
    user: command.user_id,
    channel: command.channel_id,
    action: cmd.action,
    respond: (text) => respond({ response_type: 'ephemeral', text }),
  });
}
