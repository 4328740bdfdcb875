/**
 * Views of guarded actions (heal, backfill, rollback, self-heal control): the plan in a
 * confirmation modal, the approval request in the channel, the progress message in its thread.
 * Pure: data in, Block Kit out.
 */
import type { Checkboxes, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { Plan, PlanStep } from '../domain/plan.js';
import { type NumberedStep, stepSlots } from '../domain/plan-selection.js';
import type { GuardedRequest, RequestState, StepRun } from '../domain/requests.js';
import { blocks as blockIds, actions as ids, stepGroupBlockId } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  clip,
  context,
  divider,
  esc,
  escLine,
  fitLines,
  fitMessage,
  header,
  lineSections,
  mention,
  plain,
  section,
} from './common.js';
import { slackLimits } from './slack-limits.js';

const modalTitle = (text: string) => plain(text, slackLimits.viewTitle);

export function loadingModal(opts: { title: string; callbackId: string; text: string }): ModalView {
  return {
    type: 'modal',
    callback_id: clip(opts.callbackId, slackLimits.callbackId),
    title: modalTitle(opts.title),
    close: plain('Close', slackLimits.viewClose),
    blocks: [section(`:hourglass_flowing_sand: ${esc(opts.text)}`)],
  };
}

export function infoModal(opts: { title: string; callbackId: string; blocks: KnownBlock[] }): ModalView {
  return {
    type: 'modal',
    callback_id: clip(opts.callbackId, slackLimits.callbackId),
    title: modalTitle(opts.title),
    close: plain('Close', slackLimits.viewClose),
    blocks: capBlocks(opts.blocks, slackLimits.viewBlocks),
  };
}

/** Steps marked `always` run even when an earlier step fails or the run is cancelled. */
const alwaysNote = (step: PlanStep) => (step.always ? ' _(runs even if a step fails)_' : '');

/** What a step touches exactly: documents, endpoint and body, topic and message. */
export function stepTargets(step: PlanStep): string {
  const p = step.params;
  if (Array.isArray(p.ids)) return `${p.collection}: ${(p.ids as string[]).join(', ')}`;
  const t = p.trigger as
    | { type?: string; path?: string; topic?: string; body?: unknown; message?: unknown }
    | undefined;
  if (t?.type === 'http') return `POST ${p.service}${t.path} ${JSON.stringify(t.body)}`;
  if (t?.type === 'pubsub') return `topic ${t.topic} ${JSON.stringify(t.message)}`;
  return JSON.stringify(p);
}

function planBody(plan: Plan, opts: { unknown?: string[]; warnings?: string[] }): KnownBlock[] {
  const blocks: KnownBlock[] = [
    section(`*${escLine(plan.title, 300)}*: ${escLine(plan.summary.join(' · '), 1500)}`),
  ];
  if (plan.evidence?.length) {
    blocks.push(
      section(
        `*What was found*\n${fitLines(
          plan.evidence.map((e) => escLine(e, 300)),
          { maxLines: 15 },
        )}`,
      ),
    );
  }
  for (const w of opts.warnings ?? []) blocks.push(section(`:warning: ${escLine(w, 600)}`));
  if (opts.unknown?.length) {
    blocks.push(
      section(
        `:white_circle: *Could not check* (the plan may be incomplete)\n${fitLines(
          opts.unknown.map((u) => escLine(u, 300)),
          { maxLines: 8 },
        )}`,
      ),
    );
  }
  return blocks;
}

/** A step in full, for the modal's text and the dry run: number, label, exactly what it touches. */
const stepDetail = ({ n, step }: NumberedStep, max: number) =>
  `*${n}.* ${step.destructive ? ':warning: ' : ''}${escLine(step.label, max / 2)}${alwaysNote(step)}\n      \`${escLine(stepTargets(step), max / 2)}\``;

/**
 * Characters per step line in messages, so that every step of a long plan is listed within
 * `msg_blocks_too_long` with room left for the rest of the message (a missing step is worse than a
 * clipped label).
 */
const perStep = (steps: number, most: number) =>
  Math.max(60, Math.min(most, Math.floor((slackLimits.messageBlockText * 0.6) / Math.max(1, steps))));

