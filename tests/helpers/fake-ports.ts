/**
 * In-memory ports for pure unit tests of the domain and views. End-to-end tests use the
 * sandbox and the emulators instead.
 */
import type { IsoDate, RunHistoryPort, RunRecord, ServiceState } from '../../src/domain/ports.js';
import { ok, type Probe } from '../../src/domain/result.js';
import type { StatusPorts } from '../../src/domain/status.js';

export function healthyService(name: string): ServiceState {
  const rev = `${name}-00010-abc`;
  return {
    name,
    latestCreatedRevision: rev,
    latestReadyRevision: rev,
    traffic: [{ latest: true, percent: 100 }],
    ready: { state: 'true' },
    servingShares: [{ revision: rev, percent: 100 }],
  };
}

/** Orchestrators' trigger topics of the example config, so functions read as healthy. */
const exampleTopics: Record<string, string> = {
  'phase2-to-phase3-orchestrator': 'nba-phase2-raw-complete',
  'phase3-to-phase4-orchestrator': 'nba-phase3-analytics-complete',
  'phase4-to-phase5-orchestrator': 'nba-phase4-precompute-complete',
  'phase5-to-phase6-orchestrator': 'nba-phase5-predictions-complete',
};

/**
 * run_history over `records`, honouring the cutoff as the Firestore adapter does: a stuck run is
 * one in the running status that started before `startedBefore` (a run without a start time is
 * never stuck). A fake that ignored the cutoff would let a planner's wrong cutoff pass.
 */
export function fakeRunHistory(records: RunRecord[] = [], runningStatus = 'running'): RunHistoryPort {
  return {
    runsForDate: async (date) => ok(records.filter((r) => r.date === date)),
    stuckRuns: async (startedBefore) =>
      ok(
        records.filter(
          (r) =>
            r.status === runningStatus &&
            r.startedAt !== undefined &&
            Date.parse(r.startedAt) < startedBefore.getTime(),
        ),
      ),
  };
}

export function fakePorts(overrides: Partial<StatusPorts> = {}): StatusPorts {
  const base: StatusPorts = {
    cloudRun: {
      getService: async (name) => ok(healthyService(name)),
      listRevisions: async () => ok([]),
    },
    functions: {
      getFunction: async (name) =>
        ok({
          name,
          state: 'ACTIVE',
          revision: `${name}-00001-abc`,
          stateMessages: [],
          ...(exampleTopics[name] ? { triggerTopic: exampleTopics[name] } : {}),
        }),
    },
    scheduler: {
      getJob: async (name) =>
        ok({ name, state: 'ENABLED', schedule: '45 12 * * *', timeZone: 'America/New_York' }),
    },
    dataChecks: { scalar: async (_sql: string, _date: IsoDate) => ok(7) },
    runHistory: fakeRunHistory(),
    logs: { errorsSince: async () => ok([]) },
    monitoring: {
      serverErrorShare: async (services) => ok(Object.fromEntries(services.map((s) => [s, 0]))),
      deadLetterBacklog: async (subs) => ok(Object.fromEntries(subs.map((s) => [s, 0]))),
      deadLetterTrend: async () => ok({}),
    },
    jobs: { listExecutions: async () => ok([]) },
    tables: { getTable: async (name) => ok({ name, lastModifiedTime: new Date().toISOString() }) },
  };
  return { ...base, ...overrides };
}

/** A probe that never settles: an API that hangs. */
export const never = <T>(): Promise<Probe<T>> => new Promise(() => {});
