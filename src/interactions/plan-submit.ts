/**
 * Submission of a plan modal (any guarded action): the plan is read back by its hash, unticked
 * steps are dropped, and the request is created bound to the final plan's hash. The approval
 * message then goes to the channel, mentioning who may approve. The modal stays open on a
 * "posting…" view and says how it ended: approval requested, or what Slack refused.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { Plan } from '../domain/plan.js';
import { selectSteps, tickedSteps } from '../domain/plan-selection.js';
import { describePrincipals, mayApprove, mayRequest } from '../domain/policy.js';
import type { Deps } from '../flows/deps.js';
import type { PlanMetadata } from '../flows/plan-flow.js';
import { postFailureText, slackErrorCode } from '../flows/slack-failure.js';
import { blocks as blockIds } from '../ids.js';
import { context, esc, section } from '../views/common.js';
import { approvalMessage, infoModal, loadingModal, requestFallback } from '../views/guarded.js';

function parseMetadata(text: string): PlanMetadata | undefined {
  try {
    const m = JSON.parse(text) as Partial<PlanMetadata>;
    if (typeof m.hash === 'string' && /^[0-9a-f]{64}$/.test(m.hash) && typeof m.channel === 'string') {
      return { hash: m.hash, channel: m.channel };
    }
  } catch {
    // fall through
  }
  return undefined;
}

export const makePlanSubmit =
  (deps: Deps) =>
  async ({ ack, view, body, client }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { guarded } = deps;
    const user = body.user.id;
    const meta = parseMetadata(view.private_metadata);
    // The ticks of every step group; errors go to the first group, or to the reason when a plan has no optional step.
    const { offered, ticked } = tickedSteps(view.state.values, blockIds.stepsInput);
    const errorBlock = offered ? blockIds.steps : blockIds.reason;
    if (offered && ticked.length === 0) {
      await ack({ response_action: 'errors', errors: { [errorBlock]: 'Tick at least one step.' } });
      return;
    }
    // Slack waits 3 s for this answer: the draft read is bounded well inside it.
    const plan = meta ? await withinAckBudget(guarded.drafts.get(meta.hash)) : undefined;
    if (plan === 'late') {
      await ack({
        response_action: 'errors',
        errors: { [errorBlock]: 'The bot could not read this plan in time. Submit again in a moment.' },
      });
      return;
    }
    if (!meta || !plan) {
      await ack({
        response_action: 'errors',
        errors: {
          [errorBlock]: 'This plan has expired or changed. Close this and run the command again.',
        },
      });
      return;
    }
    const selection = selectSteps(plan, ticked);
    if (!selection.ok) {
      await ack({ response_action: 'errors', errors: { [errorBlock]: selection.reason.message } });
      return;
    }
    // Keep the modal open on a "posting…" view: whatever happens next is told there, also where
    // the bot cannot post (a DM, a channel it is not in), and no person is left guessing.
    const shown = { title: view.title.text, callbackId: view.callback_id };
    await ack({
      response_action: 'update',
      view: loadingModal({ ...shown, text: 'Storing the request and posting it for approval…' }),
    });
    const reason = view.state.values[blockIds.reason]?.[blockIds.reasonInput]?.value ?? undefined;
    const tell = (blocks: KnownBlock[]) =>
      client.views
        .update({ view_id: view.id, view: infoModal({ ...shown, blocks }) })
        .catch((error: unknown) =>
          deps.log.warn('could not show the outcome of a plan submission', {
            user,
            code: slackErrorCode(error),
          }),
        );
    try {
      await submitAndPost(deps, client, {
        plan: selection.value,
        user,
        channel: meta.channel,
        ...(reason ? { reason } : {}),
        tell,
      });
    } catch (error) {
      deps.log.error('plan submission failed', { user, error });
      await tell([
        section(':x: Something failed while storing or posting the request. Nothing was started.'),
      ]);
    }
  };

/** Resolves with the answer, or 'late' when it would not leave time to ack within Slack's 3 s. */
async function withinAckBudget<T>(answer: Promise<T>, ms = 2000): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Create the request and post it for approval. When the post is refused the request is
 * cancelled at once (it would hold its subject's lock until it expired, with no message to
 * approve it from), and the person is told why in the modal.
 */
async function submitAndPost(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: {
    plan: Plan;
    user: string;
    channel: string;
    reason?: string;
    tell: (blocks: KnownBlock[]) => Promise<unknown>;
  },
): Promise<void> {
  const { guarded, config } = deps;
  const { plan: final, user, channel, tell } = input;
  const operatorIds = await guarded.directory.members(config.access.operators.userGroup);
  const check = mayRequest({ user, channel, access: config.access, operatorIds });
  const created = await guarded.engine.submit({
    plan: final,
    requester: user,
    channel,
    ttlMs: config.access.requestTtlMinutes * 60_000,
    ...(input.reason ? { reason: input.reason } : {}),
    check,
  });
  if (!created.ok) {
    await tell([section(`:no_entry: ${esc(created.reason.message)}`)]);
    return;
  }
  const request = created.value;
  const approvers = describePrincipals(config.access.approvers) ?? 'nobody configured';
  let ts: string | undefined;
  try {
    const posted = await client.chat.postMessage({
      channel,
      text: `${requestFallback(request, 'pending_approval')}: ${approvers}`,
      blocks: approvalMessage(request, { state: 'pending_approval', approvers }),
    });
    ts = posted.ts;
  } catch (error) {
    const code = slackErrorCode(error);
    deps.log.warn('approval request not posted; request withdrawn', { id: request.id, user, code });
    await guarded.engine.cancel(request.id, user);
    await guarded.audit.append({
      requestId: request.id,
      kind: final.kind,
      subject: final.subject,
      action: 'post',
      actor: user,
      at: deps.clock.now(),
      planHash: final.hash,
      outcome: `failed:${code}`,
      detail: 'The approval request could not be posted; the request was cancelled.',
    });
    await tell([
      section(`:x: ${postFailureText(code, channel, 'the approval request')}`),
      context('Nothing was stored: the request was withdrawn at once.'),
    ]);
    return;
  }
  if (ts) await guarded.engine.attachMessage(request.id, { threadTs: ts });
  deps.log.info('guarded request created', {
    id: request.id,
    kind: final.kind,
    subject: final.subject,
    hash: final.hash,
    user,
  });
  // An approver may run their own request at once when the two-person rule is off.
  let startedNow = false;
  if (!config.access.twoPersonRule) {
    const approverIds = await guarded.directory.members(config.access.approvers.userGroup);
    const may = mayApprove({
      user,
      request: { requester: user, channel },
      access: config.access,
      approverIds,
    });
    if (may.ok)
      startedNow = (await guarded.engine.approve(request.id, user, may, { planHash: final.hash })).ok;
  }
  await guarded.publish(request.id);
  await tell([
    section(
      startedNow
        ? `:white_check_mark: Started in <#${channel}>: progress is in the request's thread.`
        : `:white_check_mark: Approval requested in <#${channel}> from ${approvers}.`,
    ),
    context(`request \`${request.id.slice(0, 8)}\``),
  ]);
}
