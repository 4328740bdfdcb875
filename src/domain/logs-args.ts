/**
 * `/pipeline logs <component> [text] [--since 1h] [--severity ERROR] [--limit 20]`, parsed into
 * typed values, and the values its buttons carry (the next page, one entry), parsed again on
 * click: a button's value comes back from Slack and is trusted no more than typed text.
 */
import {
  type LogFilter,
  type LogSeverity,
  type LogSource,
  logSeverities,
  logSources,
  sourceKey,
} from './logs-query.js';
import { accept, type Outcome, refuse } from './result.js';

export const LOGS_MAX_MINUTES = 7 * 24 * 60;
export const LOGS_DEFAULT_MINUTES = 24 * 60;
export const LOGS_MAX_LIMIT = 50;
export const LOGS_DEFAULT_LIMIT = 20;
export const LOGS_MAX_TEXT = 300;

/** What was typed, before the component is resolved against the configuration. */
export interface LogsArgs {
  component: string;
  text?: string;
  sinceMinutes: number;
  severity?: LogSeverity;
  limit: number;
}

/** A query ready to run: the component resolved, the start an absolute time (pages must repeat it). */
export interface LogsQuery {
  source: LogSource;
  text?: string;
  since: Date;
  severity?: LogSeverity;
  limit: number;
  pageToken?: string;
}

const valueFlags = ['since', 'severity', 'limit'] as const;
type ValueFlag = (typeof valueFlags)[number];

/** `--since 1h`, `--since=1h`, or Slack's `—since 1h` (it turns `--` into an em dash). */
function splitValueFlags(words: string[]): Outcome<{ args: string[]; flags: Map<ValueFlag, string> }> {
  const flags = new Map<ValueFlag, string>();
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!/^(--|—)/.test(w)) {
      args.push(w);
      continue;
    }
    const [rawName = '', inline] = w.replace(/^(--|—)/, '').split('=', 2);
    const name = rawName.toLowerCase() as ValueFlag;
    if (!valueFlags.includes(name)) {
      return refuse(
        'bad_flag',
        `Unknown flag \`${w.slice(0, 30)}\`. Known flags: ${valueFlags.map((f) => `\`--${f}\``).join(', ')}.`,
      );
    }
    if (flags.has(name)) return refuse('bad_flag', `\`--${name}\` is given twice.`);
    const value = inline ?? words[++i];
    if (value === undefined || value === '') return refuse('bad_flag', `\`--${name}\` needs a value.`);
    flags.set(name, value);
  }
  return accept({ args, flags });
}

/** `30m`, `1h`, `2d`: minutes, at least 1 and at most 7 days. */
export function parseSince(text: string): Outcome<number> {
  const m = /^(\d{1,6})(m|min|h|d)$/i.exec(text);
  if (!m)
    return refuse(
      'bad_since',
      `\`--since ${text.slice(0, 20)}\` is not a duration: use \`30m\`, \`1h\` or \`2d\`.`,
    );
  const unit = m[2]!.toLowerCase();
  const minutes = Number(m[1]) * (unit === 'h' ? 60 : unit === 'd' ? 1440 : 1);
  if (minutes < 1 || minutes > LOGS_MAX_MINUTES)
    return refuse('bad_since', '`--since` is at least `1m` and at most `7d`.');
  return accept(minutes);
}

export function parseSeverity(text: string): Outcome<LogSeverity> {
  const upper = text.toUpperCase();
  const hit = logSeverities.find((s) => s === upper);
  return hit
    ? accept(hit)
    : refuse('bad_severity', `\`--severity\` is one of ${logSeverities.map((s) => `\`${s}\``).join(', ')}.`);
}

export function parseLimit(text: string): Outcome<number> {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  return n >= 1 && n <= LOGS_MAX_LIMIT
    ? accept(n)
    : refuse('bad_limit', `\`--limit\` is a number from 1 to ${LOGS_MAX_LIMIT}.`);
}

