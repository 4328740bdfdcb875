/**
 * Which of a plan's steps a person may leave out, and the plan they confirmed. The confirmation
 * modal offers the optional steps as checkboxes in groups (a group holds a limited number of
 * options) and shows steps that must always run as fixed text; the submission gathers the ticked
 * steps of every group and rebuilds the plan from the stored draft, never from the modal.
 */
import { type Plan, type PlanStep, planHashMatches, withoutSteps } from './plan.js';
import { accept, type Outcome, refuse } from './result.js';

/** A step with its 1-based position in the plan, as the modal numbers it. */
export interface NumberedStep {
  n: number;
  step: PlanStep;
}

/** In plan order: a run of optional steps (one checkbox group), or one step that always runs. */
export type StepSlot =
  | { kind: 'group'; index: number; steps: NumberedStep[] }
  | { kind: 'fixed'; step: NumberedStep };

/**
 * The plan's steps in order, optional ones in groups of at most `groupSize`, `always` steps on their
 * own: they run even when an earlier step fails, so they are not the person's to untick.
 */
export function stepSlots(plan: Plan, groupSize: number): StepSlot[] {
  const slots: StepSlot[] = [];
  let group: NumberedStep[] = [];
  let groups = 0;
  const close = () => {
    if (group.length > 0) slots.push({ kind: 'group', index: groups++, steps: group });
    group = [];
  };
  plan.steps.forEach((step, i) => {
    if (step.always) {
      close();
      slots.push({ kind: 'fixed', step: { n: i + 1, step } });
      return;
    }
    group.push({ n: i + 1, step });
    if (group.length === groupSize) close();
  });
  close();
  return slots;
}

/** The checkbox groups' state as a view submission carries it, reduced to what is read here. */
export type SubmittedValues = Record<
  string,
  Record<string, { selected_options?: { value: string }[] | null }>
>;

/**
 * The step ids ticked in every group (each group's element has `actionId`), and whether the modal
 * offered any group at all (a plan of `always` steps only has nothing to tick).
 */
export function tickedSteps(
  values: SubmittedValues,
  actionId: string,
): { offered: boolean; ticked: string[] } {
  const groups = Object.values(values).flatMap((block) => (block[actionId] ? [block[actionId]] : []));
  const ticked = groups.flatMap((g) => (g.selected_options ?? []).map((o) => o.value));
  return { offered: groups.length > 0, ticked };
}

/**
 * The stored plan without the optional steps left unticked, rehashed. Refused when nothing optional
 * is ticked, when a ticked id is not in the plan (a modal of another plan), when the stored plan does
 * not match its own hash, or if an `always` step would be lost.
 */
export function selectSteps(plan: Plan, ticked: readonly string[]): Outcome<Plan> {
  if (!planHashMatches(plan)) {
    return refuse(
      'plan_changed',
      'This plan has changed since it was shown. Close this and run the command again.',
    );
  }
  const ids = new Set(plan.steps.map((s) => s.id));
  const unknown = ticked.filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    return refuse(
      'plan_changed',
      'This form shows steps of another plan. Close this and run the command again.',
    );
  }
  const keep = new Set(ticked);
  const optional = plan.steps.filter((s) => !s.always);
  if (optional.length > 0 && !optional.some((s) => keep.has(s.id))) {
    return refuse('nothing_ticked', 'Tick at least one step.');
  }
  const final = withoutSteps(
    plan,
    optional.filter((s) => !keep.has(s.id)).map((s) => s.id),
  );
  const kept = new Set(final.steps.map((s) => s.id));
  const lost = plan.steps.filter((s) => s.always && !kept.has(s.id));
  if (lost.length > 0) {
    return refuse(
      'always_step_lost',
      `The plan would lose a step that must always run (${lost.map((s) => s.label).join('; ')}). Run the command again.`,
    );
  }
  return accept(final);
}
