/**
 * The buttons of a guarded request: Approve, Reject, Cancel, Retry, Resume, Undo. Each asks
 * policy, then the engine, whose compare-and-set makes a second click, a second instance or a
 * repeated delivery find the request already taken; refusals go to the clicker alone.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { type FollowUp, mayApprove, mayFollowUp } from '../domain/policy.js';
import type { GuardedRequest } from '../domain/requests.js';
import type { Outcome } from '../domain/result.js';
import type { Deps } from '../flows/deps.js';
import { actions as ids } from '../ids.js';

type Kind = 'approve' | FollowUp;

const kindByAction: Record<string, Kind> = {
  [ids.approve]: 'approve',
  [ids.reject]: 'reject',
  [ids.cancel]: 'cancel',
  [ids.retry]: 'retry',
  [ids.resume]: 'resume',
  [ids.undo]: 'undo',
};

function parseValue(value: string | undefined): { id: string; hash: string } | undefined {
  try {
    const v = JSON.parse(value ?? '') as { id?: unknown; hash?: unknown };
    if (typeof v.id === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(v.id) && typeof v.hash === 'string') {
      return { id: v.id, hash: v.hash };
    }
  } catch {
    // fall through
  }
  return undefined;
}

export const makeRequestAction =
  (deps: Deps) =>
  async ({
    ack,
    body,
    action,
    client,
  }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const { guarded, config } = deps;
    const user = body.user.id;
    const channel = body.channel?.id;
    const kind = kindByAction[action.action_id];
    const value = parseValue(action.value);
    const tell = async (text: string) => {
      if (channel) await client.chat.postEphemeral({ channel, user, text });
    };
    if (!kind || !value) {
      await tell(':warning: That button does not name a request.');
      return;
    }
    const approverIds = await guarded.directory.members(config.access.approvers.userGroup);
    const check =
      kind === 'approve'
        ? (r: GuardedRequest) => mayApprove({ user, request: r, access: config.access, approverIds })
        : (r: GuardedRequest) =>
            mayFollowUp({ user, action: kind, request: r, access: config.access, approverIds });
    let result: Outcome<unknown>;
    switch (kind) {
      case 'approve':
        result = await guarded.engine.approve(value.id, user, check, { planHash: value.hash });
        break;
      case 'reject':
        result = await guarded.engine.reject(value.id, user, check);
        break;
      case 'cancel':
        result = await guarded.engine.cancel(value.id, user, check);
        break;
      case 'retry':
        result = await guarded.engine.retry(value.id, user, check);
        break;
      case 'resume':
        result = await guarded.engine.resume(value.id, user, check);
        break;
      case 'undo':
        result = await guarded.engine.undo(value.id, user, check);
        break;
    }
    deps.log.info('guarded action', {
      kind,
      request: value.id,
      user,
      ok: result.ok,
      ...(result.ok ? {} : { code: result.reason.code }),
    });
    if (!result.ok) await tell(`:no_entry: ${result.reason.message}`);
    await guarded.publish(value.id);
  };
