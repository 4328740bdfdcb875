/**
 * Everything a status report found, for the "All findings" button: the summary under the
 * verdict shows what fits, this shows every entry (failures, then unknowns, then warnings).
 * Pure: data in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import type { Severity, StatusReport, SummaryEntry } from '../domain/status.js';
import {
  capBlocks,
  context,
  escLine,
  fitMessage,
  header,
  healthEmoji,
  lineSections,
  section,
} from './common.js';
import { slackLimits } from './slack-limits.js';

const severityWords: Record<Severity, [string, string]> = {
  fail: ['failing', 'failing'],
  unknown: ['unknown', 'unknown'],
  warn: ['warning', 'warnings'],
};

/** `3 failing · 1 unknown · 2 warnings`; severities with none are left out. */
export function countsText(counts: Record<Severity, number>): string {
  return (['fail', 'unknown', 'warn'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${severityWords[s][counts[s] === 1 ? 0 : 1]}`)
    .join(' · ');
}

/** One summary entry as a line: `:red_circle: *name*: what · what`. */
export function entryLine(e: SummaryEntry, max = 300): string {
  return `${healthEmoji[e.severity]} *${escLine(e.component, 100)}*: ${escLine(e.messages.join(' · '), max)}`;
}

/** Room kept under `msg_blocks_too_long` for the header, the counts and the note. */
const RESERVE = 600;

/**
 * Every entry, each line as long as the message's text budget allows (from 80 to 500 characters of
 * what it found); entries past the budget are counted in one note rather than cut as whole blocks
 * (fitMessage would then say "blocks", not how many findings).
 */
export function findingsMessage(report: StatusReport): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Everything to look at · ${report.date}`)];
  if (report.summary.length === 0) {
    blocks.push(section(`${healthEmoji.ok} Nothing to look at.`));
    return blocks;
  }
  blocks.push(section(`*${countsText(report.counts)}*`));
  const budget = slackLimits.messageBlockText - RESERVE;
  const perLine = Math.max(80, Math.min(500, Math.floor(budget / report.summary.length) - 130));
  const lines = report.summary.map((e) => entryLine(e, perLine));
  let used = 0;
  let shown = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    used += line.length + 1;
    shown += 1;
  }
  blocks.push(...lineSections(lines.slice(0, shown), { lineMax: 700, maxSections: 40 }));
  const rest = lines.length - shown;
  if (rest > 0) {
    blocks.push(
      context(
        `_…and ${rest} more not shown (Slack's message size limit): each section of the report says where its lines are read in full_`,
      ),
    );
  }
  return fitMessage(capBlocks(blocks));
}
