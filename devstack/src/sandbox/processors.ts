/**
 * The processors' own HTTP endpoints for the sandbox, at `${url}/_svc/<service>/<path>` (each
 * Cloud Run service's `uri`): a POST with an ID token starts the phase for the date in its body,
 * which fills in after a short delay, as a real processor run would. Also the Pub/Sub push
 * endpoint `/_svc/<service>/_pubsub`, and `wirePubSubPush` to point the Pub/Sub emulator at it.
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { PipelineConfig } from '../../../src/config.js';
import { phaseMarkers } from './markers.js';
import { completePhaseData } from './scenarios.js';
import {
  googleError,
  type Route,
  type RouteModule,
  type SandboxContext,
  type SandboxReply,
  type SandboxRequest,
} from './server.js';
import type { ProcessorCall, SandboxState } from './state.js';

export interface ProcessorOptions {
  /** How long after accepting a trigger the phase's data appears. Default 150 ms. */
  delayMs?: number;
}

export const DEFAULT_PROCESSOR_DELAY_MS = 150;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The first string value (depth first, in key order) that is a YYYY-MM-DD date. */
export function firstDate(value: unknown): string | undefined {
  if (typeof value === 'string') return DATE.test(value) ? value : undefined;
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      const found = firstDate(v);
      if (found) return found;
    }
  }
  return undefined;
}

/** The `aud` of a JWT-shaped token, or undefined when it is not one. Signatures are not checked. */
export function tokenAudience(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { aud?: unknown };
    return typeof payload.aud === 'string' ? payload.aud : undefined;
  } catch {
    return undefined;
  }
}

/** Pub/Sub's push body (the emulator sends both camelCase and snake_case ids). */
interface PushBody {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string };
  subscription?: string;
}

