/**
 * Cloud Run Admin API v2 for the sandbox: services and revisions (get, list), and traffic
 * changes through PATCH returning a long-running operation. Answers are proto3 JSON as the
 * real API sends them (tests/sandbox/schemas.test.ts checks them against the client's protos).
 */
import { randomUUID } from 'node:crypto';
import {
  checkLocation,
  type EnumEncoder,
  enumEncoder,
  googleStatus,
  listRoute,
  paginate,
  segments,
  stableId,
  stableUid,
} from './google-rest.js';
import {
  googleError,
  type Route,
  type RouteModule,
  type SandboxContext,
  type SandboxRequest,
} from './server.js';
import type { SimCondition, SimRevision, SimService, SimTrafficTarget } from './state.js';

// Enum numbers from google/cloud/run/v2 (condition.proto, traffic_target.proto) and google/api/launch_stage.proto.
/** Condition.state of google/cloud/run/v2/condition.proto (shared with the Jobs routes). */
export const conditionState = {
  STATE_UNSPECIFIED: 0,
  CONDITION_PENDING: 1,
  CONDITION_RECONCILING: 2,
  CONDITION_FAILED: 3,
  CONDITION_SUCCEEDED: 4,
} as const;
/** Condition.severity of google/cloud/run/v2/condition.proto. */
export const severity = { SEVERITY_UNSPECIFIED: 0, ERROR: 1, WARNING: 2, INFO: 3 } as const;
const commonReason: Readonly<Record<string, number>> = {
  UNKNOWN: 1,
  REVISION_FAILED: 3,
  PROGRESS_DEADLINE_EXCEEDED: 4,
  CONTAINER_MISSING: 6,
  CONTAINER_PERMISSION_DENIED: 7,
  CONTAINER_IMAGE_UNAUTHORIZED: 8,
  CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED: 9,
  ENCRYPTION_KEY_PERMISSION_DENIED: 10,
  ENCRYPTION_KEY_CHECK_FAILED: 11,
  SECRETS_ACCESS_CHECK_FAILED: 12,
  WAITING_FOR_OPERATION: 13,
  IMMEDIATE_RETRY: 14,
  POSTPONED_RETRY: 15,
  INTERNAL: 16,
  VPC_NETWORK_NOT_FOUND: 17,
};
const revisionReason: Readonly<Record<string, number>> = {
  PENDING: 1,
  RESERVE: 2,
  RETIRED: 3,
  RETIRING: 4,
  RECREATING: 5,
  HEALTH_CHECK_CONTAINER_ERROR: 6,
  CUSTOMIZED_PATH_RESPONSE_PENDING: 7,
  MIN_INSTANCES_NOT_PROVISIONED: 8,
  ACTIVE_REVISION_LIMIT_REACHED: 9,
  NO_DEPLOYMENT: 10,
  HEALTH_CHECK_SKIPPED: 11,
  MIN_INSTANCES_WARMING: 12,
};
const trafficType = {
  TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED: 0,
  TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST: 1,
  TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION: 2,
} as const;
const ingress = { INGRESS_TRAFFIC_ALL: 1 } as const;
const launchStage = { GA: 4 } as const;

const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';

/**
 * The scenarios use Knative-style reasons (`RevisionFailed`); v2 has enums split between
 * `reason` and `revisionReason`. A container that does not start is a failed health check.
 */
const reasonAliases: Record<string, string> = { ContainerFailedToStart: 'HEALTH_CHECK_CONTAINER_ERROR' };

function reasonField(e: EnumEncoder, reason: string | undefined): Record<string, string | number> {
  if (!reason) return {};
  const name = reasonAliases[reason] ?? reason.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  if (name in commonReason) return { reason: e(commonReason, name) };
  if (name in revisionReason) return { revisionReason: e(revisionReason, name) };
  return {};
}

function conditionJson(e: EnumEncoder, type: string, c: SimCondition, at: Date): Record<string, unknown> {
  return {
    type,
    state: e(conditionState, c.state),
    ...(c.message ? { message: c.message } : {}),
    lastTransitionTime: at.toISOString(),
    ...(c.state === 'CONDITION_FAILED' ? { severity: e(severity, 'ERROR') } : {}),
    ...reasonField(e, c.reason),
  };
}

