/**
 * `/pipeline logs`: one page of a component's entries, newest first, each as one line (the
 * exception line of a traceback), the whole entry one pick away in a modal, a More button for the
 * next page and the same query in the Logs Explorer. Pure: data in, Block Kit out, sized so a
 * page of 50 entries of any length fits a message (slack-limits.ts).
 */
import type { ActionsBlock, KnownBlock, PlainTextOption, StaticSelect, View } from '@slack/types';
import { exceptionLine } from '../domain/exception-line.js';
import { encodeCursor, encodeEntryRef, type LogsQuery } from '../domain/logs-args.js';
import { type LogEntry, type LogPage, type LogSource, sourceKey } from '../domain/logs-query.js';
import type { Probe } from '../domain/result.js';
import { describeFailure, shortRevision } from '../domain/status.js';
import { blocks as blockIds, actions as ids, logsButtonId, views } from '../ids.js';
import {
  actions,
  blockTextLength,
  button,
  capBlocks,
  clip,
  context,
  esc,
  escClip,
  escLine,
  fitMessage,
  header,
  lineSections,
  link,
  plain,
  section,
} from './common.js';
import { localMinute, localSecond } from './local-time.js';
import { slackLimits } from './slack-limits.js';

export interface LogsView {
  query: LogsQuery;
  page: Probe<LogPage>;
  timeZone: string;
  /** The same query in the Logs Explorer. */
  explorerUrl: string;
}

/** Option texts are counted in the message's text: kept short, the time says which entry it is. */
const OPTION_TEXT = 40;
/** Room kept for what the budget does not measure (the "…and N more" notes of lineSections). */
const RESERVE = 400;
const LINE_MIN = 60;
const LINE_MAX = 400;

function queryText(q: LogsQuery, timeZone: string): string {
  const parts = [
    `*${q.source.kind}* \`${esc(q.source.name)}\``,
    `${q.pageToken ? 'continued, ' : ''}newest first since ${localMinute(q.since.toISOString(), timeZone)}`,
    ...(q.severity ? [`severity ≥ ${q.severity}`] : []),
    ...(q.text ? [`text “${escClip(q.text, 200)}”`] : []),
  ];
  return parts.join(' · ');
}

function entryLine(e: LogEntry, source: LogSource, timeZone: string, max: number): string {
  const rev = e.revision ? ` \`${escClip(shortRevision(source.name, e.revision), 40)}\`` : '';
  const head = `\`${localSecond(e.timestamp, timeZone)}\` *${escClip(e.severity, 12)}*${rev} `;
  return `${head}${escLine(exceptionLine(e.text) || '(empty)', Math.max(20, max - head.length))}`;
}

function entryOption(e: LogEntry, timeZone: string): PlainTextOption | undefined {
  const value = encodeEntryRef(e, slackLimits.optionValue);
  if (!value) return undefined;
  const time = localSecond(e.timestamp, timeZone).slice(11);
  const text = `${time} ${e.severity} ${exceptionLine(e.text).replace(/\s+/g, ' ')}`;
  return { text: plain(text, OPTION_TEXT), value };
}

/** The entries menu and the More button; the component is in the block id, checked again on a pick. */
function pageActions(v: LogsView, entries: LogEntry[]): { block?: ActionsBlock; note?: string } {
  const options = entries
    .map((e) => entryOption(e, v.timeZone))
    .filter((o): o is PlainTextOption => o !== undefined)
    .slice(0, slackLimits.selectOptions);
  const token = v.page.ok ? v.page.value.nextPageToken : undefined;
  const cursor = token ? encodeCursor({ ...v.query, pageToken: token }, slackLimits.buttonValue) : undefined;
  const menu: StaticSelect = {
    type: 'static_select',
    action_id: ids.logsEntry,
    placeholder: plain('Full entry…', slackLimits.placeholder),
    options,
  };
  const elements = [
    ...(options.length > 0 ? [menu] : []),
    ...(cursor ? [button('More', ids.logsMore, cursor)] : []),
  ];
  const note =
    token && !cursor
      ? 'More entries match: narrow the query (`--since`, text) to page through them.'
      : undefined;
  if (elements.length === 0) return note ? { note } : {};
  const block: ActionsBlock = {
    type: 'actions',
    block_id: clip(`${blockIds.logsEntries}:${sourceKey(v.query.source)}`, slackLimits.blockId),
    elements: elements as ActionsBlock['elements'],
  };
  return { block, ...(note ? { note } : {}) };
}

