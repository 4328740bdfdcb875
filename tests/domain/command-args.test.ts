import { describe, expect, it } from 'vitest';
import { parseDeployVerify, parsePipelineCommand } from '../../src/domain/command-args.js';

const tz = 'America/New_York';
const now = new Date('2026-11-28T15:00:00Z');

describe('/pipeline arguments', () => {
  it('defaults to help', () => {
    expect(parsePipelineCommand('', tz, now)).toEqual({ ok: true, value: { kind: 'help' } });
  });
  it('parses status with date and flags', () => {
    expect(parsePipelineCommand('status 2026-01-20 --post --fresh', tz, now)).toEqual({
      ok: true,
      value: { kind: 'status', date: '2026-01-20', post: true, fresh: true },
    });
    expect(parsePipelineCommand('status', tz, now)).toMatchObject({
      ok: true,
      value: { date: '2026-11-28', post: false },
    });
  });
  it('refuses unknown subcommands and flags by name', () => {
    expect(parsePipelineCommand('restart', tz, now)).toMatchObject({
      ok: false,
      reason: { code: 'unknown_subcommand' },
    });
    expect(parsePipelineCommand('status --force', tz, now)).toMatchObject({
      ok: false,
      reason: { message: expect.stringContaining('`--force`') },
    });
    expect(parsePipelineCommand('status 2026-01-20 2026-01-21', tz, now)).toMatchObject({ ok: false });
  });
});

describe('/deploy-verify arguments', () => {
  const known = ['nba-phase3-analytics-processors', 'phase5-to-phase6-orchestrator'];
  it('accepts all, nothing, or a configured name', () => {
    expect(parseDeployVerify('', known)).toEqual({ ok: true, value: { target: 'all' } });
    expect(parseDeployVerify('NBA-PHASE3-ANALYTICS-PROCESSORS', known)).toEqual({
      ok: true,
      value: { target: 'one', name: 'nba-phase3-analytics-processors' },
    });
  });
  it('refuses anything else, listing what is known', () => {
    const r = parseDeployVerify('../../etc/passwd', known);
    expect(r).toMatchObject({ ok: false, reason: { code: 'unknown_target' } });
  });
});
