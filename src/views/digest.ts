/** The daily digest: the verdicts of yesterday and today, what healed and who did it, what is open, the last day's actions. */
import type { KnownBlock } from '@slack/types';
import type { Digest, DigestVerdict } from '../domain/digest.js';
import type { AuditEntry } from '../domain/requests.js';
import { openAlertsText } from './alerts.js';
import {
  context,
  esc,
  escLine,
  fitMessage,
  header,
  healthEmoji,
  lineSections,
  mention,
  section,
} from './common.js';

function verdictLine(v: DigestVerdict): string {
  if (!v.verdict)
    return `:white_circle: *${v.date}* · no verdict: ${escLine(v.error ?? 'the report failed', 200)}`;
  const c = v.counts;
  const counts = c ? ` · ${c.fail} failing, ${c.warn} warnings, ${c.unknown} unread` : '';
  return `${healthEmoji[v.verdict]} *${v.date}* · ${v.verdict}${counts}`;
}

function actionLine(e: AuditEntry, time: (d: Date) => string): string {
  return `${time(e.at)} ${esc(e.kind)} ${escLine(e.subject, 80)} · *${escLine(e.action, 40)}* by ${mention(e.actor)} → ${escLine(e.outcome, 60)}`;
}

export function digestMessage(d: Digest, time: (d: Date) => string): KnownBlock[] {
  const healed = d.healed.map(
    (h) =>
      `:white_check_mark: ${escLine(h.title, 150)} · asked by ${mention(h.requester)}${h.approver ? `, approved by ${mention(h.approver)}` : ''}`,
  );
  const actions = d.actions.map((e) => actionLine(e, time));
  const more = (n: number) => `_…and ${n} more_`;
  return fitMessage([
    header(`Daily digest · ${d.day}`),
    section(d.verdicts.map(verdictLine).join('\n')),
    ...lineSections(healed.length ? healed : ['_Nothing healed in the last 24 hours._'], {
      head: '*Healed*',
      maxSections: 2,
      more,
    }),
    ...lineSections(openAlertsText(d.open, time), { head: '*Still open*', maxSections: 3, more }),
    ...lineSections(actions.length ? actions : ['_No guarded actions in the last 24 hours._'], {
      head: '*Guarded actions, last 24 hours*',
      maxSections: 3,
      more: (n) => `_…and ${n} more: \`/pipeline audit\` lists them_`,
    }),
    context('Posted once a day by the watch. `/pipeline alerts` shows what is open at any time.'),
  ]);
}

export const digestFallback = (d: Digest): string =>
  `Daily digest ${d.day}: ${d.verdicts.map((v) => `${v.date} ${v.verdict ?? 'unknown'}`).join(', ')}`;
