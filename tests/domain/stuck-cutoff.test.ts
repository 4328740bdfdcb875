/**
 * The stuck-run cutoff: a run is stuck only once it has been running longer than
 * `runHistory.stuckAfterMinutes`. A run that started minutes ago is still in progress, and a heal
 * must never plan to delete its run_history document (issue 9, item 10). The ports here honour
 * `startedBefore`, so a cutoff computed wrong (in the future, or not at all) fails these tests.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/config.js';
import { gatherHealFacts, planHeal } from '../../src/domain/heal-plan.js';
import type { IsoDate, RunRecord } from '../../src/domain/ports.js';
import { createMemoryRunHistory } from '../../src/store/memory-run-history.js';
import { fakePorts, fakeRunHistory } from '../helpers/fake-ports.js';

const config = loadPipeline('config/pipeline.example.yml');
const date = '2026-01-20' as IsoDate;
const now = new Date('2026-01-21T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

const records: RunRecord[] = [
  // Running for 3 hours: stuck.
  {
    id: 'phase3_stuck',
    processor: 'PlayerGameSummaryProcessor',
    date,
    status: 'running',
    startedAt: ago(180),
  },
  // Started 5 minutes ago and still running: in progress, not stuck.
  {
    id: 'phase4_in_progress',
    processor: 'MlFeatureStoreProcessor',
    date,
    status: 'running',
    startedAt: ago(5),
  },
  // Just inside the threshold (59 of 60 minutes).
  { id: 'phase5_almost', processor: 'PredictionCoordinator', date, status: 'running', startedAt: ago(59) },
  // Old but finished.
  { id: 'phase2_done', processor: 'BdlBoxscoresProcessor', date, status: 'success', startedAt: ago(240) },
];

async function plannedClearIds(runHistory: ReturnType<typeof fakeRunHistory>): Promise<string[]> {
  const ports = fakePorts({ runHistory });
  const facts = await gatherHealFacts(ports, config, date, now);
  const planned = planHeal(config, date, facts, now);
  if (!planned.ok) throw new Error(planned.reason.message);
  const clear = planned.value.plan?.steps.find((s) => s.action === 'clear_run_history');
  return (clear?.params.ids as string[] | undefined) ?? [];
}

describe('stuck-run cutoff', () => {
  it('the fixtures assume the 60-minute threshold of the example', () => {
    expect(config.runHistory.stuckAfterMinutes).toBe(60);
  });

  it('a heal plans to clear the stuck run and never the run still in progress', async () => {
    expect(await plannedClearIds(fakeRunHistory(records))).toEqual(['phase3_stuck']);
  });

  it('a heal with only an in-progress run has nothing to clear', async () => {
    const recent = records.filter((r) => r.id !== 'phase3_stuck');
    expect(await plannedClearIds(fakeRunHistory(recent))).toEqual([]);
  });

  it('the offline demo run_history (in memory) gives the same plan', async () => {
    const f = config.runHistory.fields;
    const docs = records.map((r) => ({
      id: r.id,
      data: {
        [f.processor]: r.processor,
        [f.date]: r.date,
        [f.status]: r.status,
        [f.startedAt]: new Date(r.startedAt!),
      },
    }));
    expect(await plannedClearIds(createMemoryRunHistory(() => docs, config.runHistory))).toEqual([
      'phase3_stuck',
    ]);
  });
});
