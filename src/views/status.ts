/** The status report as a Slack message. Pure: data in, Block Kit out. */
import type { KnownBlock } from '@slack/types';
import { type LogSource, type LogSourceKind, logSourceKinds } from '../domain/logs-query.js';
import {
  type ReportLine,
  type ReportSection,
  type Severity,
  type StatusReport,
  summaryOrder,
} from '../domain/status.js';
import { actions as ids } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  clip,
  context,
  divider,
  esc,
  escLine,
  fitLines,
  fitMessage,
  header,
  healthEmoji,
  link,
  mention,
  section,
} from './common.js';
import { logsButtons } from './logs.js';
import { countsText, entryLine } from './status-findings.js';

const readable: ReadonlySet<string> = new Set(logSourceKinds);

/** The services, functions and jobs with a failing line, in the summary's order. */
function failingSources(report: StatusReport): LogSource[] {
  return report.findings.flatMap((f) =>
    f.severity === 'fail' && readable.has(f.kind)
      ? [{ kind: f.kind as LogSourceKind, name: f.component }]
      : [],
  );
}

const verdictText: Record<StatusReport['verdict'], string> = {
  ok: 'All clear',
  warn: 'Degraded',
  fail: 'Problems',
  unknown: 'Partly unknown',
};

function lineText(l: ReportLine): string {
  return `${healthEmoji[l.health]} ${link(l.link, clip(l.title, 100))}  ${escLine(l.detail, 400)}`;
}

/**
 * A section's lines, problems first (worst first); healthy lines beyond a handful are summarized
 * ("and 42 more healthy") so a pipeline of any size fits a section.
 */
function sectionText(s: ReportSection): string {
  const title = `*${escLine(s.title, 100)}*`;
  if (s.lines.length === 0) return `${title}\n_${esc(s.empty ?? 'nothing to show')}_`;
  // Failures, then unknowns, then warnings (as the summary): a cut never hides a failure behind a warning.
  const bad = s.lines
    .filter((l): l is ReportLine & { health: Severity } => l.health !== 'ok')
    .map((l, i) => ({ l, i }))
    .sort((x, y) => summaryOrder[x.l.health] - summaryOrder[y.l.health] || x.i - y.i)
    .map(({ l }) => l);
  const good = s.lines.filter((l) => l.health === 'ok');
  const showGood = bad.length + good.length <= 12 ? good.length : Math.max(0, 6 - bad.length);
  const lines = [...bad, ...good.slice(0, showGood)].map(lineText);
  const hiddenGood = good.length - showGood;
  const body = fitLines(lines, { maxChars: 2700, maxLines: 14 });
  const tail = hiddenGood > 0 ? `\n${healthEmoji.ok} _and ${hiddenGood} more healthy_` : '';
  return `${title}\n${body}${tail}`;
}

/** Entries shown under the verdict; the rest are one click away (All findings). */
const SUMMARY_LINES = 8;
const SUMMARY_CHARS = 2000;

/**
 * The verdict, its counts per severity, and the summary in the report's order (failures, then
 * unknowns, then warnings), cut only from the end: a warning never shows while a failure is hidden.
 */
function summaryText(report: StatusReport, withButton: boolean): { text: string; hidden: number } {
  const verdict = `${healthEmoji[report.verdict]} *${verdictText[report.verdict]}*`;
  if (report.summary.length === 0) return { text: verdict, hidden: 0 };
  const lines: string[] = [];
  let size = 0;
  for (const e of report.summary.slice(0, SUMMARY_LINES)) {
    const l = entryLine(e);
    if (size + l.length + 1 > SUMMARY_CHARS) break;
    lines.push(l);
    size += l.length + 1;
  }
  const rest = report.summary.slice(lines.length);
  const restCounts = { fail: 0, unknown: 0, warn: 0 };
  for (const e of rest) restCounts[e.severity]++;
  const where = withButton ? '*All findings* lists every one' : 'each is on its line below';
  const more = rest.length > 0 ? `\n_…and ${rest.length} more (${countsText(restCounts)}): ${where}_` : '';
  const head = `${verdict} · ${report.summary.length} to look at: ${countsText(report.counts)}`;
  return { text: `${head}\n${lines.join('\n')}${more}`, hidden: rest.length };
}

export interface StatusViewOptions {
  /** Offer the buttons that lead into guarded flows. */
  withActions?: boolean;
  /** How old the data is, when served from cache. */
  ageSeconds?: number;
  postedBy?: string;
}

/** Where to see the lines of a section cut to keep the message under Slack's size limit. */
const seeAll: Record<ReportSection['id'], (date: string) => string> = {
  services: () => '`/deploy-verify all` checks each one',
  orchestrators: () => '`/deploy-verify all` checks each one',
  jobs: () => 'Cloud Run Jobs in the Cloud console lists each one',
  tables: (d) => `\`/heal ${d} --dry-run\` lists what is missing`,
  failedRuns: () => 'the run_history collection in Firestore has every run',
  selfHeal: () => '`/pipeline self-heal` shows the job',
  data: (d) => `\`/heal ${d} --dry-run\` lists every failing check`,
  stuck: (d) => `\`/heal ${d} --dry-run\` lists every stuck run`,
  errors: () => 'Cloud Logging has every one',
  dlq: () => 'Cloud Monitoring has every subscription',
};

export function statusMessage(report: StatusReport, opts: StatusViewOptions = {}): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Pipeline status · ${report.date}`)];
  const sectionAt = new Map<number, ReportSection['id']>();
  const summary = summaryText(report, opts.withActions === true);
  blocks.push(section(summary.text));
  for (const s of report.sections) {
    blocks.push(divider());
    sectionAt.set(blocks.length, s.id);
    blocks.push(section(sectionText(s)));
  }
  const ctx = [
    `project \`${esc(report.project)}\``,
    `checked ${report.generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC${opts.ageSeconds ? ` (${opts.ageSeconds} s ago)` : ''}`,
  ];
  if (opts.postedBy) ctx.push(`posted by ${mention(opts.postedBy)}`);
  blocks.push(context(...ctx));
  if (opts.withActions) {
    const needsHeal = report.sections.some(
      (s) => (s.id === 'data' || s.id === 'stuck') && s.health === 'fail',
    );
    const deployIssue = report.sections.some(
      (s) => (s.id === 'services' || s.id === 'orchestrators') && s.health !== 'ok',
    );
    const buttons = [
      button('Refresh', ids.refreshStatus, report.date),
      button('Trace', ids.openTrace, report.date),
    ];
    if (needsHeal)
      buttons.unshift(button(`Heal ${report.date}`, ids.openHeal, report.date, { style: 'primary' }));
    if (deployIssue) buttons.push(button('Verify deploys', ids.openDeployVerify, 'all'));
    if (summary.hidden > 0) buttons.push(button('All findings', ids.showFindings, report.date));
    blocks.push(actions('status_actions', buttons));
    const logs = logsButtons(failingSources(report));
    if (logs) blocks.push(logs);
  }
  // A 40-service pipeline's report is past what chat.postMessage accepts (msg_blocks_too_long).
  return fitMessage(capBlocks(blocks), {
    more: (n, i) => {
      const id = sectionAt.get(i);
      return `_…and ${n} more not shown here (message size limit)${id ? `: ${seeAll[id](report.date)}` : ''}_`;
    },
  });
}

/** Plain-text fallback for notifications and screen readers. */
export function statusFallback(report: StatusReport): string {
  return `Pipeline status ${report.date}: ${verdictText[report.verdict]}${report.problems.length ? ` (${report.problems.length} problems)` : ''}`;
}