/** One page of entries, every line as long as the message's text budget allows. */
export function logsMessage(v: LogsView): KnownBlock[] {
  const top: KnownBlock[] = [
    header(`Logs · ${v.query.source.name}`),
    section(queryText(v.query, v.timeZone)),
  ];
  if (!v.page.ok) {
    const why = `:warning: Could not read the logs: ${escLine(describeFailure(v.page.error), 500)}`;
    return [...top, section(why), context(link(v.explorerUrl, 'Open in the Logs Explorer'))];
  }
  const entries = v.page.value.entries;
  const { block, note } = pageActions(v, entries);
  const foot = context(
    link(v.explorerUrl, 'Open in the Logs Explorer'),
    `times in ${esc(v.timeZone)}`,
    `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`,
    ...(note ? [note] : []),
  );
  const tail: KnownBlock[] = [foot, ...(block ? [block] : [])];
  if (entries.length === 0) return [...top, section('_No entries match._'), ...tail];
  const room = slackLimits.messageBlockText - RESERVE - blockTextLength([...top, ...tail]);
  const perLine = Math.min(LINE_MAX, Math.max(LINE_MIN, Math.floor(room / entries.length) - 1));
  const lines = entries.map((e) => entryLine(e, v.query.source, v.timeZone, perLine));
  const body = lineSections(lines, { lineMax: perLine, maxSections: 20 });
  return fitMessage(capBlocks([...top, ...body, ...tail]));
}

export function logsFallback(v: LogsView): string {
  const n = v.page.ok ? v.page.value.entries.length : 0;
  return `Logs of ${v.query.source.name}: ${v.page.ok ? `${n} ${n === 1 ? 'entry' : 'entries'}` : 'not readable'}`;
}

/** Code blocks of at most `max` characters of escaped text, never cutting an entity or closing the block early. */
function codeChunks(text: string, max: number): string[] {
  const safe = esc(text.replaceAll('```', '`\u200b``'));
  const chunks: string[] = [];
  let rest = safe;
  while (rest.length > 0) {
    let cut = Math.min(max, rest.length);
    const amp = rest.lastIndexOf('&', cut - 1);
    if (cut < rest.length && amp >= 0 && amp > cut - 6 && !rest.slice(amp, cut).includes(';')) cut = amp;
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return chunks;
}

const modal = (blocks: KnownBlock[]): View => ({
  type: 'modal',
  callback_id: views.logEntry,
  title: plain('Log entry', slackLimits.viewTitle),
  close: plain('Close', slackLimits.viewClose),
  blocks,
});

/** Opened at once (the trigger lasts 3 s), filled when the entry is read. */
export const logEntryLoading = (): View => modal([section('Reading the entry from Cloud Logging…')]);

export interface EntryView {
  source: LogSource;
  entry: Probe<LogEntry | undefined>;
  timeZone: string;
  explorerUrl: string;
}

/** One entry whole: its metadata, then its text in code blocks, up to what a modal holds. */
export function logEntryModal(v: EntryView): View {
  const open = context(link(v.explorerUrl, 'Open in the Logs Explorer'));
  if (!v.entry.ok) return modal([section(`:warning: ${escLine(describeFailure(v.entry.error), 500)}`), open]);
  const e = v.entry.value;
  if (!e)
    return modal([section('That entry is no longer in Cloud Logging (or is outside its retention).'), open]);
  const meta = [
    `*${esc(e.severity)}* · ${v.source.kind} \`${esc(v.source.name)}\`${e.revision ? ` · revision \`${esc(e.revision)}\`` : ''}`,
    `${localSecond(e.timestamp, v.timeZone)} (${esc(v.timeZone)}) · ${esc(e.timestamp)} · \`${esc(e.insertId)}\``,
  ].join('\n');
  const room = slackLimits.viewBlocks - 3;
  const chunks = codeChunks(e.text || '(empty)', slackLimits.sectionText - 10);
  const shown = chunks.slice(0, room).map((c) => section(`\`\`\`${c}\`\`\``));
  const cut =
    chunks.length > room ? [context('_The rest is too long for Slack: open it in the Logs Explorer._')] : [];
  return modal([section(meta), ...shown, ...cut, open]);
}

/** At most this many Logs buttons under a report: the rest are a `/pipeline logs` away. */
const MAX_LOGS_BUTTONS = 5;

/** A *Logs* button for each failing component (service, function or job), or nothing. */
export function logsButtons(sources: LogSource[]): ActionsBlock | undefined {
  const unique = [...new Map(sources.map((s) => [sourceKey(s), s])).values()];
  if (unique.length === 0) return undefined;
  return actions(
    blockIds.logsButtons,
    unique
      .slice(0, MAX_LOGS_BUTTONS)
      .map((s, i) => button(`Logs · ${s.name}`, logsButtonId(i), JSON.stringify({ c: sourceKey(s) }))),
  );
}
