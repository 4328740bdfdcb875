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
 * Google serves its APIs (and Private Service Connect endpoints) over HTTPS only: a plain
 * `http://` endpoint is a local stand-in such as a sandbox started separately, and gets no
 * credentials (none may exist, and none should travel in clear text).
 */
export function isPlainHttp(endpoint: string | undefined): boolean {
  return endpoint?.startsWith('http://') ?? false;
}

/**
 * Options pointing a gax client at `endpoint` (e.g. the sandbox's `http://127.0.0.1:PORT`),
 * on the REST transport. `port` must be passed on its own or the client dials 443.
 * With `offline` or a plain-HTTP endpoint, a pass-through auth client keeps it from probing
 * the metadata server and from looking for credentials.
 */
export function gaxEndpoint(endpoint: string, offline: boolean): EndpointOptions {
  const u = new URL(endpoint);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return {
    apiEndpoint: u.hostname,
    port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443,
    protocol,
    fallback: true,
    ...(offline || protocol === 'http' ? { authClient: new googleAuthLibrary.PassThroughClient() } : {}),
  };
}

export function passThroughAuth(): InstanceType<typeof googleAuthLibrary.PassThroughClient> {
  return new googleAuthLibrary.PassThroughClient();
}
