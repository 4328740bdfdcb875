/**
 * The rollback flow both `/deploy-verify rollback <service>` and the "Roll back" buttons open:
 * plan (split now and after) → confirmation modal → the generic approval and execution path.
 */
import type { AllMiddlewareArgs } from '@slack/bolt';
import type { Plan } from '../domain/plan.js';
import { type Outcome, refuse } from '../domain/result.js';
import { planRollback } from '../domain/rollback-plan.js';
import { views } from '../ids.js';
import { esc, section } from '../views/common.js';
import type { Deps } from './deps.js';
import { type FlowInput, openPlanFlow } from './plan-flow.js';

/** The rollback plan for `service`, to `to` or else to the newest ready revision older than the one serving. */
export async function rollbackPlan(deps: Deps, service: string, to?: string): Promise<Outcome<Plan>> {
  const [svc, revs] = await Promise.all([
    deps.ports.cloudRun.getService(service),
    deps.ports.cloudRun.listRevisions(service),
  ]);
  if (!svc.ok) return refuse('no_answer', `Cannot read ${service}: ${svc.error.message}`);
  if (!revs.ok) return refuse('no_answer', `Cannot list the revisions of ${service}: ${revs.error.message}`);
  let target = to;
  if (!target) {
    const serving = [...svc.value.servingShares].sort((a, b) => b.percent - a.percent)[0]?.revision;
    const idx = revs.value.findIndex((r) => r.name === serving);
    target = revs.value.slice(idx + 1).find((r) => r.ready.state === 'true')?.name;
    if (!target) return refuse('no_target', `${service} has no earlier ready revision to roll back to.`);
  }
  return planRollback(service, svc.value, revs.value, target);
}

export function openRollbackModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: FlowInput & { service: string; to?: string },
): Promise<void> {
  return openPlanFlow(deps, client, input, {
    kind: 'rollback',
    subject: input.service,
    title: 'Roll back',
    callbackId: views.rollbackPlan,
    loadingText: `Reading ${input.service} and its revisions…`,
    async compute() {
      const plan = await rollbackPlan(deps, input.service, input.to);
      if (!plan.ok) return { blocks: [section(`:warning: ${esc(plan.reason.message)}`)] };
      return {
        plan: plan.value,
        warnings: [`Roll back ${input.service}: traffic moves at once; Undo puts the current split back.`],
      };
    },
  });
}
