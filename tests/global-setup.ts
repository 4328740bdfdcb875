/**
 * Starts the Firestore and Pub/Sub emulators once for the whole run and stops them afterwards.
 * Test files reach them two ways: the env vars (forked workers are spawned after this runs and
 * inherit process.env; the client libraries read them) and `inject('firestoreHost')`.
 */
import type { TestProject } from 'vitest/node';
import { startEmulators } from '../devstack/src/local/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    firestoreHost: string;
    pubsubHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const emulators = await startEmulators();
  const firestoreHost = emulators.firestoreHost!;
  const pubsubHost = emulators.pubsubHost!;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  project.provide('firestoreHost', firestoreHost);
  project.provide('pubsubHost', pubsubHost);
  if (process.env.EMULATORS_VERBOSE) {
    console.log(`emulators ready in ${Date.now() - started} ms (logs: ${emulators.logDir})`);
  }
  return async () => {
    await emulators.stop();
  };
}
