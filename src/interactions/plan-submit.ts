/**
 * Submission of a plan modal (any guarded action): the plan is read back by its hash, unticked
 * steps are dropped, and the request is created bound to the final plan's hash. The approval
 * message then goes to the channel, mentioning who may approve.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../commands/deps.js';
import type { PlanMetadata } from '../commands/plan-flow.js';
import { withoutSteps } from '../domain/plan.js';
import { describePrincipals, mayApprove, mayRequest } from '../domain/policy.js';
import { blocks as blockIds } from '../ids.js';
import { approvalMessage, requestFallback } from '../views/guarded.js';

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
    const { guarded, config } = deps;
    const user = body.user.id;
    const meta = parseMetadata(view.private_metadata);
    const selected =
      view.state.values[blockIds.steps]?.[blockIds.stepsInput]?.selected_options?.map((o) => o.value) ?? [];
    if (selected.length === 0) {
      await ack({ response_action: 'errors', errors: { [blockIds.steps]: 'Tick at least one step.' } });
      return;
    }
    const plan = meta ? await guarded.drafts.get(meta.hash) : undefined;
    if (!meta || !plan) {
      await ack({
        response_action: 'errors',
        errors: {
          [blockIds.steps]: 'This plan has expired or changed. Close this and run the command again.',
        },
      });
      return;
    }
    await ack();
    const reason = view.state.values[blockIds.reason]?.[blockIds.reasonInput]?.value ?? undefined;
    const final = withoutSteps(
      plan,
      plan.steps.filter((s) => !selected.includes(s.id)).map((s) => s.id),
    );
    const operatorIds = await guarded.directory.members(config.access.operators.userGroup);
    const check = mayRequest({ user, channel: meta.channel, access: config.access, operatorIds });
    const created = await guarded.engine.submit({
      plan: final,
      requester: user,
      channel: meta.channel,
      ttlMs: config.access.requestTtlMinutes * 60_000,
      check,
    });
    if (!created.ok) {
      await client.chat.postEphemeral({
        channel: meta.channel,
        user,
        text: `:no_entry: ${created.reason.message}`,
      });
      return;
    }
    const request = created.value;
    const approvers = describePrincipals(config.access.approvers) ?? 'nobody configured';
    const posted = await client.chat.postMessage({
      channel: meta.channel,
      text: `${requestFallback(request, 'pending_approval')}: ${approvers}`,
      blocks: approvalMessage(request, {
        state: 'pending_approval',
        approvers,
        ...(reason ? { reason } : {}),
      }),
    });
    if (posted.ts) await guarded.engine.attachMessage(request.id, { threadTs: posted.ts });
    deps.log.info('guarded request created', {
      id: request.id,
      kind: final.kind,
      subject: final.subject,
      hash: final.hash,
      user,
    });
    // An approver may run their own request at once when the two-person rule is off.
    if (!config.access.twoPersonRule) {
      const approverIds = await guarded.directory.members(config.access.approvers.userGroup);
      const may = mayApprove({
        user,
        request: { requester: user, channel: meta.channel },
        access: config.access,
        approverIds,
      });
      if (may.ok) await guarded.engine.approve(request.id, user, may, { planHash: final.hash });
    }
    await guarded.publish(request.id);
  };
