/** `/backfill` parsing and planning, pure. */
import { describe, expect, it } from 'vitest';
import { type BackfillTarget, loadPipeline, type PipelineConfig } from '../../src/config.js';
import { expectedDurationMs, parseBackfillArgs, planBackfill } from '../../src/domain/backfill-plan.js';
import { planHashMatches } from '../../src/domain/plan.js';
import type { ExecutionState, IsoDate } from '../../src/domain/ports.js';
import { fail, type Outcome, ok, type Probe } from '../../src/domain/result.js';

const config: PipelineConfig = loadPipeline('config/pipeline.example.yml');
const TZ = config.timeZone;
/** 10:00 in New York on 2026-01-21: today there is the 21st. */
const NOW = new Date('2026-01-21T15:00:00Z');
const TARGET = 'raw/bdl_boxscores';

const parse = (text: string, c: PipelineConfig = config) => parseBackfillArgs(text, c, TZ, NOW);

function refusal<T>(o: Outcome<T>): { code: string; message: string } {
  if (o.ok) throw new Error(`expected a refusal, got ${JSON.stringify(o.value)}`);
  return o.reason;
}

function accepted<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`refused: ${o.reason.code} ${o.reason.message}`);
  return o.value;
}

describe('parseBackfillArgs', () => {
  it('accepts one date, with the configured target', () => {
    const v = accepted(parse(`${TARGET} 2026-01-20`));
    expect(v.target).toBe(config.backfill.targets[0]);
    expect(v).toMatchObject({ dates: ['2026-01-20'], force: false, dryRun: false });
  });

  it('accepts a comma list, sorted with duplicates removed, and relative dates', () => {
    expect(accepted(parse(`${TARGET} 2026-01-20,2026-01-18,2026-01-20`)).dates).toEqual([
      '2026-01-18',
      '2026-01-20',
    ]);
    expect(accepted(parse(`${TARGET} 2026-01-18, 2026-01-16`)).dates).toEqual(['2026-01-16', '2026-01-18']);
    expect(accepted(parse(`${TARGET} yesterday,today`)).dates).toEqual(['2026-01-20', '2026-01-21']);
  });

  it('accepts an inclusive range, also across a month, and ranges mixed with dates', () => {
    expect(accepted(parse(`${TARGET} 2026-01-18..2026-01-20`)).dates).toEqual([
      '2026-01-18',
      '2026-01-19',
      '2026-01-20',
    ]);
    expect(accepted(parse(`${TARGET} 2025-12-30..2026-01-02`)).dates).toEqual([
      '2025-12-30',
      '2025-12-31',
      '2026-01-01',
      '2026-01-02',
    ]);
    expect(accepted(parse(`${TARGET} 2026-01-10,2026-01-14..2026-01-15,2026-01-14`)).dates).toEqual([
      '2026-01-10',
      '2026-01-14',
      '2026-01-15',
    ]);
    expect(accepted(parse(`${TARGET} 2026-01-19..2026-01-19`)).dates).toEqual(['2026-01-19']);
  });

  it('reads --force and --dry-run anywhere', () => {
    expect(accepted(parse(`--force ${TARGET} 2026-01-20 --dry-run`))).toMatchObject({
      force: true,
      dryRun: true,
    });
    expect(accepted(parse(`${TARGET} 2026-01-20 --force`))).toMatchObject({ force: true, dryRun: false });
  });

  it('refuses a reversed range, saying how to write it', () => {
    const r = refusal(parse(`${TARGET} 2026-01-20..2026-01-18`));
    expect(r.code).toBe('reversed_range');
    expect(r.message).toContain('2026-01-18..2026-01-20');
  });

  it('refuses a 40-day range naming the limit of 31, and accepts exactly 31', () => {
    const r = refusal(parse(`${TARGET} 2025-12-01..2026-01-09`));
    expect(r.code).toBe('too_many_dates');
    expect(r.message).toContain('40 days');
    expect(r.message).toContain('at most 31 days');
    expect(accepted(parse(`${TARGET} 2025-12-01..2025-12-31`)).dates).toHaveLength(31);
    // A range of years is refused without being expanded.
    expect(refusal(parse(`${TARGET} 2000-01-01..2026-01-01`)).code).toBe('too_many_dates');
  });

  it('counts the limit over the whole list, after removing duplicates', () => {
    const r = refusal(parse(`${TARGET} 2025-12-01..2025-12-31,2026-01-05`));
    expect(r).toMatchObject({ code: 'too_many_dates', message: expect.stringContaining('31') });
    expect(accepted(parse(`${TARGET} 2025-12-01..2025-12-31,2025-12-05..2025-12-07`)).dates).toHaveLength(31);
    const small = { ...config, backfill: { ...config.backfill, maxDays: 2 } };
    expect(refusal(parse(`${TARGET} 2026-01-01,2026-01-03,2026-01-05`, small)).message).toContain(
      'at most 2 days',
    );
  });

  it('refuses an unknown target, listing the known ones', () => {
    const r = refusal(parse('raw/nbac_gamebook 2026-01-20'));
    expect(r.code).toBe('unknown_target');
    expect(r.message).toContain('`raw/nbac_gamebook`');
    expect(r.message).toContain('`raw/bdl_boxscores`');
  });

  it('refuses malformed dates and ranges with a clear message', () => {
    expect(refusal(parse(`${TARGET} 2026-13-01`))).toMatchObject({
      code: 'bad_date',
      message: expect.stringContaining('2026-13-01'),
    });
    expect(refusal(parse(`${TARGET} 2026-02-30`)).code).toBe('bad_date');
    expect(refusal(parse(`${TARGET} 20260120`)).code).toBe('bad_date');
    expect(refusal(parse(`${TARGET} 2026-01-18..`))).toMatchObject({
      code: 'bad_range',
      message: expect.stringContaining('2026-01-18..2026-01-20'),
    });
    expect(refusal(parse(`${TARGET} 2026-01-18..nope`)).code).toBe('bad_date');
    expect(refusal(parse(`${TARGET} 2026-01-25`))).toMatchObject({
      code: 'future_date',
      message: expect.stringContaining('future'),
    });
  });

  it('refuses an unknown flag by name, and missing target or dates with usage', () => {
    expect(refusal(parse(`${TARGET} 2026-01-20 --forse`))).toMatchObject({
      code: 'bad_flag',
      message: expect.stringMatching(/--forse.*--force/),
    });
    expect(refusal(parse(''))).toMatchObject({
      code: 'missing_target',
      message: expect.stringContaining('/backfill'),
    });
    expect(refusal(parse(TARGET))).toMatchObject({ code: 'missing_dates' });
    const none = { ...config, backfill: { ...config.backfill, targets: [] } };
    expect(refusal(parse(`${TARGET} 2026-01-20`, none)).code).toBe('no_targets');
  });

  it('never throws on odd input', () => {
    const odd = [
      '..',
      ',,,',
      `${TARGET} ..`,
      `${TARGET} ,`,
      `${TARGET} ....`,
      `${TARGET} 2026-01-01..2026-01-02..2026-01-03`,
      `${TARGET} \u0000`,
      'x'.repeat(600),
      // 40 distinct dates, one by one.
      `${TARGET} ${Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2025, 11, 1 + i)).toISOString().slice(0, 10)).join(',')}`,
      '— —force',
      `${TARGET} 9999-99-99..0000-00-00`,
    ];
    for (const text of odd) expect(() => parse(text), text).not.toThrow();
    for (const text of odd) expect(parse(text).ok, text).toBe(false);
  });
});

