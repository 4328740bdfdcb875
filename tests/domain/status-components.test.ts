/**
 * One evaluator per component kind, through the whole report (gather → evaluate) on fake
 * ports: each fault shows on its component's own line with its severity, and the summary
 * orders failures, then unknowns, then warnings.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { ErrorGroup, ExecutionState, IsoDate } from '../../src/domain/ports.js';
import { fail, ok } from '../../src/domain/result.js';
import { buildStatusReport, type ReportLine, type StatusReport } from '../../src/domain/status.js';
import { fakePorts, fakeRunHistory, healthyService } from '../helpers/fake-ports.js';

const config = loadPipeline('config/pipeline.example.yml');
const date = '2026-01-20' as IsoDate;
const now = new Date('2026-01-21T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

function line(r: StatusReport, title: string, section?: string): ReportLine {
  const found = r.sections
    .filter((s) => !section || s.id === section)
    .flatMap((s) => s.lines)
    .find((l) => l.title === title);
  if (!found) throw new Error(`no line ${title}`);
  return found;
}

function execution(over: Partial<ExecutionState>): ExecutionState {
  return {
    name: 'projects/p/locations/l/jobs/nba-raw-backfill/executions/nba-raw-backfill-abc',
    shortName: 'nba-raw-backfill-abc',
    job: 'nba-raw-backfill',
    taskCount: 3,
    runningCount: 0,
    succeededCount: 3,
    failedCount: 0,
    cancelledCount: 0,
    done: true,
    outcome: 'succeeded',
    completionTime: minutesAgo(120),
    ...over,
  };
}

describe('each component kind on its own line', () => {
  it('a Cloud Run Job whose latest execution failed, with its failed tasks', async () => {
    const failed = execution({ outcome: 'failed', succeededCount: 1, failedCount: 2 });
    const r = await buildStatusReport(
      fakePorts({ jobs: { listExecutions: async () => ok([failed]) } }),
      config,
      date,
      now,
    );
    const l = line(r, 'nba-raw-backfill');
    expect(l.health).toBe('fail');
    expect(l.detail).toContain('latest execution abc failed: 2 of 3 tasks failed');
    // A running execution with a failed task is a warning, not yet a failure.
    const running = execution({ done: false, outcome: undefined as never, failedCount: 1, runningCount: 2 });
    delete (running as { outcome?: string }).outcome;
    const r2 = await buildStatusReport(
      fakePorts({ jobs: { listExecutions: async () => ok([running]) } }),
      config,
      date,
      now,
    );
    expect(line(r2, 'nba-raw-backfill').health).toBe('warn');
  });

  it('a run_history run of the date that FAILED, with its error; a later success clears it', async () => {
    const failedRun = {
      id: 'phase2_x',
      processor: 'BdlBoxscoresProcessor',
      date,
      status: 'failed',
      startedAt: minutesAgo(30),
      error: '403 Access Denied',
    };
    const r = await buildStatusReport(
      fakePorts({ runHistory: fakeRunHistory([failedRun]) }),
      config,
      date,
      now,
    );
    const failed = r.sections.find((s) => s.id === 'failedRuns')!;
    expect(failed.lines).toHaveLength(1);
    expect(failed.lines[0]).toMatchObject({ health: 'fail', title: 'BdlBoxscoresProcessor' });
    expect(r.problems).toContain('BdlBoxscoresProcessor: failed: 403 Access Denied');
    // A whole traceback in the error field: the line that says what went wrong (issue 10).
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/app/processors/bdl.py", line 88, in run',
      '    self.load(rows)',
      'google.api_core.exceptions.Forbidden: 403 Access Denied: Table nba_raw.bdl_player_boxscores',
    ].join('\n');
    const r3 = await buildStatusReport(
      fakePorts({ runHistory: fakeRunHistory([{ ...failedRun, error: traceback }]) }),
      config,
      date,
      now,
    );
    expect(r3.problems).toContain(
      'BdlBoxscoresProcessor: failed: google.api_core.exceptions.Forbidden: 403 Access Denied: Table nba_raw.bdl_player_boxscores',
    );
    const retried = { ...failedRun, id: 'phase2_y', status: 'success', startedAt: minutesAgo(5) };
    const r2 = await buildStatusReport(
      fakePorts({ runHistory: fakeRunHistory([failedRun, retried]) }),
      config,
      date,
      now,
    );
    expect(r2.sections.find((s) => s.id === 'failedRuns')!.lines).toEqual([]);
  });

  it('table freshness against maxAgeMinutes and warnAgeMinutes, measured from `now`', async () => {
    const table = config.components.find((c) => c.kind === 'table')!;
    if (table.kind !== 'table') throw new Error('no table');
    const at = (m: number) =>
      fakePorts({ tables: { getTable: async (name) => ok({ name, lastModifiedTime: minutesAgo(m) }) } });
    const fresh = await buildStatusReport(at(60), config, date, now);
    expect(line(fresh, table.name).health).toBe('ok');
    const old = await buildStatusReport(at((table.warnAgeMinutes ?? 0) + 10), config, date, now);
    expect(line(old, table.name).health).toBe('warn');
    const stale = await buildStatusReport(at(table.maxAgeMinutes + 10), config, date, now);
    expect(line(stale, table.name)).toMatchObject({ health: 'fail' });
    expect(line(stale, table.name).detail).toMatch(
      /^stale: last written 36 h 10 min ago \(allowed 36 h 0 min\)$/,
    );
    const missing = fakePorts({ tables: { getTable: async () => fail('not_found', 'Not found: Table') } });
    expect(line(await buildStatusReport(missing, config, date, now), table.name).health).toBe('fail');
  });

  it('any scheduler job: paused is a warning, a failed last attempt a failure', async () => {
    const job = (over: object) =>
      fakePorts({
        scheduler: {
          getJob: async (name) => ok({ name, state: 'ENABLED', lastAttemptTime: minutesAgo(60), ...over }),
        },
      });
    const paused = await buildStatusReport(job({ state: 'PAUSED' }), config, date, now);
    expect(line(paused, 'self-heal-predictions', 'selfHeal').health).toBe('warn');
    const failed = await buildStatusReport(
      job({ lastStatus: { code: 13, message: 'HTTP 500' } }),
      config,
      date,
      now,
    );
    const l = failed.sections.find((s) => s.id === 'selfHeal')!.lines[0]!;
    expect(l.health).toBe('fail');
    expect(l.detail).toContain('last run 1 h 0 min ago failed: HTTP 500');
  });

  it("a function's 5xx share against its thresholds, whatever its trigger", async () => {
    const share = (s: number) =>
      fakePorts({
        monitoring: {
          ...fakePorts().monitoring,
          serverErrorShare: async (names) =>
            ok(Object.fromEntries(names.map((n) => [n, n === 'self-heal-predictions' ? s : 0]))),
        },
      });
    const bad = await buildStatusReport(share(0.3), config, date, now);
    const fnLine = bad.sections
      .find((s) => s.id === 'orchestrators')!
      .lines.find((l) => l.title === 'self-heal-predictions')!;
    expect(fnLine.health).toBe('fail');
    expect(fnLine.detail).toContain('30% 5xx in the last hour');
    expect((await buildStatusReport(share(0.02), config, date, now)).verdict).toBe('warn');
    // Thresholds come from the component: 40% fails only from 50%.
    const lenient: PipelineConfig = {
      ...config,
      components: config.components.map((c) =>
        c.kind === 'function' && c.name === 'self-heal-predictions'
          ? { ...c, serverErrorPercent: { fail: 50, warn: 45 } }
          : c,
      ),
    };
    expect((await buildStatusReport(share(0.4), lenient, date, now)).verdict).toBe('ok');
  });

  it('a function on the wrong trigger fails, an Eventarc one is compared by event type', async () => {
    const r = await buildStatusReport(
      fakePorts({
        functions: {
          getFunction: async (name) =>
            ok({ name, state: 'ACTIVE', stateMessages: [], trigger: { type: 'eventarc', eventType: 'x.y' } }),
        },
      }),
      config,
      date,
      now,
    );
    expect(line(r, 'self-heal-predictions').detail).toContain('trigger event x.y, expected HTTP');
    expect(line(r, 'phase2-to-phase3-orchestrator').detail).toContain(
      'trigger event x.y, expected topic nba-phase2-raw-complete',
    );
  });

  /** The exporter (a service outside the phases) out of memory on its serving revision. */
  const exporterOutOfMemory = (): ErrorGroup => ({
    source: 'nba-phase6-export',
    signature: 'out-of-memory',
    count: 5,
    revisions: ['nba-phase6-export-00010-abc'],
    sample: 'Memory limit of 512 MiB exceeded with 531 MiB used.',
    firstSeen: minutesAgo(20),
    lastSeen: minutesAgo(3),
  });

  it('a service outside the phases that runs out of memory is red in the Services section', async () => {
    const oom = exporterOutOfMemory();
    const r = await buildStatusReport(
      fakePorts({ logs: { errorsSince: async () => ok([oom]) } }),
      config,
      date,
      now,
    );
    const services = r.sections.find((s) => s.id === 'services')!;
    const l = services.lines.find((x) => x.title === 'nba-phase6-export')!;
    expect(l.health).toBe('fail');
    expect(l.detail).toContain('5× Out of memory in the last 30 min');
    expect(services.health).toBe('fail');
    // Logged by a revision that no longer serves (rolled back from): not this line's problem.
    const old = { ...oom, revisions: ['nba-phase6-export-00009-old'] };
    const r2 = await buildStatusReport(
      fakePorts({ logs: { errorsSince: async () => ok([old]) } }),
      config,
      date,
      now,
    );
    expect(line(r2, 'nba-phase6-export').health).toBe('ok');
    // Nor the report's: the verdict and the Errors section agree with the line (issue 10).
    expect(r2.verdict).toBe('ok');
    expect(r2.counts).toEqual({ fail: 0, unknown: 0, warn: 0 });
    const past = line(r2, 'nba-phase6-export · Out of memory', 'errors');
    expect(past.health).toBe('ok');
    expect(past.detail).toContain('from a revision no longer serving');
    expect(line(r, 'nba-phase6-export · Out of memory', 'errors').health).toBe('fail');
  });

  it('a service Cloud Run could not describe still carries what its logs and 5xx say', async () => {
    const oom = exporterOutOfMemory();
    const r = await buildStatusReport(
      fakePorts({
        cloudRun: { getService: async () => fail('unavailable', '503'), listRevisions: async () => ok([]) },
        logs: { errorsSince: async () => ok([oom]) },
        monitoring: {
          ...fakePorts().monitoring,
          serverErrorShare: async (names) =>
            ok(Object.fromEntries(names.map((n) => [n, n === 'prediction-coordinator' ? 0.2 : 0]))),
        },
      }),
      config,
      date,
      now,
    );
    const l = line(r, 'nba-phase6-export', 'services');
    expect(l.health).toBe('fail');
    expect(l.detail).toMatch(/API unavailable: 503 · 5× Out of memory in the last 30 min/);
    expect(line(r, 'prediction-coordinator', 'services')).toMatchObject({ health: 'fail' });
    expect(line(r, 'prediction-coordinator', 'services').detail).toContain('20% 5xx in the last hour');
    expect(line(r, 'nba-phase2-raw-processors', 'services').health).toBe('unknown');
    expect(r.verdict).toBe('fail');
    expect(r.summary.slice(0, 2).map((e) => e.component)).toEqual([
      'prediction-coordinator',
      'nba-phase6-export',
    ]);
  });

  it('all traffic on an older revision is said so, not called a split', async () => {
    const ports = fakePorts({
      cloudRun: {
        getService: async (name) => {
          const s = healthyService(name);
          if (name !== 'prediction-coordinator') return ok(s);
          return ok({ ...s, servingShares: [{ revision: `${name}-00009-old`, percent: 100 }] });
        },
        listRevisions: async () => ok([]),
      },
    });
    const l = line(await buildStatusReport(ports, config, date, now), 'prediction-coordinator');
    expect(l.health).toBe('warn');
    expect(l.detail).toContain('all traffic on older revision 00009-old (latest ready: 00010-abc)');
    expect(l.detail).not.toContain('split');
  });

  it('a growing dead-letter backlog fails, a constant one warns', async () => {
    const sub = 'nba-phase3-analytics-complete-dlq-sub';
    const samples = (values: number[]) =>
      fakePorts({
        monitoring: {
          ...fakePorts().monitoring,
          deadLetterTrend: async () =>
            ok({ [sub]: values.map((v, i) => ({ at: minutesAgo(values.length - 1 - i), value: v })) }),
        },
      });
    const growing = await buildStatusReport(samples([3, 5, 9, 14]), config, date, now);
    expect(line(growing, sub)).toMatchObject({ health: 'fail' });
    expect(line(growing, sub).detail).toContain('growing: 3 → 14 in the last 30 min');
    const constant = await buildStatusReport(samples([3, 3, 3, 3]), config, date, now);
    expect(line(constant, sub).health).toBe('warn');
    expect(line(constant, sub).detail).toMatch(/^3 undelivered · backlog 3/);
    // Above the configured fail threshold even when constant.
    const high = await buildStatusReport(samples([600, 600]), config, date, now);
    expect(line(high, sub).health).toBe('fail');
  });
});

