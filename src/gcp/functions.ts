/** Cloud Functions API v2 adapter: a function's state and trigger, whatever the trigger. */
// The generated client itself, not the library's index: it would load protos.js too (protoEnum).
import type { protos } from '@google-cloud/functions';
import { FunctionServiceClient } from '@google-cloud/functions/build/src/v2/function_service_client.js';
import type { DeployedTrigger, FunctionState, FunctionStateName, FunctionsPort } from '../domain/ports.js';
import { ok } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { attemptOptions, enumName, protoEnum, shortName, timestampToIso } from './proto-values.js';

type IFunction = protos.google.cloud.functions.v2.IFunction;

const FUNCTIONS_PROTOS = '@google-cloud/functions/build/protos/protos.json';
const fns = {
  Function: { State: protoEnum(FUNCTIONS_PROTOS, 'google.cloud.functions.v2.Function.State') },
  StateMessage: { Severity: protoEnum(FUNCTIONS_PROTOS, 'google.cloud.functions.v2.StateMessage.Severity') },
};
const stateNames: readonly FunctionStateName[] = [
  'ACTIVE',
  'FAILED',
  'DEPLOYING',
  'DELETING',
  'UNKNOWN',
  'STATE_UNSPECIFIED',
];

export interface FunctionsDeps {
  client: FunctionServiceClient;
  project: string;
  region: string;
  deadlineMs: number;
}

/** The real client, pointed at `endpoint` (the sandbox) when given, else at Google over REST. */
export function functionsClient(endpoint: string | undefined, offline: boolean): FunctionServiceClient {
  return new FunctionServiceClient(
    endpoint
      ? { ...gaxEndpoint(endpoint, offline) }
      : { fallback: true, ...(offline ? { authClient: passThroughAuth() } : {}) },
  );
}

const PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** No event trigger: an HTTP function (cloud.google.com/functions/docs/calling). */
function triggerOf(fn: IFunction): DeployedTrigger {
  const t = fn.eventTrigger;
  if (!t) return { type: 'http' };
  const topic = shortName(t.pubsubTopic);
  if (topic && (!t.eventType || t.eventType === PUBLISHED)) return { type: 'pubsub', topic };
  return { type: 'eventarc', eventType: t.eventType ?? '' };
}

export function readFunction(fn: IFunction): FunctionState {
  const state = enumName(fn.state, fns.Function.State) as FunctionStateName | undefined;
  const revision = fn.serviceConfig?.revision;
  // `projects/P/topics/T` → `T`
  const topic = shortName(fn.eventTrigger?.pubsubTopic);
  const updateTime = timestampToIso(fn.updateTime);
  const trigger = triggerOf(fn);
  return {
    name: shortName(fn.name) ?? '',
    state: state && stateNames.includes(state) ? state : 'UNKNOWN',
    ...(revision ? { revision } : {}),
    ...(topic ? { triggerTopic: topic } : {}),
    trigger,
    ...(updateTime ? { updateTime } : {}),
    stateMessages: (fn.stateMessages ?? []).map((m) => ({
      severity: enumName(m.severity, fns.StateMessage.Severity) ?? 'SEVERITY_UNSPECIFIED',
      type: m.type ?? '',
      message: m.message ?? '',
    })),
  };
}

export function createFunctionsAdapter(deps: FunctionsDeps): FunctionsPort {
  const { client, deadlineMs } = deps;
  return {
    async getFunction(name) {
      const full = name.startsWith('projects/')
        ? name
        : `projects/${deps.project}/locations/${deps.region}/functions/${name}`;
      const r = await guarded({ deadlineMs }, async (signal) => {
        const [fn] = await client.getFunction({ name: full }, attemptOptions(signal, deadlineMs));
        return fn;
      });
      return r.ok ? ok(readFunction(r.value)) : r;
    },
  };
}
