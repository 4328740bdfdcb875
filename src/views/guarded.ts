/**
 * Views of guarded actions (heal, backfill, rollback, self-heal control): the plan in a
 * confirmation modal, the approval request in the channel, the progress message in its thread.
 * Pure: data in, Block Kit out.
 */
import type { KnownBlock, ModalView } from '@slack/types';
import type { Plan } from '../domain/plan.js';
import type { GuardedRequest, RequestState, StepRun } from '../domain/requests.js';
import { blocks as blockIds, actions as ids } from '../ids.js';
import {
  actions,
  button,
  capBlocks,
  clip,
  context,
  divider,
  esc,
  fitLines,
  header,
  section,
} from './common.js';

/** Modal titles are limited to 24 characters. */
const modalTitle = (text: string) => ({ type: 'plain_text' as const, text: clip(text, 24) });

export function loadingModal(opts: { title: string; callbackId: string; text: string }): ModalView {
  return {
    type: 'modal',
    callback_id: opts.callbackId,
    title: modalTitle(opts.title),
    close: { type: 'plain_text', text: 'Close' },
    blocks: [section(`:hourglass_flowing_sand: ${esc(opts.text)}`)],
  };
}

export function infoModal(opts: { title: string; callbackId: string; blocks: KnownBlock[] }): ModalView {
  return {
    type: 'modal',
    callback_id: opts.callbackId,
    title: modalTitle(opts.title),
    close: { type: 'plain_text', text: 'Close' },
    blocks: capBlocks(opts.blocks, 100),
  };
}

/** Steps marked `always` run even when an earlier step fails or the run is cancelled. */
const alwaysNote = (step: Plan['steps'][number]) => (step.always ? ' _(runs even if a step fails)_' : '');

function stepOptionText(step: Plan['steps'][number]): string {
  return `${step.destructive ? ':warning: ' : ''}*${esc(step.label)}*${step.destructive ? ' _(destructive: snapshotted first, undoable)_' : ''}${alwaysNote(step)}`;
}

/** What a step touches exactly, for its checkbox description (plain text, 150 chars max there). */
export function stepTargets(step: Plan['steps'][number]): string {
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
  const blocks: KnownBlock[] = [section(`*${esc(plan.title)}*: ${esc(plan.summary.join(' · '))}`)];
  if (plan.evidence?.length) {
    blocks.push(section(`*What was found*\n${fitLines(plan.evidence.map(esc), { maxLines: 15 })}`));
  }
  for (const w of opts.warnings ?? []) blocks.push(section(`:warning: ${esc(w)}`));
  if (opts.unknown?.length) {
    blocks.push(
      section(
        `:white_circle: *Could not check* (the plan may be incomplete)\n${fitLines(opts.unknown.map(esc), { maxLines: 8 })}`,
      ),
    );
  }
  return blocks;
}

/** The confirmation modal: evidence, then the steps as checkboxes (untick to leave one out). */
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
  const steps = plan.steps.slice(0, 10); // a checkbox group holds at most 10 options
  const options = steps.map((s) => ({
    text: { type: 'mrkdwn' as const, text: clip(stepOptionText(s), 150) },
    description: { type: 'plain_text' as const, text: clip(stepTargets(s), 150) },
    value: s.id,
  }));
  const blocks: KnownBlock[] = [
    ...planBody(plan, opts),
    divider(),
    {
      type: 'input',
      block_id: blockIds.steps,
      label: { type: 'plain_text', text: 'Steps, in order' },
      hint: {
        type: 'plain_text',
        text: 'Untick a step to leave it out. Destructive steps are snapshotted first and can be undone.',
      },
      element: { type: 'checkboxes', action_id: blockIds.stepsInput, options, initial_options: options },
    },
    {
      type: 'input',
      block_id: blockIds.reason,
      optional: true,
      label: { type: 'plain_text', text: 'Why (for the approver and the audit log)' },
      element: { type: 'plain_text_input', action_id: blockIds.reasonInput, max_length: 300 },
    },
    context(`plan \`${plan.hash.slice(0, 12)}\``),
  ];
  return {
    type: 'modal',
    callback_id: opts.callbackId,
    title: modalTitle(plan.title),
    submit: { type: 'plain_text', text: opts.submitLabel },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: opts.metadata,
    blocks,
  };
}

