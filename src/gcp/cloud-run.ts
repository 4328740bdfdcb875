/**
 * Cloud Run Admin API v2 adapter: service and revision state for reports and deploy checks,
 * and traffic changes for rollback. Every call goes through `guarded`.
 */
// The generated clients themselves, not the library's index: it would load protos.js too (protoEnum).
import type { protos } from '@google-cloud/run';
import { RevisionsClient } from '@google-cloud/run/build/src/v2/revisions_client.js';
import { ServicesClient } from '@google-cloud/run/build/src/v2/services_client.js';
import type { LROperation } from 'google-gax';
import type {
  CloudRunControl,
  CloudRunPort,
  Condition,
  RevisionState,
  ServiceState,
  TrafficSplit,
  TrafficTarget,
} from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';
import { gaxEndpoint, passThroughAuth } from './client-options.js';
import { attemptOptions, enumName, protoEnum, shortName, timestampToIso } from './proto-values.js';

type IService = protos.google.cloud.run.v2.IService;
type IRevision = protos.google.cloud.run.v2.IRevision;
type ICondition = protos.google.cloud.run.v2.ICondition;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;

const RUN_PROTOS = '@google-cloud/run/build/protos/protos.json';
const run = {
  Condition: {
    State: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.State'),
    CommonReason: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.CommonReason'),
    RevisionReason: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.RevisionReason'),
    ExecutionReason: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.Condition.ExecutionReason'),
  },
  TrafficTargetAllocationType: protoEnum(RUN_PROTOS, 'google.cloud.run.v2.TrafficTargetAllocationType'),
};
type AllocationType = protos.google.cloud.run.v2.TrafficTargetAllocationType;
const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';

export interface CloudRunDeps {
  services: ServicesClient;
  revisions: RevisionsClient;
  project: string;
  region: string;
  /** Deadline of one read, retries included. */
  deadlineMs: number;
  /** Deadline of a traffic change including its rollout; default 120 s. */
  rolloutDeadlineMs?: number;
}

/** The real clients, pointed at `endpoint` (the sandbox) when given, else at Google over REST. */
export function cloudRunClients(
  endpoint: string | undefined,
  offline: boolean,
): { services: ServicesClient; revisions: RevisionsClient } {
  const options = endpoint
    ? { ...gaxEndpoint(endpoint, offline) }
    : { fallback: true as const, ...(offline ? { authClient: passThroughAuth() } : {}) };
  return { services: new ServicesClient(options), revisions: new RevisionsClient(options) };
}

