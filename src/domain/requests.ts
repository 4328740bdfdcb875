/**
 * A guarded request: a plan bound to its hash, who asked, who approved, and how each step went.
 * The state machine is a pure table; stores enforce it with compare-and-set so that approval,
 * resume and undo each have exactly one winner.
 */
import type { JsonValue, Plan, PlanKind } from './plan.js';
import type { Outcome, Refusal } from './result.js';

export type RequestState =
  | 'pending_approval'
  | 'approved'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'interrupted'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'undone';

/** States that hold the (kind, subject) lock: at most one request per subject is in one of them. */
export const ACTIVE_STATES: readonly RequestState[] = ['pending_approval', 'approved', 'running'];
export const isActive = (state: RequestState): boolean => ACTIVE_STATES.includes(state);

/**
 * Stored transitions. `running → running` is a takeover (resume) and must be a CAS on version.
 * `interrupted` is never stored: it is what a running request with a stale heartbeat is
 * (see effectiveState); storing it would release the subject's lock while half the steps are done.
 * succeeded/failed/cancelled → running is a retry or an undo, which takes the lock again.
 */
export const TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  pending_approval: ['approved', 'running', 'rejected', 'expired', 'cancelled'],
  approved: ['running', 'expired', 'cancelled'],
  running: ['running', 'succeeded', 'failed', 'cancelled', 'undone'],
  succeeded: ['running'],
  failed: ['running'],
  cancelled: ['running'],
  interrupted: [],
  rejected: [],
  expired: [],
  undone: [],
};

export const canTransition = (from: RequestState, to: RequestState): boolean =>
  TRANSITIONS[from].includes(to);

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'undone';

export interface StepRun {
  /** The plan step id. */
  id: string;
  status: StepStatus;
  startedAt?: Date;
  endedAt?: Date;
  durationMs?: number;
  /** One line for a person: what happened, or why it failed. */
  message?: string;
  /** What the step deleted or overwrote, captured and stored before the write. */
  snapshot?: JsonValue;
  /** What the executor returned to undo its own write (e.g. the previous traffic split). */
  undoData?: JsonValue;
}

export interface GuardedRequest {
  id: string;
  plan: Plan;
  planHash: string;
  requester: string;
  channel: string;
  /** The thread the request lives in, and the message updated as steps progress. */
  threadTs?: string;
  progressTs?: string;
  createdAt: Date;
  expiresAt: Date;
  state: RequestState;
  /** 'undo' while the steps are being reverted. */
  mode: 'run' | 'undo';
  approver?: string;
  /** Who rejected, cancelled or asked for undo. */
  closedBy?: string;
  /** The requester's reason, as typed in the plan modal. */
  reason?: string;
  /** Set by a stop request; the runner checks it between steps. */
  cancelRequestedBy?: string;
  /** Instance id of the process running the steps. */
  runner?: string;
  heartbeatAt?: Date;
  /**
   * The instance that handed the run over when it shut down (SIGTERM). While it is still the
   * runner the run is interrupted at once, without waiting for the heartbeat to go stale, and
   * any instance's sweep resumes it; kept afterwards, so the thread can say what happened.
   */
  handedOverBy?: string;
  steps: StepRun[];
  /** Incremented by every write; the CAS token. */
  version: number;
}

/** Running with a stale heartbeat → interrupted; pending or approved past expiry → expired. */
export function effectiveState(request: GuardedRequest, now: Date, staleAfterMs: number): RequestState {
  if (request.state === 'running') {
    if (handedOver(request)) return 'interrupted';
    const beat = (request.heartbeatAt ?? request.createdAt).getTime();
    return now.getTime() - beat > staleAfterMs ? 'interrupted' : 'running';
  }
  if ((request.state === 'pending_approval' || request.state === 'approved') && now >= request.expiresAt) {
    return 'expired';
  }
  return request.state;
}

