/** The status report as a Slack message. Pure: data in, Block Kit out. */
import type { KnownBlock } from '@slack/types';
import type { ReportLine, ReportSection, StatusReport } from '../domain/status.js';
import { actions as ids } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  context,
  divider,
  esc,
  fitLines,
  header,
  healthEmoji,
  link,
  section,
} from './common.js';

const verdictText: Record<StatusReport['verdict'], string> = {
  ok: 'All clear',
  warn: 'Degraded',
  fail: 'Problems',
  unknown: 'Partly unknown',
};

function lineText(l: ReportLine): string {
  return `${healthEmoji[l.health]} ${link(l.link, l.title)}  ${esc(l.detail)}`;
}

/**
 * A section's lines, problems first; healthy lines beyond a handful are summarized
 * ("and 42 more healthy") so a pipeline of any size fits a section.
 */
function sectionText(s: ReportSection): string {
  const title = `*${esc(s.title)}*`;
  if (s.lines.length === 0) return `${title}\n_${esc(s.empty ?? 'nothing to show')}_`;
  const bad = s.lines.filter((l) => l.health !== 'ok');
  const good = s.lines.filter((l) => l.health === 'ok');
  const showGood = bad.length + good.length <= 12 ? good.length : Math.max(0, 6 - bad.length);
  const lines = [...bad, ...good.slice(0, showGood)].map(lineText);
  const hiddenGood = good.length - showGood;
  const body = fitLines(lines, { maxChars: 2700, maxLines: 14 });
  const tail = hiddenGood > 0 ? `\n${healthEmoji.ok} _and ${hiddenGood} more healthy_` : '';
  return `${title}\n${body}${tail}`;
}

export interface StatusViewOptions {
  /** Offer the buttons that lead into guarded flows. */
  withActions?: boolean;
  /** How old the data is, when served from cache. */
  ageSeconds?: number;
  postedBy?: string;
}

export function statusMessage(report: StatusReport, opts: StatusViewOptions = {}): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Pipeline status · ${report.date}`)];
  const verdict = `${healthEmoji[report.verdict]} *${verdictText[report.verdict]}*`;
  const problems = report.problems.length
    ? `\n${fitLines(
        report.problems.map((p) => `• ${esc(p)}`),
        { maxLines: 8, maxChars: 2000 },
      )}`
    : '';
  blocks.push(
    section(
      `${verdict}${report.problems.length ? ` · ${report.problems.length} to look at` : ''}${problems}`,
    ),
  );
  for (const s of report.sections) {
    blocks.push(divider());
    blocks.push(section(sectionText(s)));
  }
  const ctx = [
    `project \`${esc(report.project)}\``,
    `checked ${report.generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC${opts.ageSeconds ? ` (${opts.ageSeconds} s ago)` : ''}`,
  ];
  if (opts.postedBy) ctx.push(`posted by <@${opts.postedBy}>`);
  blocks.push(context(...ctx));
  if (opts.withActions) {
    const needsHeal = report.sections.some(
      (s) => (s.id === 'data' || s.id === 'stuck') && s.health === 'fail',
    );
    const deployIssue = report.sections.some(
      (s) => (s.id === 'services' || s.id === 'orchestrators') && s.health !== 'ok',
    );
    const buttons = [button('Refresh', ids.refreshStatus, report.date)];
    if (needsHeal)
      buttons.unshift(button(`Heal ${report.date}`, ids.openHeal, report.date, { style: 'primary' }));
    if (deployIssue) buttons.push(button('Verify deploys', ids.openDeployVerify, 'all'));
    blocks.push(actions('status_actions', buttons));
  }
  return capBlocks(blocks);
}

/** Plain-text fallback for notifications and screen readers. */
export function statusFallback(report: StatusReport): string {
  return `Pipeline status ${report.date}: ${verdictText[report.verdict]}${report.problems.length ? ` (${report.problems.length} problems)` : ''}`;
}
