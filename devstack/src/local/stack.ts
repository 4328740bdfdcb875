/**
 * The local stand-ins for Google: the emulators (when gcloud is there) and the sandbox,
 * with the pipeline config's endpoints pointed at the sandbox. Used by `SANDBOX=1`, the
 * offline demo, the separate `npm run sandbox`, and the tests.
 */

import type { GoogleOverrides } from '../../../src/app.js';
import type { PipelineConfig } from '../../../src/config.js';
import { firestoreClient } from '../../../src/gcp/run-history.js';
import { pubsubClient } from '../../../src/gcp/triggers.js';
import type { Logger } from '../../../src/log.js';
import { createMemoryRunHistory } from '../../../src/store/memory-run-history.js';
import { seedRunHistory } from '../sandbox/firestore-seed.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';
import { wirePubSubPush } from '../sandbox/processors.js';
import type { ScenarioName } from '../sandbox/scenarios.js';
import type { TimelineTiming } from '../sandbox/timeline.js';
import { gcloudAvailable, type RunningEmulators, startEmulators } from './emulators.js';

export interface LocalStack {
  sandbox: Sandbox;
  emulators?: RunningEmulators;
  /** The config with every Google endpoint at the sandbox. */
  config: PipelineConfig;
  /** Ports to use instead of the real clients' (run_history in memory when there is no emulator). */
  overrides: GoogleOverrides;
  stop(): Promise<void>;
}

export function pointAt(config: PipelineConfig, url: string): PipelineConfig {
  return {
    ...config,
    endpoints: {
      cloudRun: url,
      functions: url,
      scheduler: url,
      logging: url,
      monitoring: url,
      bigquery: url,
    },
  };
}

export async function startLocalStack(opts: {
  config: PipelineConfig;
  scenario: ScenarioName;
  log: Logger;
  /** Start emulators; default: when gcloud is installed and no emulator host is set already. */
  emulators?: boolean;
  /** When a scenario's timeline moves on by itself (default: only when stepped). */
  timeline?: TimelineTiming;
}): Promise<LocalStack> {
  const { config, log } = opts;
  let emulators: RunningEmulators | undefined;
  const haveHost = Boolean(process.env.FIRESTORE_EMULATOR_HOST);
  if (!haveHost && (opts.emulators ?? gcloudAvailable())) {
    emulators = await startEmulators();
    if (emulators.firestoreHost) process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
    if (emulators.pubsubHost) process.env.PUBSUB_EMULATOR_HOST = emulators.pubsubHost;
    log.info('emulators started', { firestore: emulators.firestoreHost, pubsub: emulators.pubsubHost });
  }
  const useFirestore = Boolean(process.env.FIRESTORE_EMULATOR_HOST);
  if (!useFirestore) {
    log.warn('no Firestore emulator (gcloud not found): run_history and the bot state are kept in memory');
  }
  const db = useFirestore ? firestoreClient(config.project, true) : undefined;
  const sandbox = await startSandbox({
    config,
    scenario: opts.scenario,
    ...(opts.timeline ? { timeline: opts.timeline } : {}),
    onScenario: async (state) => {
      if (db) await seedRunHistory(db, config.runHistory.collection, state.runHistory);
    },
  });
  const pubsub = process.env.PUBSUB_EMULATOR_HOST ? pubsubClient(config.project, true) : undefined;
  if (pubsub) await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
  const overrides: GoogleOverrides = db
    ? {}
    : { runHistory: createMemoryRunHistory(() => sandbox.state.runHistory, config.runHistory) };
  return {
    sandbox,
    ...(emulators ? { emulators } : {}),
    config: pointAt(config, sandbox.url),
    overrides,
    async stop() {
      await sandbox.close();
      await db?.terminate();
      await pubsub?.close();
      await emulators?.stop();
    },
  };
}
