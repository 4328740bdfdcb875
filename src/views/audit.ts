/** `/pipeline audit [date]`: the recent guarded actions, newest last, as Slack keeps order. */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../domain/requests.js';
import {
  capBlocks,
  context,
  esc,
  escLine,
  fitLines,
  fitMessage,
  header,
  mention,
  section,
} from './common.js';

export function auditMessage(entries: AuditEntry[], subject?: string): KnownBlock[] {
  const title = `Audit log${subject ? ` · ${subject}` : ''}`;
  if (entries.length === 0) return [header(title), section('_No guarded actions recorded._')];
  const lines = entries.map((e) => {
    const who = mention(e.actor);
    const at = e.at.toISOString().slice(0, 19).replace('T', ' ');
    const detail = e.detail ? ` · ${escLine(e.detail, 160)}` : '';
    return `\`${at}\` ${esc(e.kind)} ${escLine(e.subject, 100)} · *${escLine(e.action, 60)}* by ${who} → ${escLine(e.outcome, 100)}${detail}`;
  });
  const more = (n: number) => `_…and ${n} more, older: \`/pipeline audit &lt;date&gt;\` narrows to one date_`;
  return fitMessage(
    capBlocks([
      header(title),
      section(fitLines(lines.reverse(), { maxLines: 25, maxChars: 2900, more })),
      context(
        'Newest first. Each line: when (UTC), what, who, outcome. Plan hashes are in the structured logs.',
      ),
    ]),
  );
}
