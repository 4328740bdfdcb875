/** Times in the pipeline's time zone, as the trace and the logs show them. */
import { formatterIn } from '../domain/dates.js';

/** `{day: '2026-01-20', time: '10:02:07'}` in `timeZone`, or undefined for a time that does not parse. */
export function localParts(iso: string, timeZone: string): { day: string; time: string } | undefined {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return undefined;
  const parts = Object.fromEntries(
    formatterIn(timeZone, 'stamp')
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
  };
}

/** `10:02` on `day` itself, `2026-01-21 10:02` on any other day; `?` when it does not parse. */
export function localMinute(iso: string, timeZone: string, day?: string): string {
  const p = localParts(iso, timeZone);
  if (!p) return '?';
  const hm = p.time.slice(0, 5);
  return p.day === day ? hm : `${p.day} ${hm}`;
}

/** `2026-01-21 10:02:07`. */
export function localSecond(iso: string, timeZone: string): string {
  const p = localParts(iso, timeZone);
  return p ? `${p.day} ${p.time}` : '?';
}
