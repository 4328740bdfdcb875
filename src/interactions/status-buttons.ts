/** Buttons on status reports: Refresh, Heal <date>, Verify deploys. They lead into the same flows as the commands. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { parseDate } from '../domain/dates.js';
import { verifyDeploys } from '../domain/deploy-verify.js';
import type { Deps } from '../flows/deps.js';
import { openHealModal } from '../flows/heal.js';
import { getStatus } from '../flows/status.js';
import { deployVerifyFallback, deployVerifyMessage } from '../views/deploy-verify.js';
import { statusFallback, statusMessage } from '../views/status.js';
import { findingsMessage } from '../views/status-findings.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** The button's value is a date the bot wrote, but it arrives from Slack: parse it again. */
function dateOf(deps: Deps, value: string | undefined) {
  return parseDate(value ?? '', deps.config.timeZone, deps.clock.now());
}

export const makeRefreshStatus =
  (deps: Deps) =>
  async ({ ack, action, respond, body }: Args): Promise<void> => {
    await ack();
    const date = dateOf(deps, action.value);
    if (!date.ok) return;
    const report = await getStatus(deps, date.value, true);
    const inChannel = body.container?.is_ephemeral !== true && body.message !== undefined;
    await respond({
      replace_original: true,
      ...(inChannel ? { response_type: 'in_channel' as const } : {}),
      text: statusFallback(report),
      blocks: statusMessage(report, { withActions: true }),
    });
  };

/** Every finding of the report, to the one who asked: what the summary under the verdict had no room for. */
export const makeShowFindings =
  (deps: Deps) =>
  async ({ ack, action, respond }: Args): Promise<void> => {
    await ack();
    const date = dateOf(deps, action.value);
    if (!date.ok) return;
    const report = await getStatus(deps, date.value, false);
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: statusFallback(report),
      blocks: findingsMessage(report),
    });
  };

export const makeOpenHeal =
  (deps: Deps) =>
  async ({ ack, action, body, client, respond }: Args): Promise<void> => {
    await ack();
    const date = dateOf(deps, action.value);
    const channel = body.channel?.id;
    if (!date.ok || !channel) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That button does not name a date.',
      });
      return;
    }
    await openHealModal(deps, client, {
      triggerId: body.trigger_id,
      user: body.user.id,
      channel,
      date: date.value,
      respond: (text) => respond({ response_type: 'ephemeral', replace_original: false, text }),
    });
  };

export const makeOpenDeployVerify =
  (deps: Deps) =>
  async ({ ack, respond }: Args): Promise<void> => {
    await ack();
    const report = await verifyDeploys(deps.ports, deps.config, { target: 'all' }, deps.clock.now());
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: deployVerifyFallback(report),
      blocks: deployVerifyMessage(report),
    });
  };
