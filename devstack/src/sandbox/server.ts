/**
 * The sandbox: one HTTP server on 127.0.0.1 that speaks the REST shapes of the Google APIs
 * that have no emulator (Cloud Run Admin v2, Cloud Functions v2, Cloud Scheduler v1, Cloud
 * Logging v2, Cloud Monitoring v3, BigQuery v2) and the processors' own HTTP endpoints, for a
 * simulated pipeline. Each API lives in its own module returning routes; this file routes,
 * injects faults, and serves the control API under `/_sandbox/`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PipelineConfig } from '../../../src/config.js';
import { buildScenario, type ScenarioName, scenarioNames } from './scenarios.js';
import { type ApiName, apiNames, type Fault, type SandboxState } from './state.js';
import {
  advanceTimeline,
  configureTimeline,
  describeTimeline,
  stepTimeline,
  type TimelineTiming,
} from './timeline.js';

export interface SandboxRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or undefined. */
  body: unknown;
}

export interface SandboxReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  api: ApiName;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  pattern: RegExp;
  handle(req: SandboxRequest, match: RegExpExecArray): SandboxReply | Promise<SandboxReply>;
}

/** What an API module receives: the live state (replaced on scenario change) and helpers. */
export interface SandboxContext {
  readonly state: SandboxState;
  readonly config: PipelineConfig;
  /** This server's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  now(): Date;
}

export type RouteModule = (ctx: SandboxContext) => Route[];

export interface SandboxOptions {
  config: PipelineConfig;
  scenario?: ScenarioName;
  port?: number;
  now?: () => Date;
  /** API modules (`src/sandbox/index.ts` passes every module the sandbox ships). */
  modules: RouteModule[];
  /** Called after a scenario is (re)built, e.g. to seed the Firestore emulator. */
  onScenario?: (state: SandboxState) => Promise<void> | void;
  /**
   * When the stages of a scenario with a timeline (`incident`) begin by themselves; default
   * `manual`: only `POST /_sandbox/timeline` moves them. The demo passes `SANDBOX_TIMELINE`.
   */
  timeline?: TimelineTiming;
}

export interface Sandbox {
  url: string;
  port: number;
  readonly state: SandboxState;
  readonly config: PipelineConfig;
  /** Make one API slow, failing or silent. */
  setFault(api: ApiName, fault: Fault | undefined): void;
  clearFaults(): void;
  /** Rebuild the state from a scenario. */
  setScenario(name: ScenarioName): Promise<void>;
  /** Requests per API since start (or the last reset), for counting Google calls. */
  counts: Record<ApiName, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

/** A Google API error body: `{error: {code, message, status}}`; `status` defaults to the code's usual one. */
export function googleError(code: number, message: string, status?: string): SandboxReply {
  const statusNames: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ALREADY_EXISTS',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return {
    status: code,
    body: { error: { code, message, status: status ?? statusNames[code] ?? 'UNKNOWN' } },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: SandboxReply): void {
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
  res.end(body);
}

export async function startSandboxWith(options: SandboxOptions): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const build = (name: ScenarioName): SandboxState => {
    const built = buildScenario(name, options.config, now());
    if (built.timeline) configureTimeline(built.timeline, options.timeline ?? 'manual');
    return built;
  };
  let state = build(options.scenario ?? 'jan20');
  const faults = new Map<ApiName, Fault>();
  const counts = Object.fromEntries(apiNames.map((a) => [a, 0])) as Record<ApiName, number>;
  const hanging = new Set<ServerResponse>();
  let url = '';
  const ctx: SandboxContext = {
    get state() {
      return state;
    },
    config: options.config,
    get url() {
      return url;
    },
    now,
  };
  const modules = options.modules;
  let routes: Route[] = [];

  const fixUris = () => {
    for (const svc of state.services.values()) svc.uri = `${url}/_svc/${svc.name}`;
  };

  const control = async (req: SandboxRequest): Promise<SandboxReply> => {
    if (req.method === 'GET' && req.path === '/_sandbox/state') {
      return {
        body: {
          scenario: state.scenario,
          faults: Object.fromEntries(faults),
          counts,
          processorCalls: state.processorCalls,
          timeline: state.timeline ? describeTimeline(state.timeline, now()) : null,
        },
      };
    }
    if (req.method === 'GET' && req.path === '/_sandbox/timeline') {
      if (!state.timeline) return googleError(404, `scenario ${state.scenario} has no timeline`);
      return { body: { timeline: describeTimeline(state.timeline, now()) } };
    }
    if (req.method === 'POST' && req.path === '/_sandbox/timeline') {
      const stepped = stepTimeline(state, req.body, now());
      if (!stepped.ok) return googleError(stepped.code, stepped.message, stepped.status);
      return { body: { timeline: describeTimeline(stepped.timeline, now()) } };
    }
    if (req.method === 'POST' && req.path === '/_sandbox/scenario') {
      const name = (req.body as { name?: string } | undefined)?.name;
      if (!scenarioNames.includes(name as ScenarioName)) return googleError(400, `unknown scenario ${name}`);
      await sandbox.setScenario(name as ScenarioName);
      return { body: { scenario: state.scenario } };
    }
    if (req.method === 'POST' && req.path === '/_sandbox/faults') {
      const b = (req.body ?? {}) as { api?: string } & Fault;
      if (!apiNames.includes(b.api as ApiName)) return googleError(400, `unknown api ${b.api}`);
      const { api, ...fault } = b;
      sandbox.setFault(api as ApiName, Object.keys(fault).length > 0 ? fault : undefined);
      return { body: { faults: Object.fromEntries(faults) } };
    }
    if (req.method === 'DELETE' && req.path === '/_sandbox/faults') {
      sandbox.clearFaults();
      return { body: { faults: {} } };
    }
    return googleError(404, `no sandbox control ${req.method} ${req.path}`);
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const u = new URL(req.url ?? '/', 'http://sandbox');
      const request: SandboxRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: await readBody(req),
      };
      // A scenario's timeline moves on before anything reads the state, by the sandbox's clock.
      advanceTimeline(state, now());
      if (request.path.startsWith('/_sandbox/')) return send(res, await control(request));
      for (const route of routes) {
        if (route.method !== request.method) continue;
        route.pattern.lastIndex = 0;
        const match = route.pattern.exec(request.path);
        if (!match) continue;
        counts[route.api]++;
        const fault = faults.get(route.api);
        if (fault) {
          if (fault.times !== undefined) {
            fault.times--;
            if (fault.times <= 0) faults.delete(route.api);
          }
          if (fault.hang) {
            hanging.add(res);
            res.on('close', () => hanging.delete(res));
            return;
          }
          if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
          if (fault.status)
            return send(
              res,
              googleError(fault.status, fault.message ?? `sandbox fault injected into ${route.api}`),
            );
        }
        return send(res, await route.handle(request, match));
      }
      send(res, googleError(404, `sandbox: no route for ${request.method} ${request.path}`));
    } catch (error) {
      send(res, googleError(500, `sandbox error: ${(error as Error).message}`));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  routes = modules.flatMap((m) => m(ctx));
  fixUris();
  await options.onScenario?.(state);

  const sandbox: Sandbox = {
    url,
    port,
    get state() {
      return state;
    },
    config: options.config,
    counts,
    setFault(api, fault) {
      if (fault) faults.set(api, { ...fault });
      else faults.delete(api);
    },
    clearFaults() {
      faults.clear();
    },
    async setScenario(name) {
      state = build(name);
      fixUris();
      await options.onScenario?.(state);
    },
    resetCounts() {
      for (const a of apiNames) counts[a] = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sandbox;
}