/** Running, and its runner handed it over at shutdown: any instance may resume it now. */
export const handedOver = (r: Pick<GuardedRequest, 'state' | 'runner' | 'handedOverBy'>): boolean =>
  r.state === 'running' && r.handedOverBy !== undefined && r.handedOverBy === r.runner;

const who = (id: string | undefined) => (id ? `<@${id}>` : 'someone');

/** "already running, approved by <@U1>", for a person who found the request taken. */
export function describeHolder(
  r: Pick<GuardedRequest, 'state' | 'approver' | 'closedBy' | 'requester' | 'mode'>,
): string {
  switch (r.state) {
    case 'pending_approval':
      return `waiting for approval, requested by ${who(r.requester)}`;
    case 'approved':
      return `already approved by ${who(r.approver)}`;
    case 'running':
      return r.mode === 'undo'
        ? `already being undone, asked by ${who(r.closedBy)}`
        : `already running, approved by ${who(r.approver)}`;
    case 'succeeded':
      return `already finished (succeeded), approved by ${who(r.approver)}`;
    case 'failed':
      return `already finished (failed), approved by ${who(r.approver)}`;
    case 'interrupted':
      return 'interrupted: its runner stopped';
    case 'rejected':
      return `already rejected by ${who(r.closedBy)}`;
    case 'expired':
      return 'expired before anyone approved it';
    case 'cancelled':
      return `cancelled by ${who(r.closedBy)}`;
    case 'undone':
      return `already undone by ${who(r.closedBy)}`;
  }
}

/** Fields a transition or update may change. `undefined` removes the field. */
export type RequestPatch = {
  [K in
    | 'approver'
    | 'closedBy'
    | 'cancelRequestedBy'
    | 'runner'
    | 'heartbeatAt'
    | 'handedOverBy'
    | 'steps'
    | 'mode'
    | 'threadTs'
    | 'progressTs']?: GuardedRequest[K] | undefined;
};

export interface TransitionSpec {
  from: readonly RequestState[];
  to: RequestState;
  patch?: RequestPatch;
  expectVersion?: number;
  /** Only if this instance is still the runner (fences a runner that lost its claim). */
  expectRunner?: string;
}

export interface UpdateGuard {
  states?: readonly RequestState[];
  runner?: string;
}

/** A create refused because the subject already has an active request. */
export interface ActiveRequestRefusal extends Refusal {
  existingId?: string;
}

export type CreateOutcome = { ok: true; value: GuardedRequest } | { ok: false; reason: ActiveRequestRefusal };

/**
 * The bot's own record of guarded requests. Refusal codes: 'active_exists' (create),
 * 'not_found', 'conflict' (state, version or runner mismatch; the message says the current state
 * and who holds it), 'illegal_transition'.
 */
export interface RequestStore {
  /** Refuses when (kind, subject) already has an active request; the refusal carries its id. */
  create(request: GuardedRequest): Promise<CreateOutcome>;
  get(id: string): Promise<GuardedRequest | undefined>;
  /** Atomic compare-and-set on state (and version/runner when given); bumps version. */
  transition(id: string, spec: TransitionSpec): Promise<Outcome<GuardedRequest>>;
  /** Steps, heartbeat, message ts; bumps version. A guard makes it conditional. */
  update(id: string, patch: RequestPatch, guard?: UpdateGuard): Promise<Outcome<GuardedRequest>>;
  /** Newest first. */
  list(query: {
    subject?: string;
    states?: readonly RequestState[];
    since?: Date;
    limit: number;
  }): Promise<GuardedRequest[]>;
}

/** What an audit entry is about: a guarded action's plan, or an alert group (acknowledge, silence). */
export type AuditKind = PlanKind | 'alert';

