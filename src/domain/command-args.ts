/**
 * Parsing of slash-command text into typed values. Nothing typed in Slack travels further
 * than this file as text: callers get dates, known names and booleans, or a refusal with usage.
 */
import { DATE_USAGE, parseDate } from './dates.js';
import { type LogsArgs, parseLogsArgs } from './logs-args.js';
import type { IsoDate } from './ports.js';
import { accept, type Outcome, refuse } from './result.js';

export const usage = {
  pipeline: [
    '`/pipeline status [date] [--post] [--fresh]`: services, functions, self-heal, data, stuck runs, errors',
    '`/pipeline audit [date]`: recent guarded actions',
    '`/pipeline alerts`: open alerts, who acknowledged them, silences and when they end',
    '`/pipeline self-heal [pause|resume|run]`: the self-heal scheduler job',
    '`/pipeline trace <date>`: the date along the chain: runs, completion, hand-offs, data; where it broke',
    "`/pipeline logs <component> [text] [--since 1h] [--severity ERROR] [--limit 20]`: a service, function or job's entries, newest first (`--since` up to `7d`, `--limit` up to 50)",
    '`/pipeline help`: this help',
    `Dates: ${DATE_USAGE}, in the pipeline's time zone.`,
  ].join('\n'),
  heal: '`/heal <date> [--dry-run]`: plan what is missing and stuck for a date, confirm, get approval, run',
  backfill:
    '`/backfill <target> <dates> [--force] [--dry-run]`: dates as `2026-01-20`, `2026-01-18,2026-01-20` or `2026-01-18..2026-01-20`',
  deployVerify:
    '`/deploy-verify [service|function|all]`: is the latest revision ready, serving, and free of crashes',
} as const;

/** Split on whitespace; reject control characters and overly long input up front. */
export function tokenize(text: string): Outcome<string[]> {
  if (text.length > 500) return refuse('too_long', 'That is longer than any valid command.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text))
    return refuse('bad_chars', 'The command contains control characters.');
  return accept(text.trim().split(/\s+/).filter(Boolean));
}

/** Separate `--flags` from positional words; unknown flags are refused by name. */
export function splitFlags<F extends string>(
  words: string[],
  allowed: readonly F[],
): Outcome<{ args: string[]; flags: Set<F> }> {
  const flags = new Set<F>();
  const args: string[] = [];
  for (const w of words) {
    if (w.startsWith('--') || w.startsWith('—')) {
      const name = w.replace(/^(--|—)/, '').toLowerCase();
      if (!(allowed as readonly string[]).includes(name)) {
        const known = allowed.length ? ` Known flags: ${allowed.map((f) => `\`--${f}\``).join(', ')}.` : '';
        return refuse('bad_flag', `Unknown flag \`${w.slice(0, 30)}\`.${known}`);
      }
      flags.add(name as F);
    } else {
      args.push(w);
    }
  }
  return accept({ args, flags });
}

export type PipelineCommand =
  | { kind: 'help' }
  | { kind: 'status'; date: IsoDate; post: boolean; fresh: boolean }
  | { kind: 'audit'; date?: IsoDate }
  | { kind: 'alerts' }
  | { kind: 'self-heal'; action: 'show' | 'pause' | 'resume' | 'run'; dryRun: boolean }
  | { kind: 'trace'; date: IsoDate }
  /** The component is resolved against the configuration by the listener (logs-args.ts). */
  | { kind: 'logs'; args: LogsArgs };

export function parsePipelineCommand(text: string, timeZone: string, now: Date): Outcome<PipelineCommand> {
  const t = tokenize(text);
  if (!t.ok) return t;
  const [sub, ...rest] = t.value;
  switch (sub?.toLowerCase()) {
    case undefined:
    case 'help':
      return accept({ kind: 'help' });
    case 'status': {
      const f = splitFlags(rest, ['post', 'fresh'] as const);
      if (!f.ok) return f;
      if (f.value.args.length > 1)
        return refuse('extra_args', notUnderstood(f.value.args.slice(1), 'after the date'));
      const d = parseDate(f.value.args[0] ?? 'today', timeZone, now);
      if (!d.ok) return d;
      return accept({
        kind: 'status',
        date: d.value,
        post: f.value.flags.has('post'),
        fresh: f.value.flags.has('fresh'),
      });
    }
    case 'audit': {
      const f = splitFlags(rest, [] as const);
      if (!f.ok) return f;
      if (f.value.args.length === 0) return accept({ kind: 'audit' });
      if (f.value.args.length > 1) return refuse('extra_args', 'Give one date at most.');
      const d = parseDate(f.value.args[0]!, timeZone, now);
      if (!d.ok) return d;
      return accept({ kind: 'audit', date: d.value });
    }
    case 'alerts': {
      const f = splitFlags(rest, [] as const);
      if (!f.ok) return f;
      if (f.value.args.length > 0) return refuse('extra_args', notUnderstood(f.value.args, 'after `alerts`'));
      return accept({ kind: 'alerts' });
    }
    case 'trace':
      return parseTrace(rest, timeZone, now);
    case 'logs': {
      const args = parseLogsArgs(rest);
      return args.ok ? accept({ kind: 'logs', args: args.value }) : args;
    }
    case 'self-heal': {
      const f = splitFlags(rest, ['dry-run'] as const);
      if (!f.ok) return f;
      const action = (f.value.args[0] ?? 'show').toLowerCase();
      if (!['show', 'pause', 'resume', 'run'].includes(action)) {
        return refuse(
          'bad_args',
          `Unknown self-heal action \`${action.slice(0, 30)}\`: use pause, resume or run.`,
        );
      }
      if (f.value.args.length > 1)
        return refuse('extra_args', notUnderstood(f.value.args.slice(1), `after \`${action}\``));
      return accept({ kind: 'self-heal', action: action as 'show', dryRun: f.value.flags.has('dry-run') });
    }
    default:
      return refuse('unknown_subcommand', `Unknown subcommand \`${(sub ?? '').slice(0, 30)}\`.`);
  }
}

