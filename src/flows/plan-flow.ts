/**
 * The first half of every guarded action (heal, backfill, rollback, self-heal control): open a
 * modal at once (a trigger_id lives 3 s), check who asks and where, refuse a second active
 * request for the same subject, compute the plan, keep it as a draft, and show it for
 * confirmation. Submission is src/interactions/plan-submit.ts.
 */
import type { AllMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { Plan, PlanKind } from '../domain/plan.js';
import { mayRequest } from '../domain/policy.js';
import { ACTIVE_STATES, describeHolder } from '../domain/requests.js';
import { esc, section } from '../views/common.js';
import { infoModal, loadingModal, planModal } from '../views/guarded.js';
import type { Deps } from './deps.js';
import { slackErrorCode } from './slack-failure.js';

/** The plan modal's private_metadata: which draft, from which channel. */
export interface PlanMetadata {
  hash: string;
  channel: string;
}

/** What a computation gives: a plan to confirm, or blocks to show instead (nothing to do, a refusal). */
export type PlanResult = { plan: Plan; warnings?: string[]; unknown?: string[] } | { blocks: KnownBlock[] };

export interface PlanFlow {
  kind: PlanKind;
  /** One active request per (kind, subject). */
  subject: string;
  /** Modal title (24 characters at most). */
  title: string;
  callbackId: string;
  loadingText: string;
  /** Audit detail for a refusal (e.g. which self-heal action). */
  detail?: string;
  compute(): Promise<PlanResult>;
}

/** An active request for (kind, subject), described for the person asking. */
async function activeRequestNote(deps: Deps, kind: string, subject: string): Promise<string | undefined> {
  const active = (await deps.guarded.store.list({ subject, states: ACTIVE_STATES, limit: 10 })).filter(
    (r) => r.plan.kind === kind,
  );
  const r = active[0];
  if (!r) return undefined;
  const state = describeHolder(r);
  return `A ${kind} of \`${subject}\` is ${state}${r.threadTs ? ` (see the request in <#${r.channel}>)` : ''}. Only one at a time.`;
}

/** Who opens a plan flow, from where, with which trigger. */
export interface FlowInput {
  triggerId: string;
  user: string;
  channel: string;
  /** Tells the person ephemerally (a response_url) when there is no modal to tell them in. */
  respond?: (text: string) => Promise<unknown>;
}

export async function openPlanFlow(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: FlowInput,
  flow: PlanFlow,
): Promise<void> {
  const say = async (text: string) => {
    await input
      .respond?.(text)
      .catch((error: unknown) =>
        deps.log.warn('could not tell the person', { user: input.user, code: slackErrorCode(error) }),
      );
  };
  let viewId: string | undefined;
  try {
    const opened = await client.views.open({
      trigger_id: input.triggerId,
      view: loadingModal({ title: flow.title, callbackId: flow.callbackId, text: flow.loadingText }),
    });
    viewId = opened.view?.id;
  } catch (error) {
    const code = slackErrorCode(error);
    deps.log.warn('plan modal not opened', { kind: flow.kind, user: input.user, code });
    await say(
      `:x: Slack did not open the ${flow.kind} modal (\`${code}\`). Nothing was changed: run the command again.`,
    );
    return;
  }
  if (!viewId) return;
  const id = viewId;
  let draft: string | undefined;
  try {
    await fillPlanModal(deps, client, { ...input, viewId: id }, flow, (hash) => {
      draft = hash;
    });
  } catch (error) {
    const code = slackErrorCode(error);
    deps.log.warn('plan modal not filled', { kind: flow.kind, user: input.user, code, error });
    // A plan nobody could see must not be submittable later.
    if (draft) await deps.guarded.drafts.delete(draft).catch(() => undefined);
    const text = `:x: The ${flow.kind} plan could not be shown: Slack answered \`${code}\`. Nothing was stored or changed.`;
    const shown = await client.views
      .update({
        view_id: id,
        view: infoModal({ title: flow.title, callbackId: flow.callbackId, blocks: [section(text)] }),
      })
      .then(() => true)
      .catch(() => false);
    if (!shown) await say(text);
  }
}

/** Everything after the modal opened: policy, one active request per subject, the plan, the draft. */
async function fillPlanModal(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: { user: string; channel: string; viewId: string },
  flow: PlanFlow,
  drafted: (hash: string) => void,
): Promise<void> {
  const { config, guarded } = deps;
  const { viewId } = input;
  const show = async (blocks: KnownBlock[]) => {
    await client.views.update({
      view_id: viewId,
      view: infoModal({ title: flow.title, callbackId: flow.callbackId, blocks }),
    });
  };
  // An approval request needs a channel approvers can see and the bot can post in: never a DM.
  if (input.channel.startsWith('D')) {
    await show([
      section(
        ':no_entry: Guarded actions need a channel: approvers must see the request. Run the command in the on-call channel (invite me there first if I am not in it).',
      ),
    ]);
    return;
  }

  const operatorIds = await guarded.directory.members(config.access.operators.userGroup);
  const allowed = mayRequest({
    user: input.user,
    channel: input.channel,
    access: config.access,
    operatorIds,
  });
  if (!allowed.ok) {
    deps.log.info('guarded request refused', {
      kind: flow.kind,
      user: input.user,
      code: allowed.reason.code,
    });
    await guarded.audit.append({
      requestId: '-',
      kind: flow.kind,
      subject: flow.subject,
      action: 'request',
      actor: input.user,
      at: deps.clock.now(),
      planHash: '-',
      outcome: `refused:${allowed.reason.code}`,
      ...(flow.detail ? { detail: flow.detail } : {}),
    });
    await show([section(`:no_entry: ${esc(allowed.reason.message)}`)]);
    return;
  }
  const busy = await activeRequestNote(deps, flow.kind, flow.subject);
  if (busy) {
    await show([section(`:hourglass: ${busy}`)]);
    return;
  }
  const result = await flow.compute();
  if ('blocks' in result) {
    await show(result.blocks);
    return;
  }
  drafted(result.plan.hash);
  await guarded.drafts.put(result.plan, config.access.requestTtlMinutes * 60_000);
  const metadata: PlanMetadata = { hash: result.plan.hash, channel: input.channel };
  await client.views.update({
    view_id: viewId,
    view: planModal(result.plan, {
      callbackId: flow.callbackId,
      submitLabel: 'Request approval',
      metadata: JSON.stringify(metadata),
      ...(result.unknown ? { unknown: result.unknown } : {}),
      ...(result.warnings ? { warnings: result.warnings } : {}),
    }),
  });
}
