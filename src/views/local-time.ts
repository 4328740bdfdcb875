/** Times in the pipeline's time zone, as the trace and the logs show them. */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Building a formatter costs far more than using one: one per time zone. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** `{day: '2026-01-20', time: '10:02:07'}` in `timeZone`, or undefined for a time that does not parse. */
export function localParts(iso: string, timeZone: string): { day: string; time: string } | undefined {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return undefined;
  const parts = Object.fromEntries(
    formatter(timeZone)
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
