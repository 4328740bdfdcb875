/**
 * Rollback of a Cloud Run service, from the "Roll back to …" button of /deploy-verify or from
 * `/deploy-verify rollback <service>`: plan (split now and after) → confirmation modal →
 * the generic approval and execution path.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { serviceNames } from '../domain/status.js';
import type { Deps } from '../flows/deps.js';
import { openRollbackModal } from '../flows/rollback.js';

const revisionPattern = /^[a-z][-a-z0-9]{0,62}$/;

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