/** A checkbox option (75 characters each for text and description); its value is the step's id. */
function stepOption({ n, step }: NumberedStep) {
  const head = `${n}. ${step.destructive ? ':warning: ' : ''}`;
  return {
    text: {
      type: 'mrkdwn' as const,
      text: `${head}${escLine(step.label, slackLimits.optionText - head.length)}`,
    },
    description: plain(stepTargets(step), slackLimits.optionDescription),
    value: step.id,
  };
}

/** Options would clip the label or targets of these steps: show them in full above their group. */
const clipped = (steps: NumberedStep[]) =>
  steps.filter(
    ({ n, step }) =>
      esc(step.label).length + `${n}. :warning: `.length > slackLimits.optionText ||
      stepTargets(step).length > slackLimits.optionDescription,
  );

/** One checkbox group, all ticked; preceded by the full text of any step its options had to clip. */
function stepGroup(index: number, steps: NumberedStep[], total: number): KnownBlock[] {
  const options = steps.map(stepOption);
  const first = steps[0]!.n;
  const last = steps.at(-1)!.n;
  const element: Checkboxes = {
    type: 'checkboxes',
    action_id: blockIds.stepsInput,
    options,
    initial_options: options,
  };
  const full = clipped(steps);
  return [
    ...(full.length > 0
      ? [
          section(
            fitLines(
              full.map((s) => stepDetail(s, 500)),
              { maxLines: 10 },
            ),
          ),
        ]
      : []),
    {
      type: 'input',
      block_id: stepGroupBlockId(index),
      label: plain(
        first === last ? `Step ${first} of ${total}` : `Steps ${first}–${last} of ${total}`,
        slackLimits.inputLabel,
      ),
      ...(index === 0
        ? {
            hint: plain(
              'Untick a step to leave it out. :warning: marks destructive steps: snapshotted first, undoable.',
              slackLimits.inputHint,
            ),
          }
        : {}),
      element,
    },
  ];
}

/** A step that must run: text, not an option, so it cannot be unticked. */
const fixedStep = (s: NumberedStep): KnownBlock =>
  section(
    `:lock: ${stepDetail(s, 500)}\n_Always runs (even if a step fails or the run is cancelled); it cannot be left out._`,
  );

/**
 * The confirmation modal: evidence, then every step in order, optional ones as checkboxes in groups
 * of at most ten (Slack's limit per group), those that must run as fixed text. The submission reads
 * the ticks of every group (src/domain/plan-selection.ts).
 */
export function planModal(
  plan: Plan,
  opts: {
    callbackId: string;
    submitLabel: string;
    metadata: string;
    unknown?: string[];
    warnings?: string[];
  },
): ModalView {
  const total = plan.steps.length;
  const steps = stepSlots(plan, slackLimits.checkboxOptions).flatMap((slot) =>
    slot.kind === 'fixed' ? [fixedStep(slot.step)] : stepGroup(slot.index, slot.steps, total),
  );
  const blocks: KnownBlock[] = [
    ...planBody(plan, opts),
    divider(),
    section(`*Steps, in order* (${total})`),
    ...steps,
    {
      type: 'input',
      block_id: blockIds.reason,
      optional: true,
      label: plain('Why (for the approver and the audit log)', slackLimits.inputLabel),
      element: { type: 'plain_text_input', action_id: blockIds.reasonInput, max_length: 300 },
    },
    context(`plan \`${plan.hash.slice(0, 12)}\``),
  ];
  return {
    type: 'modal',
    callback_id: clip(opts.callbackId, slackLimits.callbackId),
    title: modalTitle(plan.title),
    submit: plain(opts.submitLabel, slackLimits.viewSubmit),
    close: plain('Cancel', slackLimits.viewClose),
    private_metadata: clip(opts.metadata, slackLimits.privateMetadata),
    blocks: capBlocks(blocks, slackLimits.viewBlocks),
  };
}

/** `--dry-run`: the plan as a message, every step with what it touches, nothing stored. */
export function planMessage(
  plan: Plan,
  opts: { unknown?: string[]; warnings?: string[] } = {},
): KnownBlock[] {
  const max = perStep(plan.steps.length, 600);
  const steps = plan.steps.map((step, i) => stepDetail({ n: i + 1, step }, max - 40));
  const listed = lineSections(steps, { head: `*Steps* (${plan.steps.length})`, lineMax: max });
  return fitMessage(
    capBlocks([
      header(`Dry run: ${plan.title}`),
      ...planBody(plan, opts),
      ...listed,
      context('Dry run: nothing was changed or stored. Run the command without `--dry-run` to go ahead.'),
    ]),
    { protect: (b) => listed.includes(b as SectionBlock) },
  );
}

