/**
 * The engine's audit writer: every transition becomes an audit entry and a JSON log line. A lost
 * audit write is logged loudly but never undoes or blocks the transition that already happened.
 */
import type { Clock } from '../domain/ports.js';
import type { AuditLog, GuardedRequest } from '../domain/requests.js';
import type { Outcome, Refusal } from '../domain/result.js';

type Subject = Pick<GuardedRequest, 'id' | 'plan' | 'planHash'>;

export interface AuditTrail {
  record(r: Subject, action: string, actor: string, outcome: string, detail?: string): Promise<void>;
  /** Audit a refusal (`refused:<code>`) and return it as the outcome. */
  refused<T>(r: Subject, action: string, actor: string, reason: Refusal): Promise<Outcome<T>>;
}

export function createAuditTrail(deps: {
  audit: AuditLog;
  clock: Clock;
  instanceId: string;
  log: (line: object) => void;
}): AuditTrail {
  const { audit, clock, instanceId, log } = deps;
  const trail: AuditTrail = {
    async record(r, action, actor, outcome, detail) {
      const entry = {
        requestId: r.id,
        kind: r.plan.kind,
        subject: r.plan.subject,
        action,
        actor,
        at: clock.now(),
        planHash: r.planHash,
        outcome,
        ...(detail === undefined ? {} : { detail }),
      };
      log({ event: 'guarded.audit', instance: instanceId, ...entry, at: entry.at.toISOString() });
      try {
        await audit.append(entry);
      } catch (error) {
        // The transition already happened; losing its audit line must be loud, not fatal.
        log({ event: 'guarded.audit_failed', requestId: r.id, action, error: String(error) });
      }
    },
    async refused(r, action, actor, reason) {
      await trail.record(r, action, actor, `refused:${reason.code}`, reason.message);
      return { ok: false, reason };
    },
  };
  return trail;
}
