/** Registers every button and modal listener. */
import type { App } from '@slack/bolt';
import type { Deps } from '../flows/deps.js';
import { actions, logsButtonPattern, views } from '../ids.js';
import { alertSilenceIds, makeAlertButton } from './alert-buttons.js';
import { makeHomeOpened } from './home.js';
import { makeLogsEntry, makeLogsMore, makeOpenLogs, makeOpenTrace } from './logs-buttons.js';
import { makePlanSubmit } from './plan-submit.js';
import { makeRequestAction } from './request-actions.js';
import { makeRollbackButton } from './rollback.js';
import { makeSelfHealButton, selfHealButtonIds } from './self-heal-buttons.js';
import { makeOpenDeployVerify, makeOpenHeal, makeRefreshStatus, makeShowFindings } from './status-buttons.js';

export function register(app: App, deps: Deps): void {
  app.event('app_home_opened', makeHomeOpened(deps));
  const requestAction = makeRequestAction(deps);
  for (const id of [
    actions.approve,
    actions.reject,
    actions.cancel,
    actions.retry,
    actions.resume,
    actions.undo,
  ]) {
    app.action(id, requestAction);
  }
  app.action(actions.refreshStatus, makeRefreshStatus(deps));
  app.action(actions.showFindings, makeShowFindings(deps));
  app.action(actions.openHeal, makeOpenHeal(deps));
  app.action(actions.openDeployVerify, makeOpenDeployVerify(deps));
  app.action(actions.rollback, makeRollbackButton(deps));
  for (const id of selfHealButtonIds) app.action(id, makeSelfHealButton(deps));
  app.action(actions.openTrace, makeOpenTrace(deps));
  app.action(logsButtonPattern, makeOpenLogs(deps));
  app.action(actions.logsMore, makeLogsMore(deps));
  app.action(actions.logsEntry, makeLogsEntry(deps));
  const alertButton = makeAlertButton(deps);
  for (const id of [actions.alertAcknowledge, ...alertSilenceIds]) app.action(id, alertButton);
  const submit = makePlanSubmit(deps);
  for (const id of [views.healPlan, views.backfillPlan, views.rollbackPlan, views.selfHealPlan]) {
    app.view(id, submit);
  }
}
