/**
 * `/pipeline self-heal [pause|resume|run] [--dry-run]`: show the self-heal Cloud Scheduler job,
 * or plan an action on it as a guarded request (modal → approval → run → undo), like /heal.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { PipelineCommand } from '../domain/command-args.js';
import { links } from '../domain/links.js';
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
import { selfHealFallback, selfHealMessage } from '../views/self-heal.js';
import type { Deps } from './deps.js';
import { openPlanFlow } from './plan-flow.js';

type Args = Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'command' | 'client' | 'respond'>;
type SelfHealCommand = Extract<PipelineCommand, { kind: 'self-heal' }>;

const notConfigured = 'No self-heal job is configured for this pipeline (`selfHeal` in the pipeline YAML).';

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
    const result = await plan(deps, cmd.action);
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

/** Heal requests in progress, and whether each pauses the self-heal job around itself. */
async function activeHeals(deps: Deps): Promise<ActiveHeal[]> {
  const active = await deps.guarded.store.list({ states: ACTIVE_STATES, limit: 50 });
  const guarding = new Set<string>([schedulerActions.pause, schedulerActions.resume]);
  return active
    .filter((r) => r.plan.kind === 'heal')
    .map((r) => ({ date: r.plan.subject, guardsJob: r.plan.steps.some((s) => guarding.has(s.action)) }));
}

async function plan(deps: Deps, action: SelfHealAction) {
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
  input: {
    triggerId: string;
    user: string;
    channel: string;
    action: SelfHealAction;
    respond?: (text: string) => Promise<unknown>;
  },
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
      const result = await plan(deps, input.action);
      return result.plan
        ? { plan: result.plan, unknown: result.unknown, warnings: result.warnings }
        : { blocks: result.blocks };
    },
  });
}