/** `/pipeline trace <date>`: one date, required (a trace of "today" by accident says little). */
function parseTrace(words: string[], timeZone: string, now: Date): Outcome<PipelineCommand> {
  const f = splitFlags(words, [] as const);
  if (!f.ok) return f;
  const [dateText, ...extra] = f.value.args;
  if (dateText === undefined) return refuse('missing_date', 'Which date? Give one.');
  if (extra.length > 0)
    return refuse('extra_args', `${notUnderstood(extra, 'after the date')} Trace one date at a time.`);
  const d = parseDate(dateText, timeZone, now);
  return d.ok ? accept({ kind: 'trace', date: d.value }) : d;
}

export type DeployVerifyCommand =
  | { target: 'all' }
  | { target: 'one'; name: string }
  | { target: 'rollback'; service: string; dryRun: boolean };

/**
 * `name` must be one of `known` (configured services and functions); `rollback <service>`
 * (a configured Cloud Run service) opens the rollback flow.
 */
export function parseDeployVerify(
  text: string,
  known: readonly string[],
  services: readonly string[] = known,
): Outcome<DeployVerifyCommand> {
  const t = tokenize(text);
  if (!t.ok) return t;
  if (t.value[0]?.toLowerCase() === 'rollback') {
    const f = splitFlags(t.value.slice(1), ['dry-run'] as const);
    if (!f.ok) return f;
    const [name, ...extra] = f.value.args;
    const hit = services.find((s) => s === name?.toLowerCase());
    if (!hit || extra.length > 0) {
      return refuse(
        'unknown_target',
        `Roll back which service? One of ${services.map((k) => `\`${k}\``).join(', ')}.`,
      );
    }
    return accept({ target: 'rollback', service: hit, dryRun: f.value.flags.has('dry-run') });
  }
  const f = splitFlags(t.value, [] as const);
  if (!f.ok) return f;
  const [name, ...extra] = f.value.args;
  if (extra.length > 0) return refuse('extra_args', 'Give one service or function, or `all`.');
  if (name === undefined || name.toLowerCase() === 'all') return accept({ target: 'all' });
  const hit = known.find((k) => k === name.toLowerCase());
  if (!hit) {
    return refuse(
      'unknown_target',
      `\`${name.slice(0, 60)}\` is not a configured service or function. Known: ${known.map((k) => `\`${k}\``).join(', ')}.`,
    );
  }
  return accept({ target: 'one', name: hit });
}

export interface HealCommand {
  date: IsoDate;
  dryRun: boolean;
}

/** `/heal <date> [--dry-run]`: the date is required (healing "today" by accident is worse than asking). */
export function parseHeal(text: string, timeZone: string, now: Date): Outcome<HealCommand> {
  const t = tokenize(text);
  if (!t.ok) return t;
  const f = splitFlags(t.value, ['dry-run'] as const);
  if (!f.ok) return f;
  const [dateText, ...extra] = f.value.args;
  if (dateText === undefined) return refuse('missing_date', 'Which date? Give one.');
  // `2026-01-20';` is a date with text glued to it: say so, rather than "not a date".
  const glued = /^(\d{4}-\d{2}-\d{2}|today|yesterday)(\S+)$/i.exec(dateText);
  const d = parseDate(glued?.[1] ?? dateText, timeZone, now, 1);
  if (!d.ok) return d;
  const after = [...(glued?.[2] ? [glued[2]] : []), ...extra];
  if (after.length > 0)
    return refuse('extra_args', `${notUnderstood(after, 'after the date')} Heal one date at a time.`);
  return accept({ date: d.value, dryRun: f.value.flags.has('dry-run') });
}

/** "`DROP TABLE x;--` after the date is not understood." (the words as typed, clipped). */
function notUnderstood(words: string[], where: string): string {
  const text = words.join(' ');
  const shown = text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return `\`${shown}\` ${where} is not understood.`;
}
