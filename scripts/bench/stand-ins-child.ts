/**
 * The stand-ins' process (forked by stand-ins.ts): the sandbox for the pipeline YAML given as
 * argv[2] and project argv[3], with its run_history seeded into the Firestore emulator at
 * FIRESTORE_EMULATOR_HOST, and the fake Slack. It counts every sandbox request by the bot's port
 * that made it and tells the parent about every response_url post.
 */
import { startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import { bigqueryRoutes } from '../../devstack/src/sandbox/bigquery.js';
import { cloudRunRoutes } from '../../devstack/src/sandbox/cloud-run.js';
import { seedRunHistory } from '../../devstack/src/sandbox/firestore-seed.js';
import { functionsRoutes } from '../../devstack/src/sandbox/functions.js';
import { modules, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loggingRoutes } from '../../devstack/src/sandbox/logging.js';
import { monitoringRoutes } from '../../devstack/src/sandbox/monitoring.js';
import { runJobsRoutes } from '../../devstack/src/sandbox/run-jobs.js';
import { schedulerRoutes } from '../../devstack/src/sandbox/scheduler.js';
import type { RouteModule } from '../../devstack/src/sandbox/server.js';
import { loadPipeline } from '../../src/config.js';
import { firestoreClient } from '../../src/gcp/run-history.js';
import type { CountedPort, ResponseEvent, Rpc, StandInsReady } from './stand-ins.js';

const [configFile = '', project = ''] = process.argv.slice(2);
const send = (m: unknown) => process.send?.(m);

const counts = new Map<CountedPort, number>();
const count = (port: CountedPort) => counts.set(port, (counts.get(port) ?? 0) + 1);
/** jobs.query requests (POST …/queries), and those carrying both a wait and a job timeout. */
const queries = { posted: 0, bothTimeouts: 0 };

/** Which port a module's routes serve; BigQuery's split by path (tables.get or a query). */
const portOf = new Map<RouteModule, (path: string) => CountedPort>([
  [cloudRunRoutes, () => 'cloudRun'],
  [runJobsRoutes, () => 'jobs'],
  [functionsRoutes, () => 'functions'],
  [schedulerRoutes, () => 'scheduler'],
  [bigqueryRoutes, (path) => (/\/datasets\/[^/]+\/tables\//.test(path) ? 'tables' : 'dataChecks')],
  [loggingRoutes, () => 'logs'],
  [monitoringRoutes, () => 'monitoring'],
]);

/** Every module of the sandbox, each route counting the requests it answers. */
const counted: RouteModule[] = modules.map((m) => (ctx) => {
  const which = portOf.get(m) ?? (() => 'processors' as const);
  return m(ctx).map((route) => ({
    ...route,
    handle(req, match) {
      const port = which(req.path);
      count(port);
      if (port === 'dataChecks' && req.method === 'POST' && /\/queries$/.test(req.path)) {
        queries.posted++;
        const body = req.body as { timeoutMs?: unknown; jobTimeoutMs?: unknown } | undefined;
        if (body?.timeoutMs !== undefined && body.jobTimeoutMs !== undefined) queries.bothTimeouts++;
      }
      return route.handle(req, match);
    },
  }));
});

async function main(): Promise<void> {
  const config = loadPipeline(configFile, project);
  const db = firestoreClient(config.project, true);
  const sandbox = await startSandbox({
    config,
    scenario: 'jan20',
    modules: counted,
    onScenario: (state) => seedRunHistory(db, config.runHistory.collection, state.runHistory),
  });
  const fake = await startFakeSlack();
  fake.on('call', (call) => {
    if (call.method !== 'response_url') return;
    const text = JSON.stringify(call.body);
    const event: ResponseEvent = {
      event: 'response',
      status: call.status,
      unanswered: (text.match(/no answer|API unavailable|error: /g) ?? []).length,
    };
    send(event);
  });
  const handle = async (rpc: Rpc): Promise<unknown> => {
    switch (rpc.op) {
      case 'setFault':
        sandbox.setFault(rpc.api, rpc.fault);
        return null;
      case 'clearFaults':
        sandbox.clearFaults();
        return null;
      case 'counts':
        return { byPort: Object.fromEntries(counts), queries: { ...queries } };
      case 'resetCounts':
        counts.clear();
        queries.posted = 0;
        queries.bothTimeouts = 0;
        return null;
      case 'responseUrls':
        return Array.from({ length: rpc.n }, () => ({
          responseUrl: fake.createResponseUrl({ channel: 'C0OPS', user: 'U0ALICE' }),
          triggerId: fake.issueTrigger('U0ALICE'),
        }));
      case 'resetFake':
        fake.reset();
        return null;
      case 'stop':
        await fake.close();
        await sandbox.close();
        await db.terminate();
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  process.on('message', (m: { id: number; rpc: Rpc }) => {
    handle(m.rpc).then(
      (result) => send({ id: m.id, result }),
      (error: unknown) => send({ id: m.id, error: String(error) }),
    );
  });
  // The parent went away without stopping us: go too.
  process.on('disconnect', () => process.exit(0));
  const ready: StandInsReady = { sandboxUrl: sandbox.url, slackApiUrl: fake.apiUrl, identity: fake.identity };
  send({ ready });
}

main().catch((error: unknown) => {
  process.stderr.write(`stand-ins failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
