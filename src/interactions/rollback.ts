/**
 * Rollback of a Cloud Run service, from the "Roll back to …" button of /deploy-verify or from
 * `/deploy-verify rollback <service>`: plan (split now and after) → confirmation modal →
 * the generic approval and execution path.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../commands/deps.js';
import { openPlanFlow } from '../commands/plan-flow.js';
import type { Plan } from '../domain/plan.js';
import { type Outcome, refuse } from '../domain/result.js';
import { planRollback } from '../domain/rollback-plan.js';
import { serviceNames } from '../domain/status.js';
import { views } from '../ids.js';
import { esc, section } from '../views/common.js';

const revisionPattern = /^[a-z][-a-z0-9]{0,62}$/;

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
  input: {
    triggerId: string;
    user: string;
    channel: string;
    service: string;
    to?: string;
    respond?: (text: string) => Promise<unknown>;
  },
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

/** The "Roll back to …" button: its value names a configured service and a revision of it. */
export const makeRollbackButton =
  (deps: Deps) =>
  async ({
    ack,
    action,
    body,
    client,
  }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    let value: { service?: unknown; to?: unknown } = {};
    try {
      value = JSON.parse(action.value ?? '{}') as typeof value;
    } catch {
      // refused below
    }
    const service = serviceNames(deps.config).find((s) => s === value.service);
    const to =
      typeof value.to === 'string' &&
      revisionPattern.test(value.to) &&
      service &&
      value.to.startsWith(`${service}-`)
        ? value.to
        : undefined;
    const channel = body.channel?.id;
    if (!service || !to || !channel) {
      if (channel)
        await client.chat.postEphemeral({
          channel,
          user: body.user.id,
          text: ':warning: That button does not name a configured service and revision.',
        });
      return;
    }
    await openRollbackModal(deps, client, {
      triggerId: body.trigger_id,
      user: body.user.id,
      channel,
      service,
      to,
    });
  };