const target = config.backfill.targets[0] as BackfillTarget;
const d = (s: string) => s as IsoDate;

/** A check result: `actual` box-score games of `expected` scheduled. */
const games = (actual: number, expected = 7) => ({ actual: ok(actual), expected: ok(expected) });

function execution(
  over: Partial<ExecutionState> & { dates: number; seconds: number; daysAgo: number },
): ExecutionState {
  const start = Date.parse('2026-01-21T12:00:00Z') - over.daysAgo * 86_400_000;
  const { dates, seconds, daysAgo: _d, ...rest } = over;
  return {
    name: `projects/p/locations/r/jobs/nba-raw-backfill/executions/nba-raw-backfill-${over.daysAgo}`,
    shortName: `nba-raw-backfill-${over.daysAgo}`,
    job: 'nba-raw-backfill',
    createTime: new Date(start - 3000).toISOString(),
    startTime: new Date(start).toISOString(),
    completionTime: new Date(start + seconds * 1000).toISOString(),
    taskCount: dates,
    runningCount: 0,
    succeededCount: dates,
    failedCount: 0,
    cancelledCount: 0,
    done: true,
    outcome: 'succeeded',
    ...rest,
  };
}

/** Newest first, as listExecutions answers: 90 s a date on average. */
const history: ExecutionState[] = [
  execution({ dates: 4, seconds: 360, daysAgo: 2 }),
  execution({ dates: 2, seconds: 180, daysAgo: 6 }),
  execution({ dates: 3, seconds: 270, daysAgo: 9 }),
];

const threeDates = [d('2026-01-18'), d('2026-01-19'), d('2026-01-20')];
const oneComplete = new Map([
  [d('2026-01-18'), games(0)],
  [d('2026-01-19'), games(7)],
  [d('2026-01-20'), games(4)],
]);

