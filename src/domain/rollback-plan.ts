/**
 * Rollback of a Cloud Run service: move all traffic to an earlier ready revision. The plan
 * records the split now and after; undo puts the split back exactly (including "latest").
 */
import type { JsonValue, Plan } from './plan.js';
import { makePlan } from './plan.js';
import type { RevisionState, ServiceState, TrafficTarget } from './ports.js';
import { accept, type Outcome, refuse } from './result.js';
import { shortRevision } from './status.js';

/** The configured split as targets updateTraffic takes back unchanged. */
export function splitOf(state: ServiceState): TrafficTarget[] {
  return state.traffic
    .filter((t) => t.percent > 0)
    .map((t) =>
      t.latest || !t.revision
        ? { latest: true as const, percent: t.percent }
        : { revision: t.revision, percent: t.percent },
    );
}

export function describeSplit(service: string, split: TrafficTarget[]): string {
  return (
    split
      .map((t) => `${'latest' in t ? 'latest' : shortRevision(service, t.revision)} ${t.percent}%`)
      .join(', ') || 'none'
  );
}

export function planRollback(
  service: string,
  state: ServiceState,
  revisions: RevisionState[],
  to: string,
): Outcome<Plan> {
  const target = revisions.find((r) => r.name === to);
  if (!target) return refuse('unknown_revision', `${service} has no revision \`${to.slice(0, 80)}\`.`);
  if (target.ready.state !== 'true')
    return refuse('not_ready', `${shortRevision(service, to)} is not ready: it cannot take traffic.`);
  const before = splitOf(state);
  const after: TrafficTarget[] = [{ revision: to, percent: 100 }];
  const serving = state.servingShares.find((s) => s.revision === to)?.percent ?? 0;
  if (serving === 100 && before.length === 1 && !('latest' in before[0]!)) {
    return refuse('already', `${shortRevision(service, to)} already serves all traffic of ${service}.`);
  }
  return accept(
    makePlan({
      kind: 'rollback',
      title: `Roll back ${service}`,
      subject: service,
      summary: [`now: ${describeSplit(service, before)}`, `after: ${describeSplit(service, after)}`],
      evidence: [
        `latest ready: ${shortRevision(service, state.latestReadyRevision)}`,
        `target ${shortRevision(service, to)} created ${target.createTime ?? '?'}, ready`,
      ],
      steps: [
        {
          id: 'update-traffic',
          action: 'update_traffic',
          label: `Move 100% of ${service} traffic to ${shortRevision(service, to)}`,
          destructive: true,
          undoable: true,
          params: { service, before: before as unknown as JsonValue, after: after as unknown as JsonValue },
        },
      ],
    }),
  );
}
