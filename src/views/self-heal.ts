/** `/pipeline self-heal`: the self-heal Cloud Scheduler job and its controls. Pure: data in, Block Kit out. */
import type { KnownBlock } from '@slack/types';
import type { SchedulerJobState } from '../domain/ports.js';
import type { Probe } from '../domain/result.js';
import { clockTime } from '../domain/self-heal-plan.js';
import { describeFailure, formatMinutes } from '../domain/status.js';
import { actions as ids } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  context,
  esc,
  escClip,
  escLine,
  header,
  link,
  section,
} from './common.js';

export interface SelfHealView {
  /** The configured job name (shown even when it could not be read). */
  job: string;
  probe: Probe<SchedulerJobState>;
  now: Date;
  /** The pipeline's time zone, for times without the job's own. */
  timeZone: string;
  consoleUrl: string;
}

const stateEmoji: Record<SchedulerJobState['state'], string> = {
  ENABLED: ':large_green_circle:',
  PAUSED: ':double_vertical_bar:',
  DISABLED: ':red_circle:',
  UPDATE_FAILED: ':red_circle:',
  STATE_UNSPECIFIED: ':white_circle:',
};

function when(iso: string | undefined, now: Date, timeZone: string): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return esc(iso);
  const min = Math.round((t - now.getTime()) / 60_000);
  const rel = min >= 0 ? `in ${formatMinutes(min)}` : `${formatMinutes(-min)} ago`;
  const day = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return `${day.format(new Date(t))} ${clockTime(iso, timeZone)} (${rel})`;
}

/** The job, with Pause or Resume (whichever applies) and Run now. */
export function selfHealMessage(v: SelfHealView): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Self-heal job: ${v.job}`)];
  if (!v.probe.ok) {
    blocks.push(
      section(`:white_circle: Could not read the job: ${esc(describeFailure(v.probe.error))}`),
      context(link(v.consoleUrl, 'Cloud Scheduler in the console')),
    );
    return blocks;
  }
  const j = v.probe.value;
  const tz = j.timeZone ?? v.timeZone;
  const lastOk = !j.lastStatus || j.lastStatus.code === 0;
  const lastStatus = !j.lastAttemptTime
    ? ''
    : lastOk
      ? ' · :white_check_mark: succeeded'
      : ` · :x: failed: ${escLine(j.lastStatus?.message || `code ${j.lastStatus?.code}`, 500)}`;
  const lines = [
    `*State*: ${stateEmoji[j.state] ?? stateEmoji.STATE_UNSPECIFIED} ${esc(j.state)}`,
    `*Schedule*: \`${escLine(j.schedule ?? '?', 100)}\` (${escLine(tz, 100)})`,
    `*Last attempt*: ${when(j.lastAttemptTime, v.now, tz)}${lastStatus}`,
    `*Next run*: ${j.state === 'ENABLED' ? when(j.nextRunTime, v.now, tz) : `none while ${esc(j.state.toLowerCase())}`}`,
  ];
  blocks.push(section(lines.join('\n')));
  const buttons = [];
  if (j.state === 'ENABLED') buttons.push(button('Pause', ids.selfHealPause, 'pause'));
  if (j.state === 'PAUSED')
    buttons.push(button('Resume', ids.selfHealResume, 'resume', { style: 'primary' }));
  buttons.push(button('Run now', ids.selfHealRun, 'run'));
  blocks.push(actions('self_heal', buttons));
  blocks.push(
    context(
      `${link(v.consoleUrl, 'Open in Cloud Scheduler')} · each action is planned, confirmed and approved first`,
    ),
  );
  return capBlocks(blocks);
}

export function selfHealFallback(v: SelfHealView): string {
  const job = escClip(v.job, 200);
  return v.probe.ok ? `Self-heal job ${job}: ${esc(v.probe.value.state)}` : `Self-heal job ${job}: unknown`;
}
