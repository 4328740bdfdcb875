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
} as const;

export const views = {
  healPlan: 'heal_plan',
  backfillPlan: 'backfill_plan',
  rollbackPlan: 'rollback_plan',
  selfHealPlan: 'self_heal_plan',
} as const;

export const blocks = {
  steps: 'plan_steps',
  stepsInput: 'plan_steps_input',
  reason: 'plan_reason',
  reasonInput: 'plan_reason_input',
} as const;

/**
 * The plan modal's step groups (a checkbox group holds 10 options): the first keeps `plan_steps`,
 * the next ones are `plan_steps_2`, `plan_steps_3`, …; each holds one `plan_steps_input`.
 */
export const stepGroupBlockId = (index: number): string =>
  index === 0 ? blocks.steps : `${blocks.steps}_${index + 1}`;
