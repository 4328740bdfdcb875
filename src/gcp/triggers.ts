/**
 * Starting pipeline phases: an authenticated HTTP request to a processor's Cloud Run URL, or a
 * Pub/Sub message. Both run under a deadline and neither is ever retried here: a lost answer may
 * mean the phase did start. Each carries the step's idempotency key (`Idempotency-Key` header,
 * `idempotencyKey` attribute) so a processor can ignore a second attempt of the same step.
 */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { GoogleAuth, type IdTokenClient } from 'google-auth-library';
import type { CloudRunPort, HttpTrigger, PubSubTrigger, TriggerPort } from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { classify, guarded } from './call.js';
import { passThroughAuth } from './client-options.js';

export interface TriggerDeps {
  /** To read each service's URL. */
  cloudRun: CloudRunPort;
  /** An ID token for `audience` (the service URL), as Cloud Run's IAM check wants. */
  idTokens: (audience: string) => Promise<string>;
  pubsub: PubSub;
  project: string;
  /** Deadline of one trigger (token, request and answer). */
  deadlineMs: number;
  fetch?: typeof fetch;
  /** How long a service URL is reused; default 60 s. */
  uriCacheMs?: number;
}

const BODY_PREVIEW = 200;

/** Never echo bearer material that a server might reflect. */
const scrub = (text: string): string => text.replace(/Bearer\s+\S+/gi, 'Bearer …');

function httpFailureKind(status: number) {
  if (status === 401 || status === 403) return 'denied' as const;
  if (status === 404) return 'not_found' as const;
  if (status === 408 || status === 504) return 'timeout' as const;
  if (status === 400 || status === 409 || status === 422) return 'invalid' as const;
  if (status === 429 || status >= 500) return 'unavailable' as const;
  return 'error' as const;
}

export function createTriggerAdapter(deps: TriggerDeps): TriggerPort {
  const { cloudRun, idTokens, pubsub, project, deadlineMs } = deps;
  const doFetch = deps.fetch ?? fetch;
  const uriCacheMs = deps.uriCacheMs ?? 60_000;
  const uris = new Map<string, { uri: string; until: number }>();
  const topics = new Map<string, Topic>();

  async function serviceUri(service: string): Promise<Probe<string>> {
    const cached = uris.get(service);
    if (cached && cached.until > Date.now()) return ok(cached.uri);
    const svc = await cloudRun.getService(service);
    if (!svc.ok) return fail(svc.error.kind, `cannot read the URL of ${service}: ${svc.error.message}`);
    if (!svc.value.uri) return fail('not_found', `${service} has no URL (not deployed or not ready)`);
    const uri = svc.value.uri.replace(/\/+$/, '');
    uris.set(service, { uri, until: Date.now() + uriCacheMs });
    return ok(uri);
  }

  const lostAnswer = (what: string) =>
    `no answer within ${Math.round(deadlineMs / 100) / 10} s; ${what} may still have started: check before triggering again`;

  async function http(service: string, t: HttpTrigger, key?: string): Promise<Probe<{ detail: string }>> {
    const uri = await serviceUri(service);
    if (!uri.ok) return uri;
    const what = `${t.method} ${service}${t.path}`;
    const answer = await guarded({ deadlineMs, retry: false }, async (signal) => {
      let token: string;
      try {
        token = await idTokens(uri.value);
      } catch (error) {
        throw Object.assign(new Error(`no ID token for ${uri.value}: ${classify(error).message}`), {
          code: 403,
        });
      }
      const res = await doFetch(`${uri.value}${t.path}`, {
        method: t.method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: JSON.stringify(t.body),
        signal,
      });
      return { status: res.status, text: await res.text() };
    });
    if (!answer.ok) {
      return answer.error.kind === 'timeout'
        ? fail('timeout', `${what}: ${lostAnswer('the phase')}`)
        : answer;
    }
    const { status, text } = answer.value;
    const preview = scrub(text.slice(0, BODY_PREVIEW).trim());
    if (status < 200 || status >= 300) {
      return fail(httpFailureKind(status), `${what} answered ${status}${preview ? `: ${preview}` : ''}`);
    }
    return ok({ detail: `${what} answered ${status}` });
  }

  async function publish(t: PubSubTrigger, key?: string): Promise<Probe<{ detail: string }>> {
    let topic = topics.get(t.topic);
    if (!topic) {
      // The full name: the pipeline's project, whatever project the client defaults to.
      topic = pubsub.topic(`projects/${project}/topics/${t.topic}`);
      topics.set(t.topic, topic);
    }
    const target = topic;
    const id = await guarded({ deadlineMs, retry: false }, () =>
      target.publishMessage({ json: t.message, ...(key ? { attributes: { idempotencyKey: key } } : {}) }),
    );
    if (!id.ok) {
      if (id.error.kind === 'timeout')
        return fail('timeout', `publish to ${t.topic}: ${lostAnswer('the message')}`);
      if (id.error.kind === 'not_found') return fail('not_found', `topic ${t.topic} does not exist`);
      return fail(id.error.kind, `publish to ${t.topic}: ${id.error.message}`);
    }
    return ok({ detail: `published to ${t.topic} (message ${id.value})` });
  }

  return {
    trigger(step) {
      return step.trigger.type === 'http'
        ? http(step.service, step.trigger, step.idempotencyKey)
        : publish(step.trigger, step.idempotencyKey);
    },
  };
}