describe('summary', () => {
  it('lists failures, then unknowns, then warnings, with counts; the summary is built from findings', async () => {
    const ports = fakePorts({
      scheduler: { getJob: async (name) => ok({ name, state: 'PAUSED' }) },
      functions: { getFunction: async () => fail('unavailable', '503') },
      dataChecks: { scalar: async (sql) => ok(sql.includes('bdl_player_boxscores') ? 4 : 7) },
    });
    const r = await buildStatusReport(ports, config, date, now);
    const order = r.summary.map((e) => e.severity);
    expect(order).toEqual(
      [...order].sort(
        (a, b) => ['fail', 'unknown', 'warn'].indexOf(a) - ['fail', 'unknown', 'warn'].indexOf(b),
      ),
    );
    // Both scheduler jobs paused, the five functions unreadable, one check failing.
    expect(r.counts).toEqual({ fail: 1, unknown: 5, warn: 2 });
    expect(r.verdict).toBe('fail');
    expect(r.summary[0]).toMatchObject({
      severity: 'fail',
      component: 'Games with box scores',
      messages: ['4 of 7 expected'],
    });
    expect(r.summary.slice(-2)).toMatchObject([
      { severity: 'warn', component: 'self-heal-predictions', messages: ['paused'] },
      { severity: 'warn', component: 'nba-phase6-daily-export', messages: ['paused'] },
    ]);
    expect(r.findings.every((f) => f.message.length > 0 && f.component.length > 0)).toBe(true);
  });
});
