/**
 * `/heal <date> [--dry-run]`: open a modal at once (the trigger_id lives 3 s), compute the plan,
 * then show it for confirmation. Submitting creates the guarded request (src/interactions/plan-submit.ts).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseHeal, usage } from '../domain/command-args.js';
import { type Deps, refusalText } from '../flows/deps.js';
import { healPlan, openHealModal } from '../flows/heal.js';

export const makeHealCommand =
  (deps: Deps) =>
  async ({
    ack,
    command,
    client,
    respond,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { config } = deps;
    const parsed = parseHeal(command.text, config.timeZone, deps.clock.now());
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: refusalText(parsed.reason.message, usage.heal) });
      return;
    }
    const { date, dryRun } = parsed.value;
    await ack();
    if (dryRun) {
      const result = await healPlan(deps, date);
      await respond({
        response_type: 'ephemeral',
        text: `Heal ${date}: dry run`,
        blocks: result.blocks ?? [],
      });
      return;
    }
    await openHealModal(deps, client, {
      triggerId: command.trigger_id,
      user: command.user_id,
      channel: command.channel_id,
      date,
      respond: (text) => respond({ response_type: 'ephemeral', text }),
    });
  };
