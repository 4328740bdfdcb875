/** Block Kit building blocks shared by the views, and Slack's limits. */
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { Health } from '../domain/status.js';

/** docs.slack.dev/reference/block-kit/blocks: 50 blocks a message, 100 a modal, 3,000 chars a section text. */
export const limits = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  fieldText: 2000,
  fields: 10,
  actionElements: 25,
  contextElements: 10,
} as const;

export const healthEmoji: Record<Health, string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  fail: ':red_circle:',
  unknown: ':white_circle:',
};

/** Escape the three characters mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function link(url: string | undefined, label: string): string {
  return url ? `<${url}|${esc(label).replaceAll('|', '¦')}>` : esc(label);
}

export const header = (text: string): HeaderBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, limits.headerText), emoji: true },
});

export const section = (text: string): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text, limits.sectionText) },
});

export const context = (...texts: string[]): ContextBlock => ({
  type: 'context',
  elements: texts.slice(0, limits.contextElements).map((t) => ({ type: 'mrkdwn', text: clip(t, 3000) })),
});

export const divider = (): KnownBlock => ({ type: 'divider' });

export function button(
  text: string,
  actionId: string,
  value: string,
  opts: {
    style?: 'primary' | 'danger';
    confirm?: { title: string; text: string; confirm: string; deny?: string };
  } = {},
): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: clip(text, limits.buttonText), emoji: true },
    action_id: actionId,
    value: clip(value, 2000),
    ...(opts.style ? { style: opts.style } : {}),
    ...(opts.confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: opts.confirm.title },
            text: { type: 'mrkdwn', text: opts.confirm.text },
            confirm: { type: 'plain_text', text: opts.confirm.confirm },
            deny: { type: 'plain_text', text: opts.confirm.deny ?? 'Cancel' },
            ...(opts.style === 'danger' ? { style: 'danger' as const } : {}),
          },
        }
      : {}),
  };
}

export function actions(blockId: string | undefined, elements: Button[]): ActionsBlock {
  return {
    type: 'actions',
    ...(blockId ? { block_id: blockId } : {}),
    elements: elements.slice(0, limits.actionElements),
  };
}

/**
 * Lines joined into one section text that never exceeds Slack's limit: lines that do not
 * fit are summarized as "…and N more" so a long list degrades instead of failing.
 */
export function fitLines(
  lines: string[],
  opts: { maxChars?: number; maxLines?: number; more?: (n: number) => string } = {},
): string {
  const maxChars = opts.maxChars ?? limits.sectionText - 100;
  const maxLines = opts.maxLines ?? 20;
  const more = opts.more ?? ((n: number) => `_…and ${n} more_`);
  const out: string[] = [];
  let size = 0;
  for (const [i, line] of lines.entries()) {
    const l = clip(line, 600);
    if (out.length >= maxLines || size + l.length + 1 > maxChars) {
      out.push(more(lines.length - i));
      break;
    }
    out.push(l);
    size += l.length + 1;
  }
  return out.join('\n');
}

/** Cap a message at Slack's block limit, replacing the tail with a note. */
export function capBlocks(blocks: KnownBlock[], max: number = limits.messageBlocks): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  return [...kept, context(`_${blocks.length - kept.length} more blocks not shown_`)];
}
