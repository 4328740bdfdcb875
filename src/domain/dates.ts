import type { IsoDate } from './ports.js';
import { accept, type Outcome, refuse } from './result.js';

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Building a formatter costs far more than using one, and these run before every ack. */
const formatters = new Map<string, Intl.DateTimeFormat>();
const formats = {
  // en-CA formats as YYYY-MM-DD.
  date: ['en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }],
  clock: ['en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }],
  // Its parts, for the trace's and the logs' times.
  stamp: [
    'en-CA',
    {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    },
  ],
} as const satisfies Record<string, readonly [string, Intl.DateTimeFormatOptions]>;

export function formatterIn(timeZone: string, kind: keyof typeof formats): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    const [locale, options] = formats[kind];
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** Today's calendar date in `timeZone`. */
export function todayIn(timeZone: string, now: Date): IsoDate {
  return formatterIn(timeZone, 'date').format(now) as IsoDate;
}

/** "09:05": the time of day in `timeZone`. */
export function clockIn(timeZone: string, now: Date): string {
  return formatterIn(timeZone, 'clock').format(now);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10) as IsoDate;
}

/** Days from a to b (b - a). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export const DATE_USAGE = '`YYYY-MM-DD`, `today` or `yesterday`';

/**
 * Parse a date typed in Slack. Accepts `YYYY-MM-DD` (a real calendar day), `today`, `yesterday`,
 * in the pipeline's time zone; refuses anything more than `maxFutureDays` ahead.
 */
export function parseDate(text: string, timeZone: string, now: Date, maxFutureDays = 7): Outcome<IsoDate> {
  const input = text.trim().toLowerCase();
  const today = todayIn(timeZone, now);
  if (input === 'today') return accept(today);
  if (input === 'yesterday') return accept(addDays(today, -1));
  const m = isoPattern.exec(input);
  if (!m) {
    return refuse('bad_date', `\`${text.slice(0, 40)}\` is not a date: use ${DATE_USAGE}.`);
  }
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.toISOString().slice(0, 10) !== input || Number(y) < 2000) {
    return refuse('bad_date', `\`${input}\` is not a calendar day.`);
  }
  const iso = input as IsoDate;
  if (daysBetween(today, iso) > maxFutureDays) {
    // Name the latest date accepted rather than a count of days: 9999-12-31 is "2,914,000 days" ahead.
    return refuse(
      'future_date',
      `\`${input}\` is more than ${maxFutureDays === 1 ? '1 day' : `${maxFutureDays} days`} ahead of today (${today}): the latest date accepted is ${addDays(today, maxFutureDays)}.`,
    );
  }
  return accept(iso);
}
