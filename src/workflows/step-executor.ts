/** What the engine calls to carry out, snapshot and revert one kind of plan step. */
import type { JsonValue, PlanStep } from '../domain/plan.js';
import type { GuardedRequest } from '../domain/requests.js';
import type { Probe } from '../domain/result.js';

export interface StepExecutor {
  /** Read what a destructive step will delete or overwrite; persisted into the step before run(). */
  snapshot?(step: PlanStep, request: GuardedRequest): Promise<Probe<JsonValue>>;
  /** Do the step; the value is kept as the step's undoData. Should honour `signal`. */
  run(
    step: PlanStep,
    request: GuardedRequest,
    ctx: { snapshot?: JsonValue; signal: AbortSignal },
  ): Promise<Probe<JsonValue | undefined>>;
  /**
   * For a step found `running` when a run is resumed (its runner died or handed it over
   * mid-step): whether its effect already holds, so it need not run again. `undefined`: not
   * known to hold (it runs again). Read-only.
   */
  alreadyDone?(
    step: PlanStep,
    request: GuardedRequest,
  ): Promise<Probe<{ detail: string; undoData?: JsonValue } | undefined>>;
  /** Revert the step from what was captured before it ran and what run() returned. */
  undo?(step: PlanStep, data: { snapshot?: JsonValue; undoData?: JsonValue }): Promise<Probe<unknown>>;
}

/** The abort reason of a step stopped by a person's Cancel (not by shutdown or a takeover). */
export const CANCEL_REASON = 'cancelled by a person';