/**
 * A fixed, unsigned, JWT-shaped token whose `aud` is `audience`: enough for the sandbox, which
 * checks the audience like Cloud Run but not the signature. Never a fake service-account key:
 * google-auth-library would still call the real token endpoint with one.
 */
export function offlineIdToken(audience: string): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = part({ alg: 'none', typ: 'JWT' });
  const payload = part({ iss: 'offline', sub: 'pipeline-chatops-offline', aud: audience });
  return `${header}.${payload}.${Buffer.from('unsigned').toString('base64url')}`;
}

/**
 * ID tokens for Cloud Run URLs. Production: one IdTokenClient per audience from the
 * application default credentials (a service account, or the metadata server on Cloud Run;
 * plain user credentials cannot mint ID tokens and fail here). Its `getRequestHeaders()` caches
 * the token until shortly before `exp`; `idTokenProvider.fetchIdToken()` would mint a new one
 * every call. `auth` is injectable for tests.
 */
export function idTokenSource(offline: boolean, auth?: GoogleAuth): (audience: string) => Promise<string> {
  if (offline) return async (audience) => offlineIdToken(audience);
  const googleAuth = auth ?? new GoogleAuth();
  const clients = new Map<string, Promise<IdTokenClient>>();
  return async (audience) => {
    let client = clients.get(audience);
    if (!client) {
      client = googleAuth.getIdTokenClient(audience);
      clients.set(audience, client);
      // A failed lookup (no credentials yet) is not cached.
      client.catch(() => clients.delete(audience));
    }
    const headers = await (await client).getRequestHeaders();
    const token = /^Bearer\s+(\S+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    if (!token) throw new Error(`no ID token for ${audience}`);
    return token;
  };
}

/**
 * A Pub/Sub client for `projectId`. With PUBSUB_EMULATOR_HOST set the client talks plaintext
 * gRPC to the emulator; a pass-through auth client keeps gax from probing the metadata server.
 */
export function pubsubClient(projectId: string, offline: boolean): PubSub {
  const emulator = process.env.PUBSUB_EMULATOR_HOST;
  if (offline && !emulator) {
    throw new Error(
      'offline mode needs the Pub/Sub emulator: set PUBSUB_EMULATOR_HOST (e.g. 127.0.0.1:8085), see devstack/src/local/emulators.ts',
    );
  }
  return new PubSub({
    projectId,
    ...(emulator ? { apiEndpoint: emulator, emulatorMode: true } : {}),
    ...(offline || emulator ? { authClient: passThroughAuth() } : {}),
  });
}