const stateLabel: Record<RequestState, string> = {
  pending_approval: ':hourglass: waiting for approval',
  approved: ':white_check_mark: approved',
  running: ':arrows_counterclockwise: running',
  succeeded: ':white_check_mark: succeeded',
  failed: ':x: failed',
  interrupted: ':warning: interrupted',
  rejected: ':no_entry_sign: rejected',
  expired: ':hourglass: expired',
  cancelled: ':stop_sign: cancelled',
  undone: ':leftwards_arrow_with_hook: undone',
};

/** What a shutdown did to the run: handed over and waiting for another instance, or resumed by one. */
function handOverNote(r: GuardedRequest, state: RequestState): string | undefined {
  if (!r.handedOverBy) return undefined;
  const from = `\`${escLine(r.handedOverBy, 100)}\``;
  if (r.runner === r.handedOverBy) {
    return state === 'interrupted'
      ? `:arrows_counterclockwise: Handed over: instance ${from} shut down mid-step; another instance resumes it on its own.`
      : undefined;
  }
  return `:arrows_counterclockwise: Handed over by instance ${from} at its shutdown; resumed by \`${escLine(r.runner ?? 'another instance', 100)}\`.`;
}

const requestValue = (r: GuardedRequest) => JSON.stringify({ id: r.id, hash: r.planHash });

/** The approval request posted in the channel; its buttons go once it is decided. */
export function approvalMessage(
  r: GuardedRequest,
  opts: { state: RequestState; approvers: string; reason?: string },
): KnownBlock[] {
  const max = perStep(r.plan.steps.length, 300);
  const steps = r.plan.steps.map(
    (s, i) => `${i + 1}. ${s.destructive ? ':warning: ' : ''}${escLine(s.label, max - 45)}${alwaysNote(s)}`,
  );
  // A reason may hold newlines: quote each line, or the rest would read as the bot's own text.
  // The stored one is shown on every render (each chat.update replaces the whole message).
  const typed = opts.reason ?? r.reason;
  const listed = lineSections(steps, { head: '*Steps*', lineMax: max, maxSections: 4 });
  const reason = typed ? `\n> ${esc(typed).replaceAll('\n', '\n> ')}` : '';
  const blocks: KnownBlock[] = [
    header(
      `${r.plan.title}: ${opts.state === 'pending_approval' ? 'approval needed' : opts.state.replace('_', ' ')}`,
    ),
    section(
      `${mention(r.requester)} asks to run *${escLine(r.plan.title, 300)}* (${escLine(r.plan.summary.join(' · '), 1500)}).${reason}`,
    ),
    ...listed,
  ];
  if (opts.state === 'pending_approval') {
    blocks.push(
      section(
        `Approvers: ${opts.approvers}. Expires <!date^${Math.floor(r.expiresAt.getTime() / 1000)}^{time}|${r.expiresAt.toISOString()}>.`,
      ),
    );
    blocks.push(
      actions('approval', [
        button('Approve', ids.approve, requestValue(r), {
          style: 'primary',
          confirm: {
            title: 'Approve and run?',
            text: `This runs ${r.plan.steps.length} step(s) of *${escLine(r.plan.title, 200)}* now.`,
            confirm: 'Approve',
          },
        }),
        button('Reject', ids.reject, requestValue(r), {
          style: 'danger',
          confirm: { title: 'Reject?', text: `Reject *${escLine(r.plan.title, 200)}*?`, confirm: 'Reject' },
        }),
      ]),
    );
  } else {
    const by =
      r.approver && opts.state !== 'rejected'
        ? ` by ${mention(r.approver)}`
        : r.closedBy
          ? ` by ${mention(r.closedBy)}`
          : '';
    blocks.push(context(`${stateLabel[opts.state]}${by} · progress in the thread`));
  }
  blocks.push(context(`request \`${esc(r.id.slice(0, 8))}\` · plan \`${esc(r.planHash.slice(0, 12))}\``));
  return fitMessage(capBlocks(blocks), { protect: (b) => listed.includes(b as SectionBlock) });
}