/** `--dry-run`: the plan as a message, nothing stored. */
export function planMessage(
  plan: Plan,
  opts: { unknown?: string[]; warnings?: string[] } = {},
): KnownBlock[] {
  const steps = plan.steps.map(
    (s, i) =>
      `${i + 1}. ${s.destructive ? ':warning: ' : ''}${esc(s.label)}${alwaysNote(s)}\n      \`${esc(clip(stepTargets(s), 200))}\``,
  );
  return capBlocks([
    header(`Dry run: ${plan.title}`),
    ...planBody(plan, opts),
    section(`*Steps*\n${fitLines(steps, { maxLines: 20 })}`),
    context('Dry run: nothing was changed or stored. Run the command without `--dry-run` to go ahead.'),
  ]);
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

const requestValue = (r: GuardedRequest) => JSON.stringify({ id: r.id, hash: r.planHash });

/** The approval request posted in the channel; its buttons go once it is decided. */
export function approvalMessage(
  r: GuardedRequest,
  opts: { state: RequestState; approvers: string; reason?: string },
): KnownBlock[] {
  const steps = r.plan.steps.map(
    (s, i) => `${i + 1}. ${s.destructive ? ':warning: ' : ''}${esc(s.label)}${alwaysNote(s)}`,
  );
  const blocks: KnownBlock[] = [
    header(
      `${r.plan.title}: ${opts.state === 'pending_approval' ? 'approval needed' : opts.state.replace('_', ' ')}`,
    ),
    section(
      `<@${r.requester}> asks to run *${esc(r.plan.title)}* (${esc(r.plan.summary.join(' · '))}).${
        opts.reason ? `\n> ${esc(opts.reason)}` : ''
      }`,
    ),
    section(`*Steps*\n${fitLines(steps, { maxLines: 12 })}`),
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
            text: `This runs ${r.plan.steps.length} step(s) of *${esc(r.plan.title)}* now.`,
            confirm: 'Approve',
          },
        }),
        button('Reject', ids.reject, requestValue(r), {
          style: 'danger',
          confirm: { title: 'Reject?', text: `Reject *${esc(r.plan.title)}*?`, confirm: 'Reject' },
        }),
      ]),
    );
  } else {
    const by =
      r.approver && opts.state !== 'rejected'
        ? ` by <@${r.approver}>`
        : r.closedBy
          ? ` by <@${r.closedBy}>`
          : '';
    blocks.push(context(`${stateLabel[opts.state]}${by} · progress in the thread`));
  }
  blocks.push(context(`request \`${r.id.slice(0, 8)}\` · plan \`${r.planHash.slice(0, 12)}\``));
  return capBlocks(blocks);
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
  const lines = r.plan.steps.map((step) => {
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
    const msg = note ? ` · ${esc(clip(note, 300))}` : '';
    return `${stepEmoji[status]} ${esc(step.label)}${alwaysNote(step)}${duration(run?.durationMs)}${msg}`;
  });
  const done = r.steps.filter((s) => s.status === 'done').length;
  const title = `${r.plan.title}: ${state === 'running' && r.mode === 'undo' ? 'undoing' : state.replace('_', ' ')}`;
  const blocks: KnownBlock[] = [
    header(title),
    section(
      `${stateLabel[state]} · ${done} of ${r.plan.steps.length} steps done${r.approver ? ` · approved by <@${r.approver}>` : ''}`,
    ),
    section(fitLines(lines, { maxLines: 20 })),
  ];
  for (const l of extra.lines ?? []) blocks.push(section(l));
  if (state === 'failed' || state === 'interrupted') {
    const notDone = r.plan.steps
      .filter((s) => r.steps.find((x) => x.id === s.id)?.status !== 'done')
      .map((s) => s.label);
    if (notDone.length) blocks.push(context(`Not done: ${esc(notDone.join('; '))}`));
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
  blocks.push(context(`request \`${r.id.slice(0, 8)}\` · plan \`${r.planHash.slice(0, 12)}\``));
  return capBlocks(blocks);
}

export function requestFallback(r: GuardedRequest, state: RequestState): string {
  return `${r.plan.title}: ${state.replace('_', ' ')}`;
}
