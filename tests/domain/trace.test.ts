/**
 * `/pipeline trace`: evaluating what was gathered for a date (runs, markers, data checks, the first
 * error of what broke) into a timeline and the sentence that says where the chain broke; and
 * gathering it with one Logging read for every marker, plus one per broken phase.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { LogEntry, LogListRequest } from '../../src/domain/logs-query.js';
import { renderFilter } from '../../src/domain/logs-query.js';
import type { IsoDate, RunRecord } from '../../src/domain/ports.js';
import { fail, ok } from '../../src/domain/result.js';
import type { CheckResult } from '../../src/domain/status.js';
import { evaluateTrace, type TraceFacts } from '../../src/domain/trace.js';
import { gatherTrace, markerFilter, traceWindowStart } from '../../src/domain/trace-gather.js';
import { breakSentence } from '../../src/views/trace.js';

const config = loadPipeline('config/pipeline.example.yml');
const DATE = '2026-01-20' as IsoDate;
/** 10:00 in New York on the 21st (EST, UTC-5). */
const T0 = Date.parse('2026-01-21T15:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const NOW = new Date(T0 + 60 * 60_000);

const phase = (id: string) => config.phases.find((p) => p.id === id)!;
const handoff = (id: string) => phase(id).trace!.handoff!;

function run(id: string, status: string, started: number, finished?: number): RunRecord {
  return {
    id: `${id}_${DATE}`,
    processor: phase(id).trace!.processors[0]!,
    date: DATE,
    status,
    startedAt: at(started),
    ...(finished === undefined ? {} : { finishedAt: at(finished) }),
  };
}

let insert = 0;
function entry(source: string, minutes: number, text: string, severity = 'INFO'): LogEntry {
  insert++;
  return { insertId: `i${insert}`, timestamp: at(minutes), severity, source, text };
}

/** The markers of a phase that finished at `minutes` and handed off. */
function finishedMarkers(id: string, minutes: number, handedOff = true): LogEntry[] {
  const p = phase(id);
  const h = p.trace?.handoff;
  return [
    entry(p.service, minutes, `${p.trace!.complete} for ${DATE}`),
    ...(h ? [entry(h.function, minutes, `${h.received} from its topic: {"game_date": "${DATE}"}`)] : []),
    ...(h && handedOff ? [entry(h.function, minutes, `${h.trigger} for ${DATE}`)] : []),
  ];
}

/** Every check of the phases given passing (7 of 7), the others failing (4 of 7). */
function checks(passing: string[]): Map<string, CheckResult> {
  return new Map(
    config.dataChecks.map((c) => [
      c.id,
      { actual: ok(passing.includes(c.phase ?? '') ? 7 : 4), expected: ok(7) } satisfies CheckResult,
    ]),
  );
}

function facts(over: Partial<TraceFacts>): TraceFacts {
  return { runs: ok([]), markers: ok({ entries: [] }), checks: checks([]), errors: new Map(), ...over };
}

describe('a date along the chain', () => {
  it('says where it broke and since when: phase 3 finished, its orchestrator did not hand off', () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/workspace/main.py", line 4, in <module>',
      "ModuleNotFoundError: No module named 'shared'",
    ].join('\n');
    const report = evaluateTrace(
      config,
      facts({
        runs: ok([run('phase2', 'success', -60, -30), run('phase3', 'success', -20, 2)]),
        markers: ok({ entries: [...finishedMarkers('phase2', -30), ...finishedMarkers('phase3', 2, false)] }),
        checks: checks(['phase2', 'phase3']),
        errors: new Map([['phase3', ok(entry(handoff('phase3').function, 2.5, traceback, 'ERROR'))]]),
      }),
      DATE,
      NOW,
    );
    expect(report.phases.map((p) => p.outcome)).toEqual(['done', 'broken', 'not-reached', 'not-reached']);
    expect(report.broke).toMatchObject({
      phase: { id: 'phase3' },
      logs: { kind: 'function', name: handoff('phase3').function },
    });
    expect(breakSentence(report.broke!, report)).toBe(
      "phase3 finished 2026-01-21 10:02; phase3-to-phase4-orchestrator did not hand off: ModuleNotFoundError: No module named 'shared' at 2026-01-21 10:02",
    );
    // On the traced day itself the times need no date.
    expect(breakSentence(report.broke!, { ...report, date: '2026-01-21' as IsoDate })).toMatch(
      /^phase3 finished 10:02; .* at 10:02$/,
    );
    const p3 = report.phases[1]!;
    expect(p3.events.map((e) => [e.step, e.health])).toEqual([
      ['run', 'ok'],
      ['run', 'ok'],
      ['complete', 'ok'],
      ['handoff', 'ok'],
      ['handoff', 'fail'],
      ['check', 'ok'],
      ['error', 'fail'],
    ]);
    expect(p3.events[3]!.text).toBe(
      'phase3-to-phase4-orchestrator took the message from nba-phase3-analytics-complete',
    );
    expect(p3.events[1]!.text).toBe('PlayerGameSummaryProcessor finished: success after 22 min');
    // Phase 4 never started: what it did not log is no news, its data is still missing.
    const p4 = report.phases[2]!;
    expect(p4.events.find((e) => e.step === 'complete')).toMatchObject({ health: 'unknown' });
    expect(p4.events.find((e) => e.step === 'handoff')?.text).toContain('not reached');
    expect(p4.events.find((e) => e.step === 'check')).toMatchObject({ health: 'fail' });
  });

  it('a stuck run is the break, with the first error since it started', () => {
    const crash = "TypeError: HealthChecker.__init__() got an unexpected keyword argument 'project_id'";
    const report = evaluateTrace(
      config,
      facts({
        runs: ok([run('phase2', 'success', -300, -280), run('phase3', 'running', -240)]),
        markers: ok({ entries: finishedMarkers('phase2', -280) }),
        checks: checks(['phase2']),
        errors: new Map([['phase3', ok(entry(phase('phase3').service, -200, crash, 'ERROR'))]]),
      }),
      DATE,
      NOW,
    );
    expect(report.broke?.phase.id).toBe('phase3');
    expect(report.broke?.what).toBe('PlayerGameSummaryProcessor still running after 5 h 0 min');
    expect(report.broke?.after).toEqual({ text: 'PlayerGameSummaryProcessor started', at: at(-240) });
    expect(report.broke?.since).toBe(at(-200));
    expect(report.broke?.logs).toEqual({ kind: 'service', name: phase('phase3').service });
    expect(report.done).toBe(false);
  });

  it('every phase done: completion logged (a run_history document is not required), data there, handed off', () => {
    const entries = ['phase2', 'phase3', 'phase4', 'phase5'].flatMap((id, i) => finishedMarkers(id, i * 10));
    const report = evaluateTrace(
      config,
      facts({
        runs: ok([run('phase2', 'success', -20, 0)]),
        markers: ok({ entries }),
        checks: checks(['phase2', 'phase3', 'phase4', 'phase5']),
      }),
      DATE,
      NOW,
    );
    expect(report.done).toBe(true);
    expect(report.broke).toBeUndefined();
    expect(report.phases.every((p) => p.events.every((e) => e.health !== 'fail'))).toBe(true);
    expect(report.unchecked).toEqual([]);
  });

  it('without markers it uses the runs, and says what it could not check', () => {
    const bare: PipelineConfig = {
      ...config,
      phases: config.phases.map(({ trace, ...p }, i) =>
        i === 0 ? { ...p, trace: { processors: trace!.processors } } : p,
      ),
    };
    // No marker configured: gathering reads none.
    const { markers: _none, ...read } = facts({
      runs: ok([run('phase2', 'success', -20, 0)]),
      checks: checks(['phase2']),
    });
    const report = evaluateTrace(bare, read, DATE, NOW);
    expect(report.phases[0]!.outcome).toBe('done');
    expect(report.phases.slice(1).map((p) => p.outcome)).toEqual(['broken', 'not-reached', 'not-reached']);
    expect(report.broke?.what).toBe('Games with player analytics: 4 of 7 expected');
    expect(report.unchecked).toEqual(
      expect.arrayContaining([
        'phase2: the completion log line (none at phases.0.trace.complete)',
        'phase2: the hand-off to the next phase (none at phases.0.trace.handoff)',
        'phase3: its runs in run_history (no processor names at phases.1.trace.processors)',
      ]),
    );
    // The last phase hands off to nothing in the chain: no complaint about it.
    expect(report.unchecked.some((u) => u.startsWith('phase5: the hand-off'))).toBe(false);
  });

  it('logs that cannot be read make steps unknown, not broken; a finished run still counts', () => {
    const report = evaluateTrace(
      config,
      facts({
        runs: ok([run('phase2', 'success', -20, 0)]),
        markers: fail('unavailable', 'Logging is down'),
        checks: checks(['phase2']),
      }),
      DATE,
      NOW,
    );
    const p2 = report.phases[0]!;
    expect(p2.outcome).toBe('done');
    expect(p2.events.filter((e) => e.health === 'unknown').map((e) => e.text)).toEqual([
      '"Processing complete" in the logs: API unavailable: Logging is down',
      'phase2-to-phase3-orchestrator: API unavailable: Logging is down',
    ]);
  });
});

