/**
 * Cloud Functions API v2 for the sandbox: get and list functions, as proto3 JSON
 * (checked against the client's protos in tests/sandbox/schemas.test.ts).
 */
import {
  checkLocation,
  type EnumEncoder,
  enumEncoder,
  listRoute,
  segments,
  stableId,
} from './google-rest.js';
import { googleError, type Route, type RouteModule, type SandboxContext } from './server.js';
import type { SimFunction } from './state.js';

// Enum numbers from google/cloud/functions/v2/functions.proto.
const functionState = {
  STATE_UNSPECIFIED: 0,
  ACTIVE: 1,
  FAILED: 2,
  DEPLOYING: 3,
  DELETING: 4,
  UNKNOWN: 5,
} as const;
const severity = { SEVERITY_UNSPECIFIED: 0, ERROR: 1, WARNING: 2, INFO: 3 } as const;
const environment = { GEN_2: 2 } as const;
const ingressSettings = { ALLOW_ALL: 1 } as const;
const retryPolicy = { RETRY_POLICY_DO_NOT_RETRY: 1 } as const;

const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

function functionJson(ctx: SandboxContext, e: EnumEncoder, fn: SimFunction): Record<string, unknown> {
  const { project, region } = ctx.state;
  const runtimeAccount = `${project}@appspot.gserviceaccount.com`;
  // A gen2 function runs as a Cloud Run service of the same name, with a run.app URL.
  const hash = stableId(`${project}/${fn.name}`, 10);
  return {
    name: `projects/${project}/locations/${region}/functions/${fn.name}`,
    buildConfig: {
      runtime: 'python311',
      entryPoint: 'main',
      dockerRepository: `projects/${project}/locations/${region}/repositories/gcf-artifacts`,
    },
    serviceConfig: {
      service: `projects/${project}/locations/${region}/services/${fn.name}`,
      timeoutSeconds: 540,
      availableMemory: '512Mi',
      maxInstanceCount: 100,
      ingressSettings: e(ingressSettings, 'ALLOW_ALL'),
      uri: `https://${fn.name}-${hash}-wl.a.run.app`,
      serviceAccountEmail: runtimeAccount,
      allTrafficOnLatestRevision: true,
      revision: fn.revision,
    },
    ...(fn.eventType && !fn.topic
      ? {
          // An Eventarc trigger other than Pub/Sub: no pubsubTopic (functions v2 EventTrigger).
          eventTrigger: {
            trigger: `projects/${project}/locations/${region}/triggers/${fn.name}-${stableId(fn.name, 6)}`,
            triggerRegion: region,
            eventType: fn.eventType,
            serviceAccountEmail: runtimeAccount,
            retryPolicy: e(retryPolicy, 'RETRY_POLICY_DO_NOT_RETRY'),
          },
        }
      : {}),
    ...(fn.topic
      ? {
          eventTrigger: {
            trigger: `projects/${project}/locations/${region}/triggers/${fn.name}-${stableId(fn.name, 6)}`,
            triggerRegion: region,
            eventType: PUBSUB_PUBLISHED,
            pubsubTopic: `projects/${project}/topics/${fn.topic}`,
            serviceAccountEmail: runtimeAccount,
            retryPolicy: e(retryPolicy, 'RETRY_POLICY_DO_NOT_RETRY'),
          },
        }
      : {}),
    state: e(functionState, fn.state),
    updateTime: fn.updateTime.toISOString(),
    labels: { 'deployment-tool': 'cli-gcloud' },
    stateMessages: fn.stateMessages.map((m) => ({
      severity: e(severity, m.severity),
      type: m.type,
      message: m.message,
    })),
    environment: e(environment, 'GEN_2'),
    url: `https://${region}-${project}.cloudfunctions.net/${fn.name}`,
  };
}

export const functionsRoutes: RouteModule = (ctx) => {
  const base = '^/v2/projects/([^/]+)/locations/([^/]+)/functions';
  const routes: Route[] = [
    listRoute(ctx, {
      api: 'functions',
      pattern: new RegExp(`${base}$`),
      field: 'functions',
      items: () => ctx.state.functions.values(),
      toJson: (e, f) => functionJson(ctx, e, f),
    }),
    {
      api: 'functions',
      method: 'GET',
      pattern: new RegExp(`${base}/([^/:]+)$`),
      handle(req, match) {
        const [project = '', location = '', name = ''] = segments(match);
        const wrong = checkLocation(ctx, project, location);
        if (wrong) return wrong;
        const fn = ctx.state.functions.get(name);
        if (!fn)
          return googleError(
            404,
            `Function ${name} in region ${location} in project ${project} does not exist`,
          );
        return { body: functionJson(ctx, enumEncoder(req), fn) };
      },
    },
  ];
  return routes;
};