function decodePush(body: unknown): unknown {
  const data = (body as PushBody | undefined)?.message?.data;
  if (typeof data !== 'string') return undefined;
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function processorRoutesWith(options: ProcessorOptions = {}): RouteModule {
  const delayMs = options.delayMs ?? DEFAULT_PROCESSOR_DELAY_MS;

  return (ctx: SandboxContext): Route[] => {
    const phaseOf = (service: string) => ctx.config.phases.find((p) => p.service === service);

    const record = (state: SandboxState, call: Omit<ProcessorCall, 'at'>): void => {
      state.processorCalls.push({ at: ctx.now(), ...call });
    };

    /**
     * Processors honour an idempotency key as a real one should: the first trigger with a key
     * runs the phase, a repeat (a resumed step, a retried publish) is answered but runs nothing.
     */
    const seen = (state: SandboxState, service: string, key: string | undefined): boolean =>
      key !== undefined &&
      state.processorCalls.some(
        (c) => c.service === service && c.idempotencyKey === key && c.status < 300 && !c.duplicate,
      );

    /** Fill the phase's data later, into the state the trigger arrived in (not a newer scenario). */
    const completeLater = (state: SandboxState, phase: string, date: string): void => {
      const timer = setTimeout(() => {
        const at = ctx.now();
        completePhaseData(state, phase, date, at);
        // The lines a run logs as it ends (what /pipeline trace follows), as a real processor would.
        state.logs.push(...phaseMarkers(state, ctx.config, phase, date, at));
      }, delayMs);
      timer.unref();
    };

    const pushRoute: Route = {
      api: 'processors',
      method: 'POST',
      pattern: /^\/_svc\/([a-z][-a-z0-9]*)\/_pubsub$/,
      handle(req: SandboxRequest, m: RegExpExecArray): SandboxReply {
        const state = ctx.state;
        const service = m[1]!;
        if (!state.services.has(service)) return googleError(404, `no service ${service}`);
        const body = decodePush(req.body);
        const phase = phaseOf(service);
        const date = firstDate(body);
        const key = (req.body as PushBody | undefined)?.message?.attributes?.idempotencyKey;
        const duplicate = seen(state, service, key);
        // Acked even when unusable: a non-2xx answer makes Pub/Sub redeliver it forever.
        record(state, {
          service,
          method: 'POST',
          path: '/_pubsub',
          body,
          authorized: true,
          status: 204,
          ...(key === undefined ? {} : { idempotencyKey: key }),
          ...(duplicate ? { duplicate } : {}),
        });
        if (phase && date && !duplicate) completeLater(state, phase.id, date);
        return { status: 204 };
      },
    };

    const httpRoute: Route = {
      api: 'processors',
      method: 'POST',
      pattern: /^\/_svc\/([a-z][-a-z0-9]*)(\/.*)?$/,
      handle(req: SandboxRequest, m: RegExpExecArray): SandboxReply {
        const state = ctx.state;
        const service = m[1]!;
        const path = m[2] ?? '/';
        const svc = state.services.get(service);
        if (!svc) return googleError(404, `no service ${service}`);
        const header = req.headers.authorization;
        const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
        // Cloud Run checks the ID token's audience against the service URL: so does the sandbox.
        const audience = token ? tokenAudience(token) : undefined;
        if (!token || audience !== svc.uri) {
          record(state, {
            service,
            method: req.method,
            path,
            body: req.body,
            authorized: false,
            status: 401,
          });
          const why = !token
            ? 'no bearer token'
            : audience === undefined
              ? 'the bearer token is not a JWT with an aud claim'
              : `the token's audience ${audience} is not ${svc.uri}`;
          return googleError(401, `unauthenticated: ${why}`);
        }
        const phase = phaseOf(service);
        const date = firstDate(req.body);
        if (!phase || !date) {
          record(state, { service, method: req.method, path, body: req.body, authorized: true, status: 400 });
          return googleError(
            400,
            phase ? 'no YYYY-MM-DD date in the body' : `${service} runs no configured phase`,
          );
        }
        const keyHeader = req.headers['idempotency-key'];
        const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
        const duplicate = seen(state, service, key);
        record(state, {
          service,
          method: req.method,
          path,
          body: req.body,
          authorized: true,
          status: 200,
          ...(key === undefined ? {} : { idempotencyKey: key }),
          ...(duplicate ? { duplicate } : {}),
        });
        if (duplicate) return { body: { status: 'already_started', phase: phase.id, date, service } };
        completeLater(state, phase.id, date);
        return { body: { status: 'started', phase: phase.id, date, service } };
      },
    };

    // The push route first: the HTTP route's pattern matches its path too. Triggers may be PUT.
    return [pushRoute, httpRoute, { ...httpRoute, method: 'PUT' }];
  };
}

export const processorRoutes: RouteModule = processorRoutesWith();

export interface PushWiring {
  topic: string;
  /** Short subscription name. */
  subscription: string;
  endpoint: string;
}

/** The push subscription name for a phase's trigger topic. */
export const pushSubscriptionName = (service: string): string => `sandbox-push-${service}`;

const ALREADY_EXISTS = 6;

/**
 * For every phase triggered by Pub/Sub, create its topic and a push subscription to the
 * sandbox's push endpoint for the phase's service (each only if missing; an existing
 * subscription is re-pointed, e.g. at a sandbox restarted on another port).
 * Checked: the emulator pushes to plain-HTTP 127.0.0.1 endpoints, without an Authorization
 * header, and redelivers after a non-2xx answer (about 1 s later).
 */
export async function wirePubSubPush(opts: {
  pubsub: PubSub;
  config: PipelineConfig;
  sandboxUrl: string;
}): Promise<PushWiring[]> {
  const { pubsub, config, sandboxUrl } = opts;
  const wired: PushWiring[] = [];
  for (const phase of config.phases) {
    const trigger = phase.trigger;
    if (trigger?.type !== 'pubsub') continue;
    const endpoint = `${sandboxUrl}/_svc/${phase.service}/_pubsub`;
    const topic = pubsub.topic(trigger.topic);
    const [topicExists] = await topic.exists();
    if (!topicExists) await ignoreExisting(topic.create());
    const name = pushSubscriptionName(phase.service);
    const sub = topic.subscription(name);
    const [subExists] = await sub.exists();
    if (!subExists) {
      await ignoreExisting(topic.createSubscription(name, { pushConfig: { pushEndpoint: endpoint } }));
    }
    const [meta] = await sub.getMetadata();
    if (meta.pushConfig?.pushEndpoint !== endpoint) await sub.modifyPushConfig({ pushEndpoint: endpoint });
    wired.push({ topic: trigger.topic, subscription: name, endpoint });
  }
  return wired;
}

async function ignoreExisting(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    // Another process created it between our check and the create.
    if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
  }
}