/** A Condition from Cloud Run; its reason is whichever of the `reasons` oneof is set. */
export function readCondition(c: ICondition | null | undefined): Condition {
  if (!c) return { state: 'unknown' };
  const state = enumName(c.state, run.Condition.State);
  const reason = [
    enumName(c.reason, run.Condition.CommonReason),
    enumName(c.revisionReason, run.Condition.RevisionReason),
    enumName(c.executionReason, run.Condition.ExecutionReason),
  ].find((r) => r !== undefined && !/_(UNDEFINED|UNSPECIFIED)$/.test(r));
  return {
    state: state === 'CONDITION_SUCCEEDED' ? 'true' : state === 'CONDITION_FAILED' ? 'false' : 'unknown',
    ...(reason ? { reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

function isLatest(t: { type?: unknown; revision?: string | null }): boolean {
  const type = enumName(t.type as string | number | null | undefined, run.TrafficTargetAllocationType);
  return type === LATEST || (!t.revision && type !== 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION');
}

export function readService(svc: IService): ServiceState {
  const latestReady = shortName(svc.latestReadyRevision);
  const latestCreated = shortName(svc.latestCreatedRevision);
  const traffic: TrafficSplit[] = (svc.traffic ?? []).map((t) => {
    const percent = t.percent ?? 0;
    const revision = shortName(t.revision);
    return isLatest(t) || !revision ? { latest: true, percent } : { latest: false, revision, percent };
  });
  // Observed statuses when the API gives them, else the spec; "latest" resolved either way.
  const source = svc.trafficStatuses?.length ? svc.trafficStatuses : (svc.traffic ?? []);
  const shares = new Map<string, number>();
  for (const t of source) {
    const percent = t.percent ?? 0;
    const revision = shortName(t.revision) ?? (isLatest(t) ? latestReady : undefined);
    if (percent > 0 && revision) shares.set(revision, (shares.get(revision) ?? 0) + percent);
  }
  const updateTime = timestampToIso(svc.updateTime);
  return {
    name: shortName(svc.name) ?? '',
    ...(svc.uri ? { uri: svc.uri } : {}),
    ...(latestCreated ? { latestCreatedRevision: latestCreated } : {}),
    ...(latestReady ? { latestReadyRevision: latestReady } : {}),
    traffic,
    ready: readCondition(svc.terminalCondition),
    ...(updateTime ? { updateTime } : {}),
    servingShares: [...shares]
      .map(([revision, percent]) => ({ revision, percent }))
      .sort((a, b) => b.percent - a.percent),
  };
}

export function readRevision(rev: IRevision, service: string): RevisionState {
  const createTime = timestampToIso(rev.createTime);
  return {
    name: shortName(rev.name) ?? '',
    service: shortName(rev.service) ?? service,
    ...(createTime ? { createTime } : {}),
    ready: readCondition(rev.conditions?.find((c) => c.type === 'Ready')),
  };
}

/** Wait for a long-running operation; at abort, stop polling without cancelling the operation itself. */
function untilDone<T>(op: LROperation<T, unknown>, signal: AbortSignal): Promise<T> {
  const stop = () => {
    // A poll already in flight may still emit 'error': keep a listener so it is not thrown.
    op.on('error', () => undefined);
    op.removeAllListeners('complete');
  };
  signal.addEventListener('abort', stop, { once: true });
  return op
    .promise()
    .then(([response]) => response)
    .finally(() => signal.removeEventListener('abort', stop));
}

function checkSplit(split: TrafficTarget[]): string | undefined {
  if (split.length === 0) return 'a traffic split needs at least one target';
  for (const t of split) {
    if (!Number.isInteger(t.percent) || t.percent < 0 || t.percent > 100) {
      return `traffic percent must be an integer from 0 to 100, got ${t.percent}`;
    }
    if ('revision' in t && !shortName(t.revision)) return 'a traffic target needs a revision name';
  }
  const total = split.reduce((sum, t) => sum + t.percent, 0);
  return total === 100 ? undefined : `traffic percents must add up to 100, got ${total}`;
}

export function createCloudRunAdapter(deps: CloudRunDeps): CloudRunPort & CloudRunControl {
  const { services, revisions, deadlineMs } = deps;
  const rolloutDeadlineMs = deps.rolloutDeadlineMs ?? 120_000;
  const fullName = (service: string) =>
    service.startsWith('projects/')
      ? service
      : `projects/${deps.project}/locations/${deps.region}/services/${service}`;

  const readRaw = (service: string) =>
    guarded({ deadlineMs }, async (signal) => {
      const [svc] = await services.getService(
        { name: fullName(service) },
        attemptOptions(signal, deadlineMs),
      );
      return svc;
    });

  return {
    async getService(service) {
      const r = await readRaw(service);
      return r.ok ? ok(readService(r.value)) : r;
    },

    async listRevisions(service) {
      const r = await guarded({ deadlineMs }, async (signal) => {
        const [list] = await revisions.listRevisions(
          { parent: fullName(service) },
          { ...attemptOptions(signal, deadlineMs), autoPaginate: true },
        );
        return list;
      });
      if (!r.ok) return r;
      const states = r.value.map((rev) => readRevision(rev, shortName(service) ?? service));
      return ok(states.sort((a, b) => (b.createTime ?? '').localeCompare(a.createTime ?? '')));
    },

    async updateTraffic(service, split): Promise<Probe<ServiceState>> {
      const problem = checkSplit(split);
      if (problem) return fail('invalid', problem);
      // Read-modify-write with the etag: the change applies to what was read or fails,
      // and the whole service is sent, so it holds whether or not the API honours the mask.
      const current = await readRaw(service);
      if (!current.ok) return current;
      const traffic: ITrafficTarget[] = split.map((t) =>
        'revision' in t
          ? {
              type: run.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION as AllocationType,
              revision: shortName(t.revision) ?? t.revision,
              percent: t.percent,
            }
          : {
              type: run.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST as AllocationType,
              percent: t.percent,
            },
      );
      // Not retried: after a lost answer the retry would fail on the etag although the change was made.
      const r = await guarded({ deadlineMs: rolloutDeadlineMs, retry: false }, async (signal) => {
        const [op] = await services.updateService(
          { service: { ...current.value, traffic }, updateMask: { paths: ['traffic'] } },
          attemptOptions(signal, rolloutDeadlineMs),
        );
        return untilDone(op, signal);
      });
      return r.ok ? ok(readService(r.value)) : r;
    },
  };
}
