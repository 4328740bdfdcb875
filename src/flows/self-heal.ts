/**
 * The self-heal flow both `/pipeline self-heal` and its buttons open: a modal at once, then the
 * plan of a pause, resume or run of the self-heal scheduler job, for confirmation.
 */
import type { AllMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { ACTIVE_STATES } from '../domain/requests.js';
import {
  type ActiveHeal,
  planSelfHeal,
  type SelfHealAction,
  schedulerActions,
} from '../domain/self-heal-plan.js';
import { views } from '../ids.js';
import { esc, section } from '../views/common.js';
import { planMessage } from '../views/guarded.js';
import type { Deps } from './deps.js';
import { type FlowInput, openPlanFlow } from './plan-flow.js';

export const notConfigured =
  'No self-heal job is configured for this pipeline (`selfHeal` in the pipeline YAML).';

/** Heal requests in progress, and whether each pauses the self-heal job around itself. */
async function activeHeals(deps: Deps): Promise<ActiveHeal[]> {
  const active = await deps.guarded.store.list({ states: ACTIVE_STATES, limit: 50 });
  const guarding = new Set<string>([schedulerActions.pause, schedulerActions.resume]);
  return active
    .filter((r) => r.plan.kind === 'heal')
    .map((r) => ({ date: r.plan.subject, guardsJob: r.plan.steps.some((s) => guarding.has(s.action)) }));
}

/** The plan of a self-heal action, or the blocks that say why there is none (also the dry run). */
export async function selfHealPlan(deps: Deps, action: SelfHealAction) {
  const job = deps.config.selfHeal?.schedulerJob ?? '';
  const [probe, heals] = await Promise.all([deps.ports.scheduler.getJob(job), activeHeals(deps)]);
  const planned = planSelfHeal(deps.config, action, probe, deps.clock.now(), heals);
  if (!planned.ok) {
    const blocks: KnownBlock[] = [section(`:warning: ${esc(planned.reason.message)}`)];
    return { plan: undefined, blocks, warnings: [], unknown: [] };
  }
  const { plan: p, warnings, unknown } = planned.value;
  return { plan: p, blocks: planMessage(p, { warnings, unknown }), warnings, unknown };
}

/** Open the modal at once (the trigger_id lives 3 s), then fill it with the plan. Also used by the buttons. */
export function openSelfHealModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: FlowInput & { action: SelfHealAction },
): Promise<void> {
  const job = deps.config.selfHeal?.schedulerJob;
  return openPlanFlow(deps, client, input, {
    kind: 'self-heal',
    subject: job ?? 'self-heal',
    title: `${input.action === 'pause' ? 'Pause' : input.action === 'resume' ? 'Resume' : 'Run'} self-heal job`,
    callbackId: views.selfHealPlan,
    loadingText: 'Reading the self-heal job and computing the plan…',
    detail: input.action,
    async compute() {
      if (!job) return { blocks: [section(`:warning: ${esc(notConfigured)}`)] };
      const result = await selfHealPlan(deps, input.action);
      return result.plan
        ? { plan: result.plan, unknown: result.unknown, warnings: result.warnings }
        : { blocks: result.blocks };
    },
  });
}
