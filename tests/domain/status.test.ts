import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { loadPipeline } from '../../src/config.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { fail, ok } from '../../src/domain/result.js';
import { buildStatusReport, evaluateStatus, gatherStatus } from '../../src/domain/status.js';
import { statusMessage } from '../../src/views/status.js';
import { fakePorts, fakeRunHistory, healthyService, never } from '../helpers/fake-ports.js';

const config = loadPipeline('config/pipeline.example.yml');
const date = '2026-01-20' as IsoDate;
const now = new Date('2026-01-21T12:00:00Z');

describe('status report', () => {
  it('is all clear when every port says so', async () => {
    const r = await buildStatusReport(fakePorts(), config, date, now);
    expect(r.verdict).toBe('ok');
    expect(r.problems).toEqual([]);
    expect(r.sections.map((s) => s.id)).toEqual([
      'services',
      'orchestrators',
      'jobs',
      'selfHeal',
      'data',
      'tables',
      'stuck',
      'failedRuns',
      'errors',
      'dlq',
    ]);
    expect(r.counts).toEqual({ fail: 0, unknown: 0, warn: 0 });
    for (const s of r.sections) for (const l of s.lines) expect(l.health, `${s.id} ${l.title}`).toBe('ok');
  });

  it('names a not-ready revision, a failing check and a stuck run', async () => {
    const ports = fakePorts({
      cloudRun: {
        getService: async (name) =>
          ok(
            name === 'nba-phase4-precompute-processors'
              ? {
                  ...healthyService(name),
                  latestCreatedRevision: `${name}-00049-xyz`,
                  ready: { state: 'false', message: 'HealthChecker' },
                }
              : healthyService(name),
          ),
        listRevisions: async () => ok([]),
      },
      dataChecks: { scalar: async (sql) => ok(sql.includes('bdl_player_boxscores') ? 4 : 7) },
      runHistory: {
        runsForDate: async () => ok([]),
        stuckRuns: async () =>
          ok([
            {
              id: 'phase3_x',
              processor: 'PlayerGameSummaryProcessor',
              date: '2026-01-20',
              status: 'running',
              startedAt: '2026-01-21T09:00:00Z',
            },
          ]),
      },
    });
    const r = await buildStatusReport(ports, config, date, now);
    expect(r.verdict).toBe('fail');
    const text = r.problems.join('\n');
    expect(text).toContain('nba-phase4-precompute-processors');
    expect(text).toContain('00049-xyz is not ready');
    expect(text).toMatch(/Games with box scores: 4 of 7 expected/);
    expect(text).toContain('PlayerGameSummaryProcessor');
  });

  it('marks only the line whose API hangs and still answers by the overall deadline', async () => {
    const fast = { ...config, limits: { ...config.limits, reportDeadlineMs: 300 } };
    const ports = fakePorts({ logs: { errorsSince: () => never() } });
    const started = Date.now();
    const r = await buildStatusReport(ports, fast, date, now);
    expect(Date.now() - started).toBeLessThan(5000);
    const errors = r.sections.find((s) => s.id === 'errors')!;
    expect(errors.health).toBe('unknown');
    expect(errors.lines[0]!.detail).toMatch(/no answer/);
    expect(r.sections.find((s) => s.id === 'services')!.health).toBe('ok');
  });

  it('shows an API error on its own line', async () => {
    const ports = fakePorts({ functions: { getFunction: async () => fail('unavailable', '503') } });
    const r = await buildStatusReport(ports, config, date, now);
    const fns = r.sections.find((s) => s.id === 'orchestrators')!;
    expect(fns.lines.every((l) => l.health === 'unknown' && l.detail.includes('unavailable'))).toBe(true);
    expect(r.sections.find((s) => s.id === 'data')!.health).toBe('ok');
  });

  it('evaluates and formats with the time it is given: no clock, no timer (issue 10)', async () => {
    const at = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
    const ports = fakePorts({
      scheduler: { getJob: async (name) => ok({ name, state: 'PAUSED', lastAttemptTime: at(90) }) },
      tables: { getTable: async (name) => ok({ name, lastModifiedTime: at(3000) }) },
      runHistory: fakeRunHistory([
        { id: 'a', processor: 'P3', date, status: 'running', startedAt: at(200) },
        { id: 'b', processor: 'P2', date, status: 'failed', startedAt: at(30), error: 'boom' },
      ]),
      logs: {
        errorsSince: async () =>
          ok([
            {
              source: 'nba-phase6-export',
              count: 2,
              sample: 'RuntimeError: x',
              firstSeen: at(25),
              lastSeen: at(4),
            },
          ]),
      },
    });
    const facts = await gatherStatus(ports, config, date, now);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2031-06-01T00:00:00Z'));
      const first = evaluateStatus(config, facts, date, now);
      const firstBlocks = JSON.stringify(statusMessage(first, { withActions: true }));
      vi.setSystemTime(new Date('2019-01-01T00:00:00Z'));
      const second = evaluateStatus(config, facts, date, now);
      expect(second).toEqual(first);
      expect(JSON.stringify(statusMessage(second, { withActions: true }))).toBe(firstBlocks);
      expect(first.generatedAt).toEqual(now);
      expect(first.problems.join('\n')).toContain('stuck since 3 h 20 min ago');
    } finally {
      vi.useRealTimers();
    }
    // Gathering alone waits (the report deadline, in report-deadline.ts); nothing else reads a clock.
    const files = [
      'src/domain/status.ts',
      ...readdirSync('src/domain/status').map((f) => `src/domain/status/${f}`),
      'src/domain/deploy-verify.ts',
      'src/domain/exception-line.ts',
      ...readdirSync('src/views')
        .filter((f) => f.startsWith('status') || f === 'deploy-verify.ts')
        .map((f) => `src/views/${f}`),
    ];
    for (const f of files) {
      expect(readFileSync(f, 'utf8'), f).not.toMatch(
        /Date\.now\(|new Date\(\)|setTimeout|setInterval|performance\.now/,
      );
    }
  });
});
