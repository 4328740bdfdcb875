/**
 * Options shared by the gax-based clients (Cloud Run, Functions, Scheduler, Logging, Monitoring).
 * Built only by the composition root; adapters receive ready clients.
 */
import { googleAuthLibrary } from 'google-gax';

export interface EndpointOptions {
  apiEndpoint: string;
  port: number;
  protocol: 'http' | 'https';
  fallback: true;
  authClient?: InstanceType<typeof googleAuthLibrary.PassThroughClient>;
}

/**
 * Options pointing a gax client at `endpoint` (e.g. the sandbox's `http://127.0.0.1:PORT`),
 * on the REST transport. `port` must be passed on its own or the client dials 443.
 * With `offline`, a pass-through auth client keeps it from probing the metadata server.
 */
export function gaxEndpoint(endpoint: string, offline: boolean): EndpointOptions {
  const u = new URL(endpoint);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return {
    apiEndpoint: u.hostname,
    port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443,
    protocol,
    fallback: true,
    ...(offline ? { authClient: new googleAuthLibrary.PassThroughClient() } : {}),
  };
}

export function passThroughAuth(): InstanceType<typeof googleAuthLibrary.PassThroughClient> {
  return new googleAuthLibrary.PassThroughClient();
}
