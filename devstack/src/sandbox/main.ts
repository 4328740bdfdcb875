/**
 * `npm run sandbox`: the sandbox on its own, for a bot started separately whose YAML
 * `endpoints` point at it. Reads `PIPELINE_CONFIG` (default the example), `SANDBOX_SCENARIO`
 * (default `jan20`), `SANDBOX_TIMELINE` (default `auto`: an `incident` moves on by itself),
 * `SANDBOX_PORT` (default any free port) and `GOOGLE_CLOUD_PROJECT`.
 * run_history lives in the Firestore emulator: the one at `FIRESTORE_EMULATOR_HOST`, or one
 * started here when gcloud is installed. Prints its URL; stops on SIGTERM or SIGINT.
 */
import type { Firestore } from '@google-cloud/firestore';
import { ConfigError, loadPipeline } from '../../../src/config.js';
import { firestoreClient } from '../../../src/gcp/run-history.js';
import { gcloudAvailable, type RunningEmulators, startEmulators } from '../local/emulators.js';
import { seedRunHistory } from './firestore-seed.js';
import { startSandbox } from './index.js';
import { type ScenarioName, scenarioNames } from './scenarios.js';
import { parseTimelineSetting } from './timeline.js';

function fail(message: string): never {
  process.stderr.write(`Configuration error: ${message}\n`);
  process.exit(78); // EX_CONFIG
}

async function main(): Promise<void> {
  const file = process.env.PIPELINE_CONFIG || 'config/pipeline.example.yml';
  const scenario = process.env.SANDBOX_SCENARIO || 'jan20';
  if (!scenarioNames.includes(scenario as ScenarioName)) {
    fail(`SANDBOX_SCENARIO: one of ${scenarioNames.join(', ')}, got ${JSON.stringify(scenario)}`);
  }
  const timeline = parseTimelineSetting(process.env.SANDBOX_TIMELINE);
  if (!timeline.ok) fail(timeline.message);
  const portText = process.env.SANDBOX_PORT || '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`SANDBOX_PORT: a port number (0 for any free port), got ${JSON.stringify(portText)}`);
  }
  let config: ReturnType<typeof loadPipeline>;
  try {
    config = loadPipeline(file, process.env.GOOGLE_CLOUD_PROJECT || undefined);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  let emulators: RunningEmulators | undefined;
  if (!process.env.FIRESTORE_EMULATOR_HOST && gcloudAvailable()) {
    emulators = await startEmulators({ pubsub: false });
    if (emulators.firestoreHost) process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
  }
  const db: Firestore | undefined = process.env.FIRESTORE_EMULATOR_HOST
    ? firestoreClient(config.project, true)
    : undefined;
  const sandbox = await startSandbox({
    config,
    scenario: scenario as ScenarioName,
    port,
    timeline: timeline.value,
    onScenario: async (state) => {
      if (db) await seedRunHistory(db, config.runHistory.collection, state.runHistory);
    },
  });

  const out = [
    `Sandbox for project ${config.project} (scenario "${scenario}") at ${sandbox.url}`,
    `Point the bot at it: in its pipeline YAML set endpoints.{cloudRun,functions,scheduler,logging,monitoring,bigquery} to ${sandbox.url}`,
    db
      ? `run_history seeded in the Firestore emulator: FIRESTORE_EMULATOR_HOST=${process.env.FIRESTORE_EMULATOR_HOST}`
      : 'No Firestore emulator (gcloud not found): run_history is not served',
    `Control: GET ${sandbox.url}/_sandbox/state, POST ${sandbox.url}/_sandbox/faults {"api":"cloudRun","latencyMs":500}`,
    `Timeline (scenario incident): POST ${sandbox.url}/_sandbox/timeline {"to":"next"}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sandbox.close();
    await db?.terminate();
    await emulators?.stop();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
