import { describe, expect, it } from 'vitest';
import { makePlan, type Plan, type PlanStep } from '../../src/domain/plan.js';
import { selectSteps, stepSlots, tickedSteps } from '../../src/domain/plan-selection.js';

const step = (id: string, extra: Partial<PlanStep> = {}): PlanStep => ({
  id,
  action: 'trigger_phase',
  label: `Step ${id}`,
  destructive: false,
  undoable: false,
  params: { phase: id },
  ...extra,
});

/** A heal during the self-heal window: pause, clear, 10 triggers, resume (always): 13 steps. */
function plan13(): Plan {
  return makePlan({
    kind: 'heal',
    title: 'Heal 2026-01-20',
    subject: '2026-01-20',
    summary: ['13 steps'],
    steps: [
      step('pause-self-heal', { action: 'pause_scheduler' }),
      step('clear-run-history', { action: 'clear_run_history', destructive: true, undoable: true }),
      ...Array.from({ length: 10 }, (_, i) => step(`trigger-p${i + 1}`)),
      step('resume-self-heal', { action: 'resume_scheduler', always: true }),
    ],
  });
}

describe('step slots', () => {
  it('groups optional steps by ten in plan order and keeps always-steps out of every group', () => {
    const plan = plan13();
    const slots = stepSlots(plan, 10);
    expect(slots.map((s) => (s.kind === 'group' ? s.steps.map((x) => x.n) : [`fixed ${s.step.n}`]))).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [11, 12],
      ['fixed 13'],
    ]);
    const grouped = slots.flatMap((s) => (s.kind === 'group' ? s.steps.map((x) => x.step.id) : []));
    expect(grouped).not.toContain('resume-self-heal');
    expect(slots.filter((s) => s.kind === 'group').map((s) => (s.kind === 'group' ? s.index : -1))).toEqual([
      0, 1,
    ]);
  });

  it('closes a group at an always-step so the order shown is the order run', () => {
    const plan = makePlan({
      kind: 'heal',
      title: 't',
      subject: 's',
      summary: [],
      steps: [step('a'), step('b', { always: true }), step('c')],
    });
    expect(stepSlots(plan, 10).map((s) => s.kind)).toEqual(['group', 'fixed', 'group']);
  });
});

describe('ticked steps', () => {
  it('gathers the ticks of every group, whatever its block id', () => {
    const values = {
      plan_steps: { plan_steps_input: { selected_options: [{ value: 'a' }, { value: 'b' }] } },
      plan_steps_2: { plan_steps_input: { selected_options: [{ value: 'k' }] } },
      plan_reason: { plan_reason_input: {} },
    };
    expect(tickedSteps(values, 'plan_steps_input')).toEqual({ offered: true, ticked: ['a', 'b', 'k'] });
    expect(tickedSteps({ plan_reason: { plan_reason_input: {} } }, 'plan_steps_input')).toEqual({
      offered: false,
      ticked: [],
    });
  });
});

describe('select steps', () => {
  it('keeps the 11th and later steps ticked in the second group, and the always-step unticked', () => {
    const plan = plan13();
    const ticked = plan.steps.filter((s) => !s.always && s.id !== 'trigger-p3').map((s) => s.id);
    const final = selectSteps(plan, ticked);
    expect(final.ok).toBe(true);
    if (!final.ok) return;
    expect(final.value.steps.map((s) => s.id)).toEqual(
      plan.steps.map((s) => s.id).filter((id) => id !== 'trigger-p3'),
    );
    expect(final.value.steps.at(-1)).toMatchObject({ id: 'resume-self-heal', always: true });
    expect(final.value.hash).not.toBe(plan.hash);
  });

  it('keeps an always-step even when the submission does not name it', () => {
    const plan = plan13();
    const final = selectSteps(plan, ['trigger-p10']);
    expect(final.ok && final.value.steps.map((s) => s.id)).toEqual(['trigger-p10', 'resume-self-heal']);
  });

  it('refuses nothing ticked, a step of another plan, and a stored plan that does not match its hash', () => {
    const plan = plan13();
    expect(selectSteps(plan, [])).toMatchObject({ ok: false, reason: { code: 'nothing_ticked' } });
    expect(selectSteps(plan, ['resume-self-heal'])).toMatchObject({
      ok: false,
      reason: { code: 'nothing_ticked' },
    });
    expect(selectSteps(plan, ['trigger-p1', 'trigger-p99'])).toMatchObject({
      ok: false,
      reason: { code: 'plan_changed' },
    });
    // A stored draft whose always flag was lost (or edited) no longer matches the hash it was shown with.
    const tampered: Plan = { ...plan, steps: plan.steps.map(({ always: _, ...s }) => s) };
    expect(selectSteps(tampered, ['trigger-p1'])).toMatchObject({
      ok: false,
      reason: { code: 'plan_changed' },
    });
  });

  it('accepts a plan of always-steps only with nothing ticked', () => {
    const plan = makePlan({
      kind: 'self-heal',
      title: 't',
      subject: 's',
      summary: [],
      steps: [step('resume', { always: true })],
    });
    expect(selectSteps(plan, []).ok).toBe(true);
  });
});
