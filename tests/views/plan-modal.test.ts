/**
 * Long plans are shown whole (issue 9, item 4): a 13-step plan's modal, checked by the fake Slack's
 * validator, then submitted the way Slack would send it and read back by the submission's parser.
 */
import { describe, expect, it } from 'vitest';
import { initialState, validateView } from '../../devstack/src/local/fake-slack.js';
import { makePlan, type Plan, type PlanStep } from '../../src/domain/plan.js';
import { type SubmittedValues, selectSteps, tickedSteps } from '../../src/domain/plan-selection.js';
import { planModal } from '../../src/views/guarded.js';

const step = (id: string, extra: Partial<PlanStep> = {}): PlanStep => ({
  id,
  action: 'trigger_phase',
  label: `Trigger ${id} for 2026-01-20`,
  destructive: false,
  undoable: false,
  params: { phase: id, date: '2026-01-20' },
  ...extra,
});

/** Pause the self-heal job, clear stuck runs, trigger 10 phases, resume the job (always). */
function plan13(): Plan {
  return makePlan({
    kind: 'heal',
    title: 'Heal 2026-01-20',
    subject: '2026-01-20',
    summary: ['pause self-heal', 'clear 2 stuck runs', 'trigger 10 phases', 'resume self-heal'],
    steps: [
      step('pause-self-heal', { action: 'pause_scheduler', label: 'Pause the self-heal job' }),
      step('clear-run-history', {
        action: 'clear_run_history',
        label: 'Delete 2 stuck run_history documents',
        destructive: true,
        undoable: true,
        params: { collection: 'run_history', ids: ['phase3_2026-01-20_stuck', 'phase4_2026-01-20_stuck'] },
      }),
      ...Array.from({ length: 10 }, (_, i) => step(`phase${i + 2}`)),
      step('resume-self-heal', {
        action: 'resume_scheduler',
        label: 'Resume the self-heal job',
        always: true,
      }),
    ],
  });
}

type Block = {
  type: string;
  block_id?: string;
  element?: { options?: { value: string }[] };
  text?: { text: string };
};

const modalOf = (plan: Plan) =>
  planModal(plan, {
    callbackId: 'heal_plan',
    submitLabel: 'Request approval',
    metadata: JSON.stringify({ hash: plan.hash, channel: 'C0OPS' }),
  });

describe('plan modal of a 13-step plan', () => {
  it('is valid for Slack, offers steps 1–12 in two groups of at most 10, and shows the always-step as text', () => {
    const plan = plan13();
    const view = modalOf(plan);
    expect(validateView(view, 'modal')).toEqual([]);
    const blocks = view.blocks as Block[];
    const groups = blocks.filter((b) => b.type === 'input' && b.element?.options);
    // Slack's checkbox element holds at most 10 options (Block Kit reference, checkboxes).
    expect(groups.map((g) => g.element!.options!.length)).toEqual([10, 2]);
    expect(new Set(groups.map((g) => g.block_id)).size).toBe(2);
    const offered = groups.flatMap((g) => g.element!.options!.map((o) => o.value));
    expect(offered).toEqual(plan.steps.slice(0, 12).map((s) => s.id));
    expect(offered).not.toContain('resume-self-heal');
    const text = JSON.stringify(blocks.filter((b) => b.type === 'section'));
    expect(text).toContain('Resume the self-heal job');
    expect(text).toMatch(/13\.[^"]*Resume the self-heal job/);
  });

  it('submits the 11th and 12th steps and keeps the always-step, with one step unticked', () => {
    const plan = plan13();
    const view = modalOf(plan);
    // What Slack sends when the person unticks step 4 and submits: every group's state.
    const state = initialState(view.blocks as unknown[]) as unknown as SubmittedValues;
    const first = Object.values(state).find((b) => b.plan_steps_input)!.plan_steps_input!;
    first.selected_options = first.selected_options!.filter((o) => o.value !== 'phase3');
    const { offered, ticked } = tickedSteps(state, 'plan_steps_input');
    expect(offered).toBe(true);
    const final = selectSteps(plan, ticked);
    expect(final.ok).toBe(true);
    if (!final.ok) return;
    const ids = final.value.steps.map((s) => s.id);
    expect(ids).toHaveLength(12);
    expect(ids).not.toContain('phase3');
    expect(ids.slice(-3)).toEqual(['phase10', 'phase11', 'resume-self-heal']);
  });

  it('keeps the always-step when every group is unticked but one step of the second group', () => {
    const plan = plan13();
    const state = initialState(modalOf(plan).blocks as unknown[]) as unknown as SubmittedValues;
    const groups = Object.values(state).filter((b) => b.plan_steps_input);
    expect(groups).toHaveLength(2);
    groups[0]!.plan_steps_input!.selected_options = [];
    groups[1]!.plan_steps_input!.selected_options = [{ value: 'phase11' }];
    const final = selectSteps(plan, tickedSteps(state, 'plan_steps_input').ticked);
    expect(final.ok && final.value.steps.map((s) => s.id)).toEqual(['phase11', 'resume-self-heal']);
  });
});
