/**
 * Everything a status report found, for the "All findings" button: the summary under the
 * verdict shows what fits, this shows every entry (failures, then unknowns, then warnings).
 * Pure: data in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import type { Severity, StatusReport, SummaryEntry } from '../domain/status.js';
import { capBlocks, escLine, fitMessage, header, healthEmoji, lineSections, section } from './common.js';

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

export function findingsMessage(report: StatusReport): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Everything to look at · ${report.date}`)];
  if (report.summary.length === 0) {
    blocks.push(section(`${healthEmoji.ok} Nothing to look at.`));
    return blocks;
  }
  blocks.push(section(`*${countsText(report.counts)}*`));
  blocks.push(
    ...lineSections(
      report.summary.map((e) => entryLine(e, 500)),
      { maxSections: 40 },
    ),
  );
  return fitMessage(capBlocks(blocks));
}
