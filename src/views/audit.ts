/** `/pipeline audit [date]`: the recent guarded actions, newest last, as Slack keeps order. */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../domain/requests.js';
import { capBlocks, context, esc, fitLines, header, section } from './common.js';

export function auditMessage(entries: AuditEntry[], subject?: string): KnownBlock[] {
  const title = `Audit log${subject ? ` · ${subject}` : ''}`;
  if (entries.length === 0) return [header(title), section('_No guarded actions recorded._')];
  const lines = entries.map((e) => {
    const who = e.actor.startsWith('U') || e.actor.startsWith('W') ? `<@${e.actor}>` : `\`${esc(e.actor)}\``;
    const at = e.at.toISOString().slice(0, 19).replace('T', ' ');
    const detail = e.detail ? ` · ${esc(e.detail.slice(0, 160))}` : '';
    return `\`${at}\` ${e.kind} ${esc(e.subject)} · *${esc(e.action)}* by ${who} → ${esc(e.outcome)}${detail}`;
  });
  return capBlocks([
    header(title),
    section(fitLines(lines.reverse(), { maxLines: 25, maxChars: 2900 })),
    context(
      'Newest first. Each line: when (UTC), what, who, outcome. Plan hashes are in the structured logs.',
    ),
  ]);
}