describe('planBackfill', () => {
  it('runs the two incomplete dates of three, skips the complete one saying why, and estimates the duration', () => {
    const r = accepted(planBackfill(config, target, threeDates, oneComplete, history, false));
    expect(r.toRun).toEqual(['2026-01-18', '2026-01-20']);
    expect(r.skipped).toEqual([{ date: '2026-01-19', why: 'complete: 7 of 7' }]);
    expect(r.expectedMs).toBe(180_000);
    const plan = r.plan!;
    expect(plan).toMatchObject({ kind: 'backfill', subject: TARGET });
    expect(planHashMatches(plan)).toBe(true);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      id: 'run-job',
      action: 'run_job',
      destructive: false,
      undoable: false,
      params: {
        job: 'nba-raw-backfill',
        args: ['--processor=bdl_boxscores', '--dates=2026-01-18,2026-01-20'],
        dates: ['2026-01-18', '2026-01-20'],
        target: TARGET,
        check: 'boxscore_games',
      },
    });
    expect(plan.steps[0]!.label).toContain('2026-01-18, 2026-01-20');
    expect(plan.summary.join('\n')).toMatch(/2 dates to run[\s\S]*1 skipped[\s\S]*about 3 min/);
    expect(plan.evidence).toEqual([
      expect.stringMatching(/^✗ 2026-01-18 .*0 of 7/),
      expect.stringMatching(/^✓ 2026-01-19 .*skipped/),
      expect.stringMatching(/^✗ 2026-01-20 .*4 of 7/),
    ]);
  });

  it('runs every date with --force', () => {
    const r = accepted(planBackfill(config, target, threeDates, oneComplete, history, true));
    expect(r.toRun).toEqual(threeDates);
    expect(r.skipped).toEqual([]);
    expect(r.expectedMs).toBe(270_000);
    expect(r.plan!.steps[0]!.params.args).toEqual([
      '--processor=bdl_boxscores',
      '--dates=2026-01-18,2026-01-19,2026-01-20',
    ]);
  });

  it('has no plan when every date is complete', () => {
    const all = new Map(threeDates.map((x) => [x, games(7)]));
    const r = accepted(planBackfill(config, target, threeDates, all, history, false));
    expect(r.plan).toBeNull();
    expect(r.toRun).toEqual([]);
    expect(r.skipped.map((s) => s.date)).toEqual(threeDates);
  });

  it('runs a date whose check could not be read, and says so', () => {
    const checks = new Map<IsoDate, { actual: Probe<number>; expected?: Probe<number> }>([
      [d('2026-01-18'), { actual: fail('timeout', 'no answer within 8 s') }],
      [d('2026-01-19'), games(7)],
    ]);
    const r = accepted(
      planBackfill(config, target, [d('2026-01-18'), d('2026-01-19')], checks, history, false),
    );
    expect(r.toRun).toEqual(['2026-01-18']);
    expect(r.plan!.evidence![0]).toMatch(/^\? 2026-01-18 .*could not check.*will run/);
  });

  it('estimates only from succeeded executions, the recent ones, and not at all without any', () => {
    const failedLong = execution({ dates: 1, seconds: 3600, daysAgo: 1, outcome: 'failed' });
    const running = { ...execution({ dates: 1, seconds: 10, daysAgo: 0 }), done: false };
    delete (running as Partial<ExecutionState>).outcome;
    delete (running as Partial<ExecutionState>).completionTime;
    expect(expectedDurationMs([running, failedLong, ...history], 2)).toBe(180_000);
    expect(expectedDurationMs([], 2)).toBeUndefined();
    const r = accepted(planBackfill(config, target, threeDates, oneComplete, [failedLong], false));
    expect(r.expectedMs).toBeUndefined();
    expect(r.plan!.summary.join(' ')).not.toContain('expected duration');
  });

  it('plans one trigger per date for a target that runs a phase', () => {
    const phaseTarget: BackfillTarget = {
      id: 'analytics/player_game_summary',
      label: 'Player game summary',
      check: 'analytics_games',
      run: { type: 'phase', phase: 'phase3' },
    };
    const c = { ...config, backfill: { ...config.backfill, targets: [target, phaseTarget] } };
    const checks = new Map([
      [d('2026-01-18'), games(0)],
      [d('2026-01-19'), games(7)],
      [d('2026-01-20'), games(4)],
    ]);
    const r = accepted(planBackfill(c, phaseTarget, threeDates, checks, [], false));
    expect(r.plan!.subject).toBe('analytics/player_game_summary');
    expect(r.plan!.steps.map((s) => [s.id, s.action, s.params.date])).toEqual([
      ['trigger-phase3-2026-01-18', 'trigger_phase', '2026-01-18'],
      ['trigger-phase3-2026-01-20', 'trigger_phase', '2026-01-20'],
    ]);
    expect(r.plan!.steps[0]!.params).toMatchObject({
      waitForChecks: ['analytics_games'],
      trigger: { type: 'http', path: '/process-date-range', body: { start_date: '2026-01-18' } },
    });
  });
});