const stepEmoji: Record<StepRun['status'], string> = {
  pending: ':white_circle:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  undone: ':leftwards_arrow_with_hook:',
};

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000
    ? ` (${ms} ms)`
    : ms < 120_000
      ? ` (${(ms / 1000).toFixed(1)} s)`
      : ` (${Math.round(ms / 60_000)} min)`;
}

/** The message in the request's thread, updated as each step starts and ends. */
export function progressMessage(
  r: GuardedRequest,
  state: RequestState,
  extra: { lines?: string[] } = {},
): KnownBlock[] {
  const max = perStep(r.plan.steps.length, 600);
  const lines = r.plan.steps.map((step, i) => {
    const run = r.steps.find((s) => s.id === step.id);
    const status = run?.status ?? 'pending';
    // A done step may summarize its result (e.g. a backfill's closing checks).
    const summary =
      run?.status === 'done' &&
      run.undoData &&
      typeof run.undoData === 'object' &&
      !Array.isArray(run.undoData)
        ? (run.undoData as { summary?: unknown }).summary
        : undefined;
    const note = run?.message ?? (typeof summary === 'string' && summary ? summary : undefined);
    const msg = note ? ` · ${escLine(note, max / 2)}` : '';
    return `${stepEmoji[status]} ${i + 1}. ${escLine(step.label, max / 2 - 60)}${alwaysNote(step)}${duration(run?.durationMs)}${msg}`;
  });
  const listed = lineSections(lines, { lineMax: max, maxSections: 4 });
  const done = r.steps.filter((s) => s.status === 'done').length;
  const title = `${r.plan.title}: ${state === 'running' && r.mode === 'undo' ? 'undoing' : state.replace('_', ' ')}`;
  const blocks: KnownBlock[] = [
    header(title),
    section(
      `${stateLabel[state]} · ${done} of ${r.plan.steps.length} steps done${r.approver ? ` · approved by ${mention(r.approver)}` : ''}`,
    ),
    ...listed,
  ];
  for (const l of extra.lines ?? []) blocks.push(section(l));
  const handOver = handOverNote(r, state);
  if (handOver) blocks.push(context(handOver));
  if (state === 'failed' || state === 'interrupted') {
    const notDone = r.plan.steps
      .filter((s) => r.steps.find((x) => x.id === s.id)?.status !== 'done')
      .map((s) => s.label);
    if (notDone.length) blocks.push(context(`Not done: ${escLine(notDone.join('; '), 2000)}`));
  }
  const value = requestValue(r);
  const buttons = [];
  if (state === 'failed')
    buttons.push(button('Retry from the failed step', ids.retry, value, { style: 'primary' }));
  if (state === 'interrupted') buttons.push(button('Resume', ids.resume, value, { style: 'primary' }));
  if (state === 'running' && r.mode === 'run') {
    buttons.push(
      button('Cancel', ids.cancel, value, {
        style: 'danger',
        confirm: { title: 'Stop?', text: 'Stop before the next step?', confirm: 'Stop' },
      }),
    );
  }
  const undoable = r.plan.steps.some(
    (s) =>
      s.undoable &&
      r.steps.find(
        (x) => x.id === s.id && (x.status === 'done' || (x.status === 'failed' && x.snapshot !== undefined)),
      ),
  );
  if ((state === 'succeeded' || state === 'failed' || state === 'cancelled') && undoable) {
    buttons.push(
      button('Undo', ids.undo, value, {
        style: 'danger',
        confirm: {
          title: 'Undo?',
          text: 'Restore what the done steps changed, from their snapshots?',
          confirm: 'Undo',
        },
      }),
    );
  }
  if (buttons.length) blocks.push(actions('progress', buttons));
  blocks.push(context(`request \`${esc(r.id.slice(0, 8))}\` · plan \`${esc(r.planHash.slice(0, 12))}\``));
  return fitMessage(capBlocks(blocks), { protect: (b) => listed.includes(b as SectionBlock) });
}

/** The message's top-level `text` (notifications): mrkdwn too, so escaped. */
export function requestFallback(r: GuardedRequest, state: RequestState): string {
  return `${escLine(r.plan.title, 200)}: ${state.replace('_', ' ')}`;
}
