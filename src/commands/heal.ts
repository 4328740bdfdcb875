/**
 * `/heal <date> [--dry-run]`: open a modal at once (the trigger_id lives 3 s), compute the plan,
 * then show it for confirmation. Submitting creates the guarded request (src/interactions/plan-submit.ts).
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { parseHeal, usage } from '../domain/command-args.js';
import { gatherHealFacts, planHeal } from '../domain/heal-plan.js';
import { mayRequest } from '../domain/policy.js';
import type { IsoDate } from '../domain/ports.js';
import { ACTIVE_STATES, describeHolder } from '../domain/requests.js';
import { views } from '../ids.js';
import { context, esc, fitLines, section } from '../views/common.js';
import { infoModal, loadingModal, planMessage, planModal } from '../views/guarded.js';
import { type Deps, refusalText } from './deps.js';

/** The plan modal's private_metadata: which draft, from which channel. */
export interface PlanMetadata {
  hash: string;
  channel: string;
}

/** An active request for (kind, subject), described for the person asking. */
export async function activeRequestNote(
  deps: Deps,
  kind: string,
  subject: string,
): Promise<string | undefined> {
  const active = (await deps.guarded.store.list({ subject, states: ACTIVE_STATES, limit: 10 })).filter(
    (r) => r.plan.kind === kind,
  );
  const r = active[0];
  if (!r) return undefined;
  const state = describeHolder(r);
  return `A ${kind} of \`${subject}\` is ${state}${r.threadTs ? ` (see the request in <#${r.channel}>)` : ''}. Only one at a time.`;
}

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
    });
  };

/** Open the heal modal at once, then fill it with the plan (also used by the status message's Heal button). */
export async function openHealModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: { triggerId: string; user: string; channel: string; date: IsoDate },
): Promise<void> {
  const { config, guarded } = deps;
  const { date } = input;
  // trigger_id expires 3 s after the command: open now, fill in when the plan is ready.
  const opened = await client.views.open({
    trigger_id: input.triggerId,
    view: loadingModal({
      title: `Heal ${date}`,
      callbackId: views.healPlan,
      text: `Computing the plan for ${date}: data checks and stuck runs…`,
    }),
  });
  const viewId = opened.view?.id;
  if (!viewId) return;
  const show = (blocks: KnownBlock[]) =>
    client.views.update({
      view_id: viewId,
      view: infoModal({ title: `Heal ${date}`, callbackId: views.healPlan, blocks }),
    });

  const operatorIds = await guarded.directory.members(config.access.operators.userGroup);
  const allowed = mayRequest({
    user: input.user,
    channel: input.channel,
    access: config.access,
    operatorIds,
  });
  if (!allowed.ok) {
    deps.log.info('heal refused', { user: input.user, code: allowed.reason.code });
    await guarded.audit.append({
      requestId: '-',
      kind: 'heal',
      subject: date,
      action: 'request',
      actor: input.user,
      at: deps.clock.now(),
      planHash: '-',
      outcome: `refused:${allowed.reason.code}`,
    });
    await show([section(`:no_entry: ${esc(allowed.reason.message)}`)]);
    return;
  }
  const busy = await activeRequestNote(deps, 'heal', date);
  if (busy) {
    await show([section(`:hourglass: ${busy}`)]);
    return;
  }
  const result = await plan(deps, date);
  if (!result.plan) {
    await show(result.blocks ?? []);
    return;
  }
  await guarded.drafts.put(result.plan, config.access.requestTtlMinutes * 60_000);
  const metadata: PlanMetadata = { hash: result.plan.hash, channel: input.channel };
  await client.views.update({
    view_id: viewId,
    view: planModal(result.plan, {
      callbackId: views.healPlan,
      submitLabel: 'Request approval',
      metadata: JSON.stringify(metadata),
      unknown: result.unknown,
      warnings: result.warnings,
    }),
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
