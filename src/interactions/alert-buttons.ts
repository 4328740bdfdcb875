/**
 * Acknowledge and Silence on an alert message: only on-call and operators may, every attempt is
 * audited (refusals too), and the message is updated in place to show who did it. The button's
 * value comes back from Slack: the group id and the silence's length are parsed again, never used
 * as they arrive.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { type SilenceChoice, shownKey, silenceUntil } from '../domain/alerts.js';
import { mayManageAlerts } from '../domain/policy.js';
import { accept, type Outcome, refuse } from '../domain/result.js';
import type { AlertsDeps, Deps } from '../flows/deps.js';
import { actions as ids } from '../ids.js';
import { silenceChoices } from '../views/alerts.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Group ids the watch writes: a date, `components` (their state now), or `pipeline` (everything). */
const groupId = /^(\d{4}-\d{2}-\d{2}|components|pipeline)$/;

export const alertSilenceIds = silenceChoices.map((c) => `${ids.alertSilence}_${c.id}`);

type AlertCommand =
  | { group: string; action: 'acknowledge' }
  | { group: string; action: 'silence'; for: SilenceChoice };

/** What the click asks, from its action_id and value; refused when either is not one the bot wrote. */
export function parseAlertAction(actionId: string, value: string | undefined): Outcome<AlertCommand> {
  if (actionId === ids.alertAcknowledge) {
    return groupId.test(value ?? '')
      ? accept({ group: value!, action: 'acknowledge' })
      : refuse('bad_input', 'Not an alert of this bot.');
  }
  const choice = silenceChoices.find((c) => actionId === `${ids.alertSilence}_${c.id}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? '');
  } catch {
    parsed = undefined;
  }
  const group = (parsed as { group?: unknown } | undefined)?.group;
  if (!choice || typeof group !== 'string' || !groupId.test(group)) {
    return refuse('bad_input', 'Not an alert of this bot.');
  }
  return accept({ group, action: 'silence', for: choice.id });
}

export const makeAlertButton =
  (deps: Deps) =>
  async ({ ack, action, body, respond }: Args): Promise<void> => {
    await ack();
    const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    const alerts = deps.alerts;
    if (!alerts) return void (await say('The watch is not configured here.'));
    const cmd = parseAlertAction(action.action_id, action.value);
    if (!cmd.ok) return void (await say(cmd.reason.message));
    const user = body.user.id;
    const allowed = await mayManage(deps, user);
    const audit = (outcome: string, detail?: string) =>
      deps.guarded.audit.append({
        requestId: `alert:${cmd.value.group}`,
        kind: 'alert',
        subject: cmd.value.group,
        action: cmd.value.action,
        actor: user,
        at: deps.clock.now(),
        planHash: '',
        outcome,
        ...(detail ? { detail } : {}),
      });
    if (!allowed.ok) {
      await audit(`refused:${allowed.reason.code}`);
      return void (await say(allowed.reason.message));
    }
    const view = await apply(deps, alerts, cmd.value, user);
    const open =
      view?.group.state === 'open' &&
      view.alerts.some((a) => a.state !== 'resolved' && a.state !== 'pending');
    if (!view || !open) {
      await audit('refused:not_open');
      return void (await say(`Nothing is open in ${cmd.value.group} any more.`));
    }
    await audit(cmd.value.action === 'silence' ? 'silenced' : 'acknowledged', describe(cmd.value));
    const updated = await alerts.notifier.update(view);
    if (updated.ok) await alerts.store.recordShown(view.group.id, shownKey(view.alerts));
    else deps.log.warn('alert update failed', { group: view.group.id, error: updated.error.message });
  };

async function mayManage(deps: Deps, user: string) {
  const { access } = deps.config;
  const [approverIds, operatorIds] = await Promise.all([
    deps.guarded.directory.members(access.approvers.userGroup),
    deps.guarded.directory.members(access.operators.userGroup),
  ]);
  return mayManageAlerts({ user, access, approverIds, operatorIds });
}

function apply(deps: Deps, alerts: AlertsDeps, cmd: AlertCommand, user: string) {
  if (cmd.action === 'acknowledge') return alerts.store.acknowledge(cmd.group, user);
  const until = silenceUntil(cmd.for, deps.clock.now(), deps.config.timeZone);
  return alerts.store.silence(cmd.group, user, until);
}

const describe = (cmd: AlertCommand) => (cmd.action === 'silence' ? `for ${cmd.for}` : undefined);
