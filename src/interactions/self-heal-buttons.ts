/** The buttons of `/pipeline self-heal`: Pause, Resume, Run now. Each opens the same guarded flow as the command. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SelfHealAction } from '../domain/self-heal-plan.js';
import type { Deps } from '../flows/deps.js';
import { openSelfHealModal } from '../flows/self-heal.js';
import { actions as ids } from '../ids.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** By action_id: the button's value arrives from Slack and is not trusted. */
const actionById: Record<string, SelfHealAction> = {
  [ids.selfHealPause]: 'pause',
  [ids.selfHealResume]: 'resume',
  [ids.selfHealRun]: 'run',
};

export const selfHealButtonIds = Object.keys(actionById);

export const makeSelfHealButton =
  (deps: Deps) =>
  async ({ ack, action, body, client, respond }: Args): Promise<void> => {
    await ack();
    const which = actionById[action.action_id];
    const channel = body.channel?.id;
    if (!which || !channel) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That button does not name a self-heal action.',
      });
      return;
    }
    await openSelfHealModal(deps, client, {
      triggerId: body.trigger_id,
      user: body.user.id,
      channel,
      action: which,
      respond: (text) => respond({ response_type: 'ephemeral', replace_original: false, text }),
    });
  };
