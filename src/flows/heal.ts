/**
 * The heal flow both the command and the buttons open: a modal at once, then the plan (data
 * checks and stuck runs) for confirmation. Submission is src/interactions/plan-submit.ts.
 */
import type { AllMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { gatherHealFacts, planHeal } from '../domain/heal-plan.js';
import type { IsoDate } from '../domain/ports.js';
import { views } from '../ids.js';
import { context, esc, fitLines, section } from '../views/common.js';
import { planMessage } from '../views/guarded.js';
import type { Deps } from './deps.js';
import { type FlowInput, openPlanFlow } from './plan-flow.js';

/** Open the heal modal at once, then fill it with the plan (also used by the status message's Heal button). */
export function openHealModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: FlowInput & { date: IsoDate },
): Promise<void> {
  const { date } = input;
  return openPlanFlow(deps, client, input, {
    kind: 'heal',
    subject: date,
    title: `Heal ${date}`,
    callbackId: views.healPlan,
    loadingText: `Computing the plan for ${date}: data checks and stuck runs…`,
    async compute() {
      const result = await healPlan(deps, date);
      return result.plan
        ? { plan: result.plan, unknown: result.unknown, warnings: result.warnings ?? [] }
        : { blocks: result.blocks };
    },
  });
}

/** The heal plan for `date`, or the blocks that say why there is none (also the dry run). */
export async function healPlan(deps: Deps, date: IsoDate) {
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
