import { describe, expect, it } from 'vitest';
import { parseDate, todayIn } from '../../src/domain/dates.js';

const tz = 'America/New_York';
// 03:00 UTC on Nov 29 is still Nov 28 in New York.
const now = new Date('2026-11-29T03:00:00Z');

describe('parseDate', () => {
  it('accepts ISO dates, today and yesterday in the pipeline time zone', () => {
    expect(todayIn(tz, now)).toBe('2026-11-28');
    expect(parseDate('2026-01-20', tz, now)).toEqual({ ok: true, value: '2026-01-20' });
    expect(parseDate('today', tz, now)).toEqual({ ok: true, value: '2026-11-28' });
    expect(parseDate('Yesterday', tz, now)).toEqual({ ok: true, value: '2026-11-27' });
  });

  it.each(['2026-02-30', '2026/01/20', '20260120', '2026-1-20', "2026-01-20' OR 1=1", ''])(
    'refuses %j',
    (text) => {
      const r = parseDate(text, tz, now);
      expect(r.ok).toBe(false);
    },
  );

  it('refuses a date ten years ahead', () => {
    const r = parseDate('2036-11-28', tz, now);
    expect(r).toMatchObject({ ok: false, reason: { code: 'future_date' } });
  });
});