describe('gathering a trace', () => {
  it('reads every marker at once, then the first error of each broken phase only', async () => {
    const lists: LogListRequest[] = [];
    const markers = [...finishedMarkers('phase2', -280)];
    const ports = {
      runHistory: {
        runsForDate: async () => ok([run('phase2', 'success', -300, -280), run('phase3', 'running', -240)]),
        stuckRuns: async () => ok([]),
      },
      dataChecks: {
        scalar: async (sql: string) =>
          ok(sql.includes('nbac_schedule') || sql.includes('bdl_player') ? 7 : 3),
      },
      logSearch: {
        list: async (r: LogListRequest) => {
          lists.push(r);
          return ok({ entries: r.order === 'newest' ? markers : [] });
        },
      },
    };
    const trace = await gatherTrace(ports, config, DATE, NOW);
    const [first, ...errors] = lists;
    expect(first).toMatchObject({ order: 'newest' });
    expect(first!.filter).toEqual(markerFilter(config, DATE));
    const rendered = renderFilter(first!.filter);
    expect(rendered).toContain(`timestamp>="${traceWindowStart(DATE).toISOString()}"`);
    expect(rendered).toContain(`"${DATE}"`);
    for (const p of config.phases) expect(rendered).toContain(`resource.labels.service_name="${p.service}"`);
    expect(rendered).toContain('"Triggering Phase 4"');
    // Phase 3 is broken (its run stuck), 4 and 5 never started: one lookup, oldest first.
    const report = evaluateTrace(config, trace, DATE, NOW);
    const broken = report.phases.filter((p) => p.outcome === 'broken').map((p) => p.id);
    expect(broken).toEqual(['phase3']);
    expect(report.phases.map((p) => p.outcome)).toEqual(['done', 'broken', 'not-reached', 'not-reached']);
    expect(errors).toHaveLength(broken.length);
    expect(errors.every((e) => e.order === 'oldest' && e.pageSize === 1)).toBe(true);
    expect(renderFilter(errors[0]!.filter)).toBe(
      `(resource.type="cloud_run_revision" AND resource.labels.service_name="${phase('phase3').service}") AND timestamp>="${at(-240)}" AND severity>=ERROR`,
    );
    expect([...trace.errors.keys()]).toEqual(broken);
  });

  it('a phase with no marker configured adds nothing to the marker read; none at all makes no read', async () => {
    const none: PipelineConfig = { ...config, phases: config.phases.map(({ trace: _t, ...p }) => p) };
    expect(markerFilter(none, DATE)).toBeUndefined();
    let reads = 0;
    const ports = {
      runHistory: { runsForDate: async () => ok([]), stuckRuns: async () => ok([]) },
      dataChecks: { scalar: async () => ok(1) },
      logSearch: {
        list: async () => {
          reads++;
          return ok({ entries: [] });
        },
      },
    };
    const trace = await gatherTrace(ports, none, DATE, NOW);
    expect(trace.markers).toBeUndefined();
    // Without processor names nothing is known to have failed but the data: errors of the services.
    expect(reads).toBe([...trace.errors.keys()].length);
  });
});