export interface AuditEntry {
  /** The request's id; `alert:<group>` for an alert group. */
  requestId: string;
  kind: AuditKind;
  subject: string;
  /** 'submit', 'approve', 'reject', 'cancel', 'expire', 'retry', 'resume', 'undo', 'finish', … */
  action: string;
  /** A Slack user id, or `instance:<id>` / 'system' for the engine itself. */
  actor: string;
  at: Date;
  planHash: string;
  /** The resulting state, or `refused:<code>`. */
  outcome: string;
  detail?: string;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** The most recent `limit` entries matching, oldest first (the order they were appended). */
  list(query: { since?: Date; subject?: string; requestId?: string; limit: number }): Promise<AuditEntry[]>;
}

/** Lock key for one active request per (kind, subject); safe as a Firestore document id. */
export const lockKey = (kind: PlanKind, subject: string): string => encodeURIComponent(`${kind}:${subject}`);

/** The refusal every store gives when the current state does not match a transition. */
export function conflict(current: GuardedRequest, detail?: string): Refusal {
  return {
    code: 'conflict',
    message: `This request is ${describeHolder(current)}.${detail ? ` ${detail}` : ''}`,
  };
}

/** Why `spec` may not be applied to `current`, or undefined when it may. Shared by the stores. */
export function checkTransition(current: GuardedRequest, spec: TransitionSpec): Refusal | undefined {
  if (!spec.from.includes(current.state)) return conflict(current);
  if (spec.expectVersion !== undefined && current.version !== spec.expectVersion) {
    return conflict(current, 'It changed in the meantime.');
  }
  if (spec.expectRunner !== undefined && current.runner !== spec.expectRunner) {
    return conflict(current, `Another instance (${current.runner ?? 'none'}) holds it now.`);
  }
  if (!canTransition(current.state, spec.to)) {
    return {
      code: 'illegal_transition',
      message: `A request cannot go from ${current.state} to ${spec.to}.`,
    };
  }
  return undefined;
}

export function checkGuard(current: GuardedRequest, guard: UpdateGuard | undefined): Refusal | undefined {
  if (guard?.states && !guard.states.includes(current.state)) return conflict(current);
  if (guard?.runner !== undefined && current.runner !== guard.runner) {
    return conflict(current, `Another instance (${current.runner ?? 'none'}) holds it now.`);
  }
  return undefined;
}

/** A copy of `r` with `patch` applied (undefined removes a field) and the version bumped. */
export function applyPatch(
  r: GuardedRequest,
  patch: RequestPatch | undefined,
  state = r.state,
): GuardedRequest {
  const next: GuardedRequest = { ...r, state, version: r.version + 1 };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) delete (next as unknown as Record<string, unknown>)[key];
    else (next as unknown as Record<string, unknown>)[key] = value;
  }
  return next;
}

export interface StepReport {
  done: string[];
  notDone: string[];
  undone: string[];
  failed?: { label: string; message: string };
}

/** What was done and what was not, by step label, for messages and the audit detail. */
export function stepReport(r: GuardedRequest): StepReport {
  const report: StepReport = { done: [], notDone: [], undone: [] };
  for (const step of r.plan.steps) {
    const run = r.steps.find((s) => s.id === step.id);
    const status = run?.status ?? 'pending';
    if (status === 'done') report.done.push(step.label);
    else if (status === 'undone') report.undone.push(step.label);
    else report.notDone.push(step.label);
    if (status === 'failed' && !report.failed)
      report.failed = { label: step.label, message: run?.message ?? '' };
  }
  return report;
}

export function describeReport(report: StepReport): string {
  const parts: string[] = [];
  if (report.failed) parts.push(`Failed: ${report.failed.label}: ${report.failed.message}`);
  if (report.done.length > 0) parts.push(`Done: ${report.done.join('; ')}`);
  if (report.undone.length > 0) parts.push(`Undone: ${report.undone.join('; ')}`);
  if (report.notDone.length > 0) parts.push(`Not done: ${report.notDone.join('; ')}`);
  return parts.join('. ');
}
