/** Every command name, action_id, callback_id and block_id the bot uses, in one place. */

export const commands = {
  pipeline: '/pipeline',
  heal: '/heal',
  backfill: '/backfill',
  deployVerify: '/deploy-verify',
} as const;

export const actions = {
  approve: 'request_approve',
  reject: 'request_reject',
  cancel: 'request_cancel',
  undo: 'request_undo',
  retry: 'request_retry',
  resume: 'request_resume',
  openHeal: 'open_heal',
  openDeployVerify: 'open_deploy_verify',
  rollback: 'open_rollback',
  refreshStatus: 'refresh_status',
  showFindings: 'show_status_findings',
  consoleLink: 'console_link',
  selfHealPause: 'self_heal_pause',
  selfHealResume: 'self_heal_resume',
  selfHealRun: 'self_heal_run',
  alertAcknowledge: 'alert_acknowledge',
  /** A prefix: `alert_silence_1h`, `alert_silence_4h`, `alert_silence_tomorrow`. */
  alertSilence: 'alert_silence',
  /** `/pipeline trace` for the status report's date. */
  openTrace: 'open_trace',
  /** A component's recent logs (value: `kind/name`, and optionally since when). */
  openLogs: 'open_logs',
  /** The next page of `/pipeline logs` (value: the query and the Logging page token). */
  logsMore: 'logs_more',
  /** One entry of a logs page, whole, in a modal (the menu's option names it). */
  logsEntry: 'logs_entry',
} as const;

export const views = {
  healPlan: 'heal_plan',
  backfillPlan: 'backfill_plan',
  rollbackPlan: 'rollback_plan',
  selfHealPlan: 'self_heal_plan',
  /** The modal showing one log entry whole (nothing to submit). */
  logEntry: 'log_entry',
} as const;

export const blocks = {
  steps: 'plan_steps',
  stepsInput: 'plan_steps_input',
  reason: 'plan_reason',
  reasonInput: 'plan_reason_input',
  /** A logs page's actions: `logs_entries:<kind>/<name>` (the menu's entries belong to that component). */
  logsEntries: 'logs_entries',
  /** Logs buttons under a status report or a deploy verification. */
  logsButtons: 'logs_buttons',
} as const;

/**
 * The plan modal's step groups (a checkbox group holds 10 options): the first keeps `plan_steps`,
 * the next ones are `plan_steps_2`, `plan_steps_3`, …; each holds one `plan_steps_input`.
 */
export const stepGroupBlockId = (index: number): string =>
  index === 0 ? blocks.steps : `${blocks.steps}_${index + 1}`;

/** The Logs buttons under a report (an action_id is unique within its block): `open_logs`, `open_logs_2`, … */
export const logsButtonId = (index: number): string =>
  index === 0 ? actions.openLogs : `${actions.openLogs}_${index + 1}`;
export const logsButtonPattern = new RegExp(`^${actions.openLogs}(_\\d+)?$`);
