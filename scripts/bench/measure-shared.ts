/**
 * (c) One request per component (issue 13 item 4): the Google requests 50 concurrent
 * `/pipeline status` cost, per port, counted where they arrive: the sandbox counts its HTTP
 * requests by the port that made them (Cloud Run services apart from Cloud Run Jobs, BigQuery
 * queries apart from tables.get), and the bot's probe counts its Firestore RunQuery calls on
 * run_history. Also how many BigQuery jobs.query requests carried both timeouts.
 */
import { componentsOf } from '../../src/config.js';
import { functionNames, serviceNames } from '../../src/domain/status.js';
import { SHARED_REQUESTS } from './common.js';
import { distinctQueries, PORT_COUNT, PORT_NAMES, type PortName } from './measure-report.js';
import { type Bot, burst, type Rig } from './rig.js';
import type { SandboxCounts } from './stand-ins.js';

export interface SharedResult {
  components: Record<PortName, number>;
  requests: Record<PortName, number>;
  /** Requests one report makes, from a single report measured just before. */
  oneReport: Record<PortName, number>;
  queries: SandboxCounts['queries'];
  acked: number;
  refused: number;
}

export function componentCounts(rig: Rig): Record<PortName, number> {
  const { config } = rig;
  const dlqs = componentsOf(config, 'deadLetter').length;
  return {
    cloudRun: serviceNames(config).length,
    functions: functionNames(config).length,
    scheduler: componentsOf(config, 'schedulerJob').length,
    // A component is a distinct query: checks sharing an expected query run it once per report.
    dataChecks: distinctQueries(config).length,
    jobs: componentsOf(config, 'job').length,
    tables: componentsOf(config, 'table').length,
    // Stuck runs, and the date's runs.
    runHistory: 2,
    // One read for every service's and function's errors.
    logs: 1,
    // The 5xx share, and the dead-letter backlog when there are dead-letter subscriptions.
    monitoring: 1 + (dlqs > 0 ? 1 : 0),
  };
}

async function requestsByPort(
  rig: Rig,
  bot: Bot,
): Promise<{ byPort: Record<PortName, number>; counts: SandboxCounts }> {
  const counts = await rig.counts();
  const rpcs = await bot.process.probe<{ runHistoryQueries: number }>({ probe: 'rpcs' });
  const byPort = Object.fromEntries(
    PORT_NAMES.map((p) => {
      const counted = PORT_COUNT[p];
      return [p, counted ? (counts.byPort[counted] ?? 0) : rpcs.runHistoryQueries];
    }),
  ) as Record<PortName, number>;
  return { byPort, counts };
}

async function resetCounters(rig: Rig, bot: Bot): Promise<void> {
  await rig.standIns.call({ op: 'resetCounts' });
  await bot.process.probe({ probe: 'rpc-reset' });
}

export async function measureShared(rig: Rig, bot: Bot): Promise<SharedResult> {
  // Dates not asked before, so neither burst finds a cached report.
  await resetCounters(rig, bot);
  await burst(rig, bot, ['/pipeline status 2026-01-03']);
  const oneReport = (await requestsByPort(rig, bot)).byPort;

  await resetCounters(rig, bot);
  const refusedBefore = rig.responses.refused;
  const sent = await burst(
    rig,
    bot,
    Array.from({ length: SHARED_REQUESTS }, () => '/pipeline status 2026-01-04'),
  );
  const { byPort, counts } = await requestsByPort(rig, bot);
  return {
    components: componentCounts(rig),
    requests: byPort,
    oneReport,
    queries: counts.queries,
    acked: sent.filter((s) => s.status === 200).length,
    refused: rig.responses.refused - refusedBefore,
  };
}
