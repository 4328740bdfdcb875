/** The `breakdown` scenario: selectable everywhere a scenario is, with a fault of every kind. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentsOf, loadEnv, loadPipeline, type PipelineConfig } from '../../../src/config.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { buildScenario, scenarioNames } from '../../src/sandbox/scenarios.js';

const NOW = new Date('2026-01-21T15:00:00Z');
let config: PipelineConfig;
let sandbox: Sandbox;

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'healthy', now: () => NOW });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('breakdown scenario', () => {
  it('is accepted by SANDBOX_SCENARIO and offered by the console (its list is scenarioNames)', () => {
    expect(loadEnv({ SANDBOX_SCENARIO: 'breakdown' }).SANDBOX_SCENARIO).toBe('breakdown');
    expect(() => loadEnv({ SANDBOX_SCENARIO: 'meltdown' })).toThrowError(/SANDBOX_SCENARIO/);
    expect(scenarioNames).toContain('breakdown');
    // The product's env schema cannot import devstack: its copy of the list must not drift.
    for (const name of scenarioNames) expect(loadEnv({ SANDBOX_SCENARIO: name }).SANDBOX_SCENARIO).toBe(name);
  });

  it('is selected through the control API, an unknown name refused', async () => {
    const post = (name: string) =>
      fetch(`${sandbox.url}/_sandbox/scenario`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
    const ok = await post('breakdown');
    expect(ok.status).toBe(200);
    expect(sandbox.state.scenario).toBe('breakdown');
    expect((await post('meltdown')).status).toBe(400);
  });

  it('has a fault of every kind on a configured component, and healthy has none', () => {
    const broken = buildScenario('breakdown', config, NOW);
    const healthy = buildScenario('healthy', config, NOW);
    const job = componentsOf(config, 'job')[0]!.name;
    expect(
      broken.runJobs
        .get(job)!
        .executions.at(-1)!
        .tasks.filter((t) => t.state === 'failed'),
    ).toHaveLength(2);
    expect(
      healthy.runJobs.get(job)!.executions.every((x) => x.tasks.every((t) => t.state === 'succeeded')),
    ).toBe(true);
    const status = config.runHistory.fields.status;
    expect(broken.runHistory.filter((d) => d.data[status] === config.runHistory.failedStatus)).toHaveLength(
      1,
    );
    expect(healthy.runHistory.filter((d) => d.data[status] === config.runHistory.failedStatus)).toHaveLength(
      0,
    );
    const table = componentsOf(config, 'table')[0]!;
    const age = (s: typeof broken) =>
      (NOW.getTime() - s.tables.get(table.name)!.lastModified!.getTime()) / 60_000;
    expect(age(broken)).toBeGreaterThan(table.maxAgeMinutes);
    expect(age(healthy)).toBeLessThan(table.warnAgeMinutes ?? table.maxAgeMinutes);
    const failedJobs = [...broken.schedulerJobs.values()].filter((j) => j.status && j.status.code !== 0);
    expect(failedJobs.map((j) => j.name)).toEqual(['nba-phase6-daily-export']);
    expect(
      broken.requestCounts.some(
        (c) => c.service === 'self-heal-predictions' && c.responseCodeClass === '5xx',
      ),
    ).toBe(true);
    expect(
      broken.logs.filter((l) => l.source === 'nba-phase6-export' && /Memory limit/.test(l.text)),
    ).toHaveLength(5);
    expect([...(broken.deadLetterGrowth ?? new Map()).keys()]).toEqual([
      config.deadLetterSubscriptions.at(-1),
    ]);
    expect(healthy.deadLetterGrowth).toBeUndefined();
  });
});
