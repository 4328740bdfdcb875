/**
 * Clients for the emulators started by tests/global-setup.ts. Each call gets its own project id,
 * so test files (and tests) never see each other's documents, topics or subscriptions.
 *
 * Auth, checked against @google-cloud/firestore 9 and the emulator:
 * - With FIRESTORE_EMULATOR_HOST (or `host` + `ssl: false`) the library uses plaintext gRPC and
 *   sends `Authorization: Bearer owner`; no credentials are needed for the calls themselves.
 * - Without an auth option, gax still asks google-auth-library for the universe domain before
 *   the first call, which probes the metadata server: a MetadataLookupWarning and 0.5–1.5 s lost.
 *   A pass-through `authClient` avoids it (so does `universeDomain: 'googleapis.com'`).
 * - `preferRest: true` needs an `authClient`; without one the first call rejects with "Could not
 *   load the default credentials" and the same error escapes as an unhandled rejection.
 * - The env var wins over `host` in settings: to aim a client elsewhere, change the env var
 *   around the constructor (it is read there, not per call).
 * Pub/Sub 6.3: with `apiEndpoint` not under googleapis.com the client switches to insecure gRPC
 * itself (emulator mode); the same metadata probe happens unless an `authClient` is given.
 */
import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, v1 } from '@google-cloud/pubsub';
import { googleAuthLibrary, grpc } from 'google-gax';
import { inject } from 'vitest';

/** `test-` and 12 hex digits: a valid, unique project id. */
export function testProjectId(): string {
  return `test-${randomBytes(6).toString('hex')}`;
}

function passThrough() {
  return new googleAuthLibrary.PassThroughClient();
}

function splitHost(host: string): { host: string; port: number } {
  const i = host.lastIndexOf(':');
  return { host: host.slice(0, i), port: Number(host.slice(i + 1)) };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set: are the tests running with tests/global-setup.ts?`);
  return value;
}

/** The emulator host from global setup, falling back to the env var it also sets. */
export function firestoreHost(): string {
  return required(inject('firestoreHost') || process.env.FIRESTORE_EMULATOR_HOST, 'FIRESTORE_EMULATOR_HOST');
}

export function pubsubHost(): string {
  return required(inject('pubsubHost') || process.env.PUBSUB_EMULATOR_HOST, 'PUBSUB_EMULATOR_HOST');
}

/** A Firestore client on the emulator with a project of its own. Call `terminate()` when done. */
export function testFirestore(projectId = testProjectId()): Firestore {
  return new Firestore({ projectId, host: firestoreHost(), ssl: false, authClient: passThrough() });
}

/** A Pub/Sub client on the emulator with a project of its own. Call `close()` when done. */
export function testPubSub(projectId = testProjectId()): PubSub {
  return new PubSub({ projectId, apiEndpoint: pubsubHost(), emulatorMode: true, authClient: passThrough() });
}

/** The low-level subscriber (synchronous pull) on the emulator. Call `close()` when done. */
export function testSubscriberClient(): InstanceType<typeof v1.SubscriberClient> {
  const { host, port } = splitHost(pubsubHost());
  return new v1.SubscriberClient({
    servicePath: host,
    port,
    sslCreds: grpc.credentials.createInsecure(),
    authClient: passThrough(),
  });
}
