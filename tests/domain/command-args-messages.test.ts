/** Issue 9, item 8: refusals say what is actually wrong, in words that read well. */
import { describe, expect, it } from 'vitest';
import { parseHeal, parsePipelineCommand } from '../../src/domain/command-args.js';

const TZ = 'America/New_York';
const now = new Date('2026-12-01T15:00:00Z');

const message = (r: { ok: boolean; reason?: { message: string } }) => {
  expect(r.ok).toBe(false);
  return r.reason?.message ?? '';
};

describe('refusal messages', () => {
  it('`/pipeline self-heal pause now`: the extra word is not understood, the action is', () => {
    const text = message(parsePipelineCommand('self-heal pause now', TZ, now));
    expect(text).toContain('`now`');
    expect(text).toContain('not understood');
    expect(text).not.toMatch(/unknown/i);
    expect(message(parsePipelineCommand('self-heal pasue', TZ, now))).toContain(
      'Unknown self-heal action `pasue`',
    );
  });

  it("`/heal 2026-01-20'; DROP TABLE x;--`: the text after the date is not understood", () => {
    const text = message(parseHeal("2026-01-20'; DROP TABLE x;--", TZ, now));
    expect(text).toContain("`'; DROP TABLE x;--` after the date is not understood");
    expect(message(parseHeal('2026-01-20 2026-01-21', TZ, now))).toContain('`2026-01-21` after the date');
    // A bad date is still named as such, before anything after it.
    expect(message(parseHeal('2026-02-30 x', TZ, now))).toContain('is not a calendar day');
  });

  it('`/heal 9999-12-31`: too far ahead, naming the latest date accepted, not a count of days', () => {
    const text = message(parseHeal('9999-12-31', TZ, now));
    expect(text).toContain('more than 1 day ahead of today (2026-12-01)');
    expect(text).toContain('the latest date accepted is 2026-12-02');
    expect(text).not.toMatch(/\d{3,},?\d{3} days/);
    expect(parseHeal('2026-12-02', TZ, now).ok).toBe(true);
  });

  it('`/pipeline status` with a word after the date says so', () => {
    expect(message(parsePipelineCommand('status 2026-01-20 now', TZ, now))).toContain(
      '`now` after the date is not understood',
    );
  });
});
