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

export async function openPlanFlow(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: { triggerId: string; user: string; channel: string },
  flow: PlanFlow,
): Promise<void> {
  const { config, guarded } = deps;
  const opened = await client.views.open({
    trigger_id: input.triggerId,
    view: loadingModal({ title: flow.title, callbackId: flow.callbackId, text: flow.loadingText }),
  });
  const viewId = opened.view?.id;
  if (!viewId) return;
  const show = (blocks: KnownBlock[]) =>
    client.views.update({
      view_id: viewId,
      view: infoModal({ title: flow.title, callbackId: flow.callbackId, blocks }),
    });

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
