/**
 * `/heal <date> [--dry-run]`: open a modal at once (the trigger_id lives 3 s), compute the plan,
 * then show it for confirmation. Submitting creates the guarded request (src/interactions/plan-submit.ts).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { parseHeal, usage } from '../domain/command-args.js';
import { gatherHealFacts, planHeal } from '../domain/heal-plan.js';
import type { IsoDate } from '../domain/ports.js';
import { views } from '../ids.js';
import { context, esc, fitLines, section } from '../views/common.js';
import { planMessage } from '../views/guarded.js';
import { type Deps, refusalText } from './deps.js';
import { openPlanFlow } from './plan-flow.js';

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
      const result = await plan(deps, date);
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

/** Open the heal modal at once, then fill it with the plan (also used by the status message's Heal button). */
export function openHealModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: {
    triggerId: string;
    user: string;
    channel: string;
    date: IsoDate;
    respond?: (text: string) => Promise<unknown>;
  },
): Promise<void> {
  const { date } = input;
  return openPlanFlow(deps, client, input, {
    kind: 'heal',
    subject: date,
    title: `Heal ${date}`,
    callbackId: views.healPlan,
    loadingText: `Computing the plan for ${date}: data checks and stuck runs…`,
    async compute() {
      const result = await plan(deps, date);
      return result.plan
        ? { plan: result.plan, unknown: result.unknown, warnings: result.warnings ?? [] }
        : { blocks: result.blocks };
    },
  });
}

async function plan(deps: Deps, date: IsoDate) {
  const now = deps.clock.now();
  const facts = await gatherHealFacts(deps.ports, deps.config, date, now);
  const planned = planHeal(deps.config, date, facts, now);
  if (!planned.ok)
    return { plan: undefined, blocks: [section(`:warning: ${esc(planned.reason.message)}`)], unknown: [] };
  const { plan: p, evidence, unknown, warnings = [] } = planned.value;
  if (!p) {
    const blocks: KnownBlock[] = [
      section(`:white_check_mark: *Nothing to heal for ${date}*: the data is complete and no run is stuck.`),
      section(`*Evidence*\n${fitLines(evidence.map(esc), { maxLines: 15 })}`),
    ];
    if (unknown.length)
      blocks.push(section(`:white_circle: *Could not check*\n${fitLines(unknown.map(esc))}`));
    blocks.push(context('Nothing was changed.'));
    return { plan: undefined, blocks, unknown };
  }
  return { plan: p, blocks: planMessage(p, { unknown, warnings }), unknown, warnings };
}
