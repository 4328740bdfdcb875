import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/config.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { fail, ok } from '../../src/domain/result.js';
import { buildStatusReport } from '../../src/domain/status.js';
import { fakePorts, healthyService, never } from '../helpers/fake-ports.js';

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
});