/** Search text as it reaches a query: at most LOGS_MAX_TEXT characters of one line. */
function validText(text: string): Outcome<string> {
  if (text.length > LOGS_MAX_TEXT)
    return refuse('too_long', `The text to search for is at most ${LOGS_MAX_TEXT} characters.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(text)) return refuse('bad_chars', 'The text contains control characters.');
  return accept(text);
}

/**
 * The words typed after the component, as one search string: quotes around the whole of it
 * (straight or the curly ones Slack's clients type) are taken as marking a phrase, not searched for.
 */
export function searchText(words: string[]): Outcome<string | undefined> {
  const joined = words.join(' ').trim();
  const phrase = /^["“”'‘’](.+)["“”'‘’]$/.exec(joined)?.[1]?.trim() ?? joined;
  return phrase === '' ? accept(undefined) : validText(phrase);
}

/** The words after `logs`, already split on whitespace (command-args.ts `tokenize`). */
export function parseLogsArgs(words: string[]): Outcome<LogsArgs> {
  const f = splitValueFlags(words);
  if (!f.ok) return f;
  const [component, ...rest] = f.value.args;
  if (component === undefined)
    return refuse('missing_component', 'Which component? Give a service, function or job.');
  const text = searchText(rest);
  if (!text.ok) return text;
  const get = f.value.flags;
  const since = parseSince(get.get('since') ?? `${LOGS_DEFAULT_MINUTES}m`);
  if (!since.ok) return since;
  const severityText = get.get('severity');
  const severity = severityText === undefined ? undefined : parseSeverity(severityText);
  if (severity && !severity.ok) return severity;
  const limit = parseLimit(get.get('limit') ?? String(LOGS_DEFAULT_LIMIT));
  if (!limit.ok) return limit;
  return accept({
    component,
    ...(text.value ? { text: text.value } : {}),
    sinceMinutes: since.value,
    ...(severity ? { severity: severity.value } : {}),
    limit: limit.value,
  });
}

type Components = { components: readonly { kind: string; name: string }[] };

/** "services `a`, `b` · functions `c` · jobs `d`": what can be asked for, clipped to `max` characters. */
export function configuredSources(config: Components, max = 2500): string {
  const sources = logSources(config);
  const groups = (['service', 'function', 'job'] as const)
    .map((kind) => [kind, sources.filter((s) => s.kind === kind).map((s) => `\`${s.name}\``)] as const)
    .filter(([, names]) => names.length > 0)
    .map(([kind, names]) => `${kind}s ${names.join(', ')}`);
  const text = groups.join(' · ') || 'none';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A configured service, function or job, by name or as `kind/name` (when a function and a
 * service share a name). The resource labels of the query come from here, never from the text.
 */
export function resolveLogSource(config: Components, typed: string): Outcome<LogSource> {
  const lower = typed.toLowerCase();
  const slash = lower.indexOf('/');
  const kind = slash > 0 ? lower.slice(0, slash) : undefined;
  const name = slash > 0 ? lower.slice(slash + 1) : lower;
  const hits = logSources(config).filter((s) => s.name === name && (kind === undefined || s.kind === kind));
  if (hits.length === 1) return accept(hits[0]!);
  if (hits.length > 1) {
    return refuse(
      'ambiguous_component',
      `\`${name}\` is configured as ${hits.map((h) => h.kind).join(' and ')}: say which, e.g. ${hits.map((h) => `\`${sourceKey(h)}\``).join(' or ')}.`,
    );
  }
  return refuse(
    'unknown_component',
    `\`${typed.slice(0, 60)}\` is not a configured service, function or job. Configured: ${configuredSources(config)}.`,
  );
}

/** The query for typed arguments, from `now`. */
export function logsQueryOf(source: LogSource, args: LogsArgs, now: Date): LogsQuery {
  return {
    source,
    ...(args.text ? { text: args.text } : {}),
    since: new Date(now.getTime() - args.sinceMinutes * 60_000),
    ...(args.severity ? { severity: args.severity } : {}),
    limit: args.limit,
  };
}

/** The Logging API's page tokens are opaque base64-ish strings. */
const PAGE_TOKEN = /^[A-Za-z0-9+/=_.~-]{1,1500}$/;

/** The next page, as the More button carries it; undefined when it would not fit in `max` characters. */
export function encodeCursor(q: LogsQuery & { pageToken: string }, max: number): string | undefined {
  // A token the click would refuse is no page to offer.
  if (!PAGE_TOKEN.test(q.pageToken)) return undefined;
  const value = JSON.stringify({
    c: sourceKey(q.source),
    ...(q.text ? { q: q.text } : {}),
    s: q.since.toISOString(),
    ...(q.severity ? { v: q.severity } : {}),
    l: q.limit,
    p: q.pageToken,
  });
  return value.length <= max ? value : undefined;
}

const cursorGone = 'That button no longer names a query I can run: run `/pipeline logs` again.';

const optional = (v: unknown) => v === undefined || typeof v === 'string';

