/**
 * `/pipeline trace <date>`: where the chain broke and since when, then each phase's timeline in
 * the pipeline's time zone, what could not be checked, and buttons into Heal and the logs of what
 * broke. Pure: data in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import { sourceKey } from '../domain/logs-query.js';
import type { PhaseOutcome, PhaseTrace, TraceBreak, TraceReport } from '../domain/trace.js';
import { actions as ids } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  context,
  esc,
  escLine,
  fitLines,
  fitMessage,
  header,
  healthEmoji,
  section,
} from './common.js';
import { localMinute } from './local-time.js';
import { slackLimits } from './slack-limits.js';

const outcomeText: Record<PhaseOutcome, string> = {
  done: 'done',
  broken: 'broken',
  running: 'running',
  'not-reached': 'not reached',
  unknown: 'not known to be done',
};

const outcomeEmoji: Record<PhaseOutcome, string> = {
  done: healthEmoji.ok,
  broken: healthEmoji.fail,
  running: healthEmoji.warn,
  'not-reached': healthEmoji.unknown,
  unknown: healthEmoji.unknown,
};

/** "phase3 finished 10:02; phase3-to-phase4-orchestrator did not hand off: ModuleNotFoundError: … at 10:02". */
export function breakSentence(b: TraceBreak, report: Pick<TraceReport, 'timeZone' | 'date'>): string {
  const at = (iso: string) => localMinute(iso, report.timeZone, report.date);
  const after = b.after ? `${b.after.text} ${at(b.after.at)}; ` : '';
  const error = b.error
    ? `: ${b.error.text} at ${at(b.error.at)}`
    : b.since && !b.after
      ? ` since ${at(b.since)}`
      : '';
  return `${after}${b.what}${error}`;
}

function headline(r: TraceReport): string {
  if (r.broke) {
    const b = r.broke;
    // One line: the size limit shortens multi-line sections first, and this one must stay whole.
    return `${healthEmoji.fail} *Chain broke at ${escLine(`${b.phase.id} · ${b.phase.label}`, 150)}*: ${escLine(breakSentence(b, r), 1500)}`;
  }
  if (r.done) return `${healthEmoji.ok} *Every phase done for ${r.date}*`;
  const open = r.phases.filter((p) => p.outcome !== 'done').map((p) => `${p.id} ${outcomeText[p.outcome]}`);
  return `${healthEmoji.unknown} *No break found, but not every phase is done*: ${escLine(open.join(', '), 1500)}`;
}

function phaseText(p: PhaseTrace, r: TraceReport): string {
  const title = `${outcomeEmoji[p.outcome]} *${escLine(`${p.id} · ${p.label}`, 150)}* \`${esc(p.service)}\`: ${outcomeText[p.outcome]}`;
  const lines = p.events.map((e) => {
    const when = e.at ? localMinute(e.at, r.timeZone, r.date) : '—';
    return `${healthEmoji[e.health]} \`${when}\` ${escLine(e.text, 400)}`;
  });
  if (lines.length === 0) return `${title}\n_nothing configured to check_`;
  return `${title}\n${fitLines(lines, { maxChars: 2700, maxLines: 16 })}`;
}

function traceActions(r: TraceReport): KnownBlock[] {
  const heal = button(`Heal ${r.date}`, ids.openHeal, r.date, r.broke ? { style: 'primary' } : {});
  const b = r.broke;
  // The logs from the last good step on: what the component said when it stopped.
  const since = b?.after?.at ?? b?.since;
  const logs = b
    ? [
        button(
          `Logs · ${b.logs.name}`,
          ids.openLogs,
          JSON.stringify({ c: sourceKey(b.logs), ...(since ? { s: since } : {}) }),
        ),
      ]
    : [];
  return [actions('trace_actions', [heal, ...logs])];
}

export function traceMessage(r: TraceReport, opts: { withActions?: boolean } = {}): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Trace · ${r.date}`), section(headline(r))];
  // Room for the header, the headline, the note, what could not be checked, the context and the buttons.
  const room = slackLimits.messageBlocks - 6;
  for (const p of r.phases.slice(0, room)) blocks.push(section(phaseText(p, r)));
  const hidden = r.phases.slice(room);
  if (hidden.length > 0) {
    const broken = hidden.filter((p) => p.outcome === 'broken').length;
    blocks.push(
      context(`_…and ${hidden.length} more phases not shown (${broken} broken): the message holds ${room}_`),
    );
  }
  if (r.unchecked.length > 0) {
    const lines = r.unchecked.map((u) => `• ${escLine(u, 300)}`);
    blocks.push(section(`*Could not check*\n${fitLines(lines, { maxChars: 2700, maxLines: 12 })}`));
  }
  const checked = localMinute(r.generatedAt.toISOString(), r.timeZone);
  blocks.push(context(`times in ${esc(r.timeZone)}`, `checked ${checked}`, `project \`${esc(r.project)}\``));
  if (opts.withActions !== false) blocks.push(...traceActions(r));
  return fitMessage(capBlocks(blocks));
}

/** The message's `text`: Slack parses it as mrkdwn too (notifications), and `what` may quote a log line. */
export function traceFallback(r: TraceReport): string {
  if (r.broke)
    return `Trace ${r.date}: the chain broke at ${escLine(r.broke.phase.id, 100)} (${escLine(r.broke.what, 300)})`;
  return `Trace ${r.date}: ${r.done ? 'every phase done' : 'no break found, not every phase done'}`;
}