/** Traffic updates per service object (a new scenario brings new objects, hence a WeakMap). */
const updates = new WeakMap<SimService, number>();

const generation = (svc: SimService) => svc.revisions.length + (updates.get(svc) ?? 0);

function etagOf(svc: SimService): string {
  return `"${stableId(`${svc.name}/${generation(svc)}/${svc.updateTime.toISOString()}/${JSON.stringify(svc.traffic)}`, 27)}"`;
}

/** Which revision a target sends traffic to: "latest" follows the latest ready revision. */
const resolve = (svc: SimService, t: SimTrafficTarget) =>
  t.latest ? svc.latestReadyRevision : (t.revision ?? '');

function image(ctx: SandboxContext, service: string): string {
  return `${ctx.state.region}-docker.pkg.dev/${ctx.state.project}/cloud-run/${service}:latest`;
}

function serviceAccount(ctx: SandboxContext): string {
  return `pipeline-runner@${ctx.state.project}.iam.gserviceaccount.com`;
}

function serviceName(ctx: SandboxContext, service: string): string {
  return `projects/${ctx.state.project}/locations/${ctx.state.region}/services/${service}`;
}

function serviceJson(ctx: SandboxContext, e: EnumEncoder, svc: SimService): Record<string, unknown> {
  const name = serviceName(ctx, svc.name);
  const created = svc.revisions[0]?.createTime ?? svc.updateTime;
  const gen = String(generation(svc));
  const byName = new Map(svc.revisions.map((r) => [r.name, r]));
  const routesReady = svc.traffic
    .filter((t) => t.percent > 0)
    .every((t) => byName.get(resolve(svc, t))?.ready.state === 'CONDITION_SUCCEEDED');
  const latestCreated = byName.get(svc.latestCreatedRevision);
  return {
    name,
    uid: stableUid(name),
    generation: gen,
    createTime: created.toISOString(),
    updateTime: svc.updateTime.toISOString(),
    creator: serviceAccount(ctx),
    lastModifier: serviceAccount(ctx),
    ingress: e(ingress, 'INGRESS_TRAFFIC_ALL'),
    launchStage: e(launchStage, 'GA'),
    template: {
      scaling: { maxInstanceCount: 100 },
      timeout: '300s',
      serviceAccount: serviceAccount(ctx),
      containers: [{ image: image(ctx, svc.name), ports: [{ name: 'http1', containerPort: 8080 }] }],
      maxInstanceRequestConcurrency: 80,
    },
    traffic: svc.traffic.map((t) => ({
      type: e(
        trafficType,
        t.latest ? 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' : 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
      ),
      ...(t.latest ? {} : { revision: t.revision }),
      ...(t.percent ? { percent: t.percent } : {}),
    })),
    urls: [svc.uri],
    observedGeneration: gen,
    terminalCondition: conditionJson(e, 'Ready', svc.terminalCondition, svc.updateTime),
    conditions: [
      conditionJson(
        e,
        'RoutesReady',
        routesReady
          ? { state: 'CONDITION_SUCCEEDED' }
          : {
              state: 'CONDITION_FAILED',
              message: 'A traffic target points at a revision that is not ready.',
            },
        svc.updateTime,
      ),
      conditionJson(
        e,
        'ConfigurationsReady',
        latestCreated?.ready ?? { state: 'CONDITION_PENDING' },
        svc.updateTime,
      ),
    ],
    latestReadyRevision: `${name}/revisions/${svc.latestReadyRevision}`,
    latestCreatedRevision: `${name}/revisions/${svc.latestCreatedRevision}`,
    // The observed split: "latest" already resolved to the revision it reached.
    trafficStatuses: svc.traffic
      .filter((t) => t.percent > 0)
      .map((t) => ({
        type: e(
          trafficType,
          t.latest ? 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' : 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        ),
        revision: resolve(svc, t),
        percent: t.percent,
      })),
    uri: svc.uri,
    etag: etagOf(svc),
  };
}

function revisionJson(
  ctx: SandboxContext,
  e: EnumEncoder,
  svc: SimService,
  rev: SimRevision,
): Record<string, unknown> {
  const service = serviceName(ctx, svc.name);
  const name = `${service}/revisions/${rev.name}`;
  return {
    name,
    uid: stableUid(name),
    generation: '1',
    labels: { 'serving.knative.dev/service': svc.name },
    createTime: rev.createTime.toISOString(),
    updateTime: rev.createTime.toISOString(),
    launchStage: e(launchStage, 'GA'),
    service,
    scaling: { maxInstanceCount: 100 },
    maxInstanceRequestConcurrency: 80,
    timeout: '300s',
    serviceAccount: serviceAccount(ctx),
    containers: [{ image: image(ctx, svc.name), ports: [{ name: 'http1', containerPort: 8080 }] }],
    conditions: [
      conditionJson(e, 'Ready', rev.ready, rev.createTime),
      conditionJson(e, 'ContainerHealthy', rev.ready, rev.createTime),
      conditionJson(e, 'ResourcesAvailable', { state: 'CONDITION_SUCCEEDED' }, rev.createTime),
    ],
    observedGeneration: '1',
    logUri: `https://console.cloud.google.com/logs/viewer?project=${ctx.state.project}&resource=cloud_run_revision/service_name/${svc.name}/revision_name/${rev.name}`,
    etag: `"${stableId(name, 27)}"`,
  };
}

/** Parse a PATCH body's traffic (enums as names or numbers) into the sandbox's model, or explain why not. */
function parseTraffic(svc: SimService, raw: unknown): SimTrafficTarget[] | string {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    return [{ latest: true, percent: 100 }];
  }
  if (!Array.isArray(raw)) return 'traffic must be a list';
  const names = Object.keys(trafficType);
  const out: SimTrafficTarget[] = [];
  for (const item of raw as { type?: unknown; revision?: unknown; percent?: unknown }[]) {
    const type = typeof item.type === 'number' ? names[item.type] : item.type;
    const percent = item.percent ?? 0;
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      return `traffic percent must be an integer from 0 to 100, got ${String(item.percent)}`;
    }
    const revision = typeof item.revision === 'string' ? item.revision : '';
    if (type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST') {
      out.push({ latest: true, percent });
    } else if (type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' || (revision && !type)) {
      if (!svc.revisions.some((r) => r.name === revision)) {
        return `Revision named '${revision}' does not exist in service '${svc.name}'.`;
      }
      out.push({ latest: false, revision, percent });
    } else {
      return `traffic target type ${String(item.type)} is not supported`;
    }
  }
  const total = out.reduce((sum, t) => sum + t.percent, 0);
  if (total !== 100) return `Traffic percentages must add up to 100, got ${total}.`;
  return out;
}