/** A More button's value, checked field by field and the component resolved again from the configuration. */
export function parseCursor(value: string, config: Components, now: Date): Outcome<LogsQuery> {
  let r: Record<string, unknown>;
  try {
    r = Object(JSON.parse(value)) as Record<string, unknown>;
  } catch {
    return refuse('bad_cursor', cursorGone);
  }
  const { c, q, s, v, l, p } = r;
  if (typeof c !== 'string' || typeof s !== 'string' || typeof p !== 'string' || !PAGE_TOKEN.test(p))
    return refuse('bad_cursor', cursorGone);
  if (!optional(q) || !optional(v) || typeof l !== 'number') return refuse('bad_cursor', cursorGone);
  const source = resolveLogSource(config, c);
  if (!source.ok) return source;
  // Checked as stored, never re-shaped: the next page's filter must be the first page's exactly.
  const text = q === undefined ? accept(undefined) : validText(q as string);
  const severity = v === undefined ? accept(undefined) : parseSeverity(v as string);
  const limit = parseLimit(String(l));
  const since = new Date(s);
  if (!text.ok || !severity.ok || !limit.ok || Number.isNaN(since.getTime()))
    return refuse('bad_cursor', cursorGone);
  const age = now.getTime() - since.getTime();
  if (age > LOGS_MAX_MINUTES * 60_000 || age < 0)
    return refuse(
      'stale_cursor',
      'These entries start more than 7 days ago now: run `/pipeline logs` again.',
    );
  return accept({
    source: source.value,
    ...(text.value ? { text: text.value } : {}),
    since,
    ...(severity.value ? { severity: severity.value } : {}),
    limit: limit.value,
    pageToken: p,
  });
}

/** One entry, as the "Full entry" menu carries it: whole seconds in base 36, then the insertId. */
export interface EntryRef {
  insertId: string;
  at: Date;
}

const INSERT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeEntryRef(
  entry: { insertId: string; timestamp: string },
  max: number,
): string | undefined {
  const seconds = Math.floor(Date.parse(entry.timestamp) / 1000);
  if (!Number.isFinite(seconds) || !INSERT_ID.test(entry.insertId)) return undefined;
  const value = `${seconds.toString(36)}.${entry.insertId}`;
  return value.length <= max ? value : undefined;
}

export function parseEntryRef(value: string): Outcome<EntryRef> {
  const m = /^([0-9a-z]{1,9})\.(.+)$/.exec(value);
  const seconds = m ? Number.parseInt(m[1]!, 36) : Number.NaN;
  if (!m || !INSERT_ID.test(m[2]!) || !Number.isFinite(seconds))
    return refuse('bad_entry', 'That menu does not name a log entry.');
  return accept({ insertId: m[2]!, at: new Date(seconds * 1000) });
}

/** The filter of a logs query: the component's resource labels, the start, and what was asked for. */
export function logsFilter(q: LogsQuery): LogFilter {
  return {
    all: [
      { source: q.source },
      { since: q.since },
      ...(q.severity ? [{ severityAtLeast: q.severity }] : []),
      ...(q.text ? [{ text: q.text }] : []),
    ],
  };
}

/** One entry of a component: its insertId within the second its reference names. */
export function entryFilter(source: LogSource, ref: EntryRef): LogFilter {
  return {
    all: [
      { source },
      { since: ref.at },
      { until: new Date(ref.at.getTime() + 1000) },
      { insertId: ref.insertId },
    ],
  };
}

/** `logs_entries:service/x`: the component a logs page's menu belongs to, resolved again. */
export function sourceOfBlock(blockId: string, prefix: string, config: Components): Outcome<LogSource> {
  if (!blockId.startsWith(`${prefix}:`)) return refuse('bad_entry', 'That menu does not name a component.');
  return resolveLogSource(config, blockId.slice(prefix.length + 1));
}

/**
 * A Logs button's value (`{"c": "service/x", "s": "<since>"}`): the component resolved again, the
 * start bounded to the last 7 days (default: the last 24 hours), every severity, the default limit.
 */
export function parseLogsButton(value: string, config: Components, now: Date): Outcome<LogsQuery> {
  let r: Record<string, unknown>;
  try {
    r = Object(JSON.parse(value)) as Record<string, unknown>;
  } catch {
    return refuse('bad_button', 'That button does not name a component.');
  }
  if (typeof r.c !== 'string') return refuse('bad_button', 'That button does not name a component.');
  const source = resolveLogSource(config, r.c);
  if (!source.ok) return source;
  const earliest = now.getTime() - LOGS_MAX_MINUTES * 60_000;
  const asked = typeof r.s === 'string' ? Date.parse(r.s) : Number.NaN;
  const since =
    Number.isFinite(asked) && asked <= now.getTime()
      ? Math.max(earliest, asked - 5 * 60_000)
      : now.getTime() - LOGS_DEFAULT_MINUTES * 60_000;
  return accept({ source: source.value, since: new Date(since), limit: LOGS_DEFAULT_LIMIT });
}