interface PendingOperation {
  service: string;
  /** google.rpc.Status when the rollout fails. */
  error?: { code: number; message: string };
}

export const cloudRunRoutes: RouteModule = (ctx) => {
  const operations = new Map<string, PendingOperation>();
  const base = '^/v2/projects/([^/]+)/locations/([^/]+)';

  const findService = (req: SandboxRequest, match: RegExpExecArray) => {
    const [project = '', location = '', service = ''] = segments(match);
    const wrong = checkLocation(ctx, project, location);
    if (wrong) return { reply: wrong };
    const svc = ctx.state.services.get(service);
    if (!svc) {
      return {
        reply: googleError(404, `Resource '${service}' of kind 'SERVICE' in region '${location}' not found.`),
      };
    }
    return { svc, e: enumEncoder(req) };
  };

  const routes: Route[] = [
    listRoute(ctx, {
      api: 'cloudRun',
      pattern: new RegExp(`${base}/services$`),
      field: 'services',
      items: () => ctx.state.services.values(),
      toJson: (e, s) => serviceJson(ctx, e, s),
    }),
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/services/([^/:]+)$`),
      handle(req, match) {
        const found = findService(req, match);
        if ('reply' in found) return found.reply;
        return { body: serviceJson(ctx, found.e, found.svc) };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/services/([^/:]+)/revisions$`),
      handle(req, match) {
        const found = findService(req, match);
        if ('reply' in found) return found.reply;
        const { svc, e } = found;
        const newestFirst = [...svc.revisions].sort(
          (a, b) => b.createTime.getTime() - a.createTime.getTime(),
        );
        const page = paginate(req, newestFirst);
        if (!page.ok) return page.reply;
        return {
          body: {
            revisions: page.page.map((r) => revisionJson(ctx, e, svc, r)),
            ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          },
        };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/services/([^/:]+)/revisions/([^/:]+)$`),
      handle(req, match) {
        const found = findService(req, match);
        if ('reply' in found) return found.reply;
        const revision = segments(match)[3] ?? '';
        const rev = found.svc.revisions.find((r) => r.name === revision);
        if (!rev) {
          return googleError(
            404,
            `Resource '${revision}' of kind 'REVISION' in region '${ctx.state.region}' not found.`,
          );
        }
        return { body: revisionJson(ctx, found.e, found.svc, rev) };
      },
    },
    {
      // UpdateService: only `traffic` is modelled. The real API answers an unfinished
      // operation and the client polls it, so the operation here completes on its first poll.
      api: 'cloudRun',
      method: 'PATCH',
      pattern: new RegExp(`${base}/services/([^/:]+)$`),
      handle(req, match) {
        const found = findService(req, match);
        if ('reply' in found) return found.reply;
        const { svc, e } = found;
        const body = (req.body ?? {}) as { traffic?: unknown; etag?: unknown };
        if (typeof body.etag === 'string' && body.etag !== '' && body.etag !== etagOf(svc)) {
          return googleStatus(
            409,
            'ABORTED',
            `The etag does not match the current etag of service '${svc.name}'.`,
          );
        }
        const mask = req.query.get('updateMask');
        const paths = mask ? mask.split(',').map((p) => p.trim()) : undefined;
        let error: PendingOperation['error'];
        if (!paths || paths.includes('traffic')) {
          const traffic = parseTraffic(svc, body.traffic);
          if (typeof traffic === 'string') return googleError(400, traffic);
          const byName = new Map(svc.revisions.map((r) => [r.name, r]));
          const notReady = traffic
            .filter((t) => t.percent > 0)
            .map((t) => resolve(svc, t))
            .find((r) => byName.get(r)?.ready.state !== 'CONDITION_SUCCEEDED');
          if (notReady) {
            error = { code: 9, message: `Revision '${notReady}' is not ready and cannot serve traffic.` };
          } else if (req.query.get('validateOnly') !== 'true') {
            svc.traffic = traffic;
            svc.updateTime = ctx.now();
            updates.set(svc, (updates.get(svc) ?? 0) + 1);
          }
        }
        const [project = '', location = ''] = segments(match);
        const name = `projects/${project}/locations/${location}/operations/${randomUUID()}`;
        operations.set(name, { service: svc.name, ...(error ? { error } : {}) });
        return { body: { name, metadata: { '@type': SERVICE_TYPE, ...serviceJson(ctx, e, svc) } } };
      },
    },
    {
      api: 'cloudRun',
      method: 'GET',
      pattern: new RegExp(`${base}/operations/([^/:]+)$`),
      handle(req, match) {
        const [project = '', location = '', id = ''] = segments(match);
        const wrong = checkLocation(ctx, project, location);
        if (wrong) return wrong;
        const name = `projects/${project}/locations/${location}/operations/${id}`;
        const op = operations.get(name);
        const svc = op && ctx.state.services.get(op.service);
        if (!op || !svc) return googleError(404, `Operation '${name}' not found.`);
        const service = { '@type': SERVICE_TYPE, ...serviceJson(ctx, enumEncoder(req), svc) };
        return {
          body: {
            name,
            metadata: service,
            done: true,
            ...(op.error ? { error: op.error } : { response: service }),
          },
        };
      },
    },
  ];
  return routes;
};
