/** Block Kit building blocks shared by the views; every clamp goes through Slack's limits (slack-limits.ts). */
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import type { Health } from '../domain/status.js';
import { slackLimits } from './slack-limits.js';

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

/** At most `max` UTF-16 units (Slack's count is never larger), ending in "…"; never splits an emoji's surrogate pair. */
export function clip(text: string, max: number): string {
  const most = Math.max(1, Math.floor(max));
  if (text.length <= most) return text;
  let end = most - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** `esc` then `clip`, never leaving half an entity (`&am…`) at the cut. */
export function escClip(text: string, max: number): string {
  const clipped = clip(esc(text), max);
  const amp = clipped.lastIndexOf('&');
  return amp >= 0 && !clipped.includes(';', amp) ? `${clipped.slice(0, amp)}…` : clipped;
}

/**
 * One list line from text that may hold newlines (log lines, messages, labels): newlines become
 * " ⏎ " so a line cannot pose as the next item or break the list, then escaped and clipped.
 */
export function escLine(text: string, max: number): string {
  return escClip(text.replace(/\s*\r?\n\s*/g, ' ⏎ '), max);
}

/** Text objects must hold at least one character (BK text object). */
const nonEmpty = (text: string) => (text.length > 0 ? text : '–');

/** A plain_text object clipped to `max`: plain text is shown as is, so it needs no escaping. */
export const plain = (text: string, max: number): PlainTextElement => ({
  type: 'plain_text',
  text: clip(nonEmpty(text), max),
  emoji: true,
});

/** A user mention, only for something shaped like a Slack user id; anything else is shown as escaped code. */
export function mention(id: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(id) ? `<@${id}>` : `\`${esc(id)}\``;
}

/** A mrkdwn link; a URL that could break out of `<…|…>` (or is too long) is left out and only the label shown. */
export function link(url: string | undefined, label: string): string {
  const safe = url !== undefined && url.length <= slackLimits.url && /^https?:\/\/[^\s<>|]+$/.test(url);
  return safe ? `<${url}|${esc(label).replaceAll('|', '¦')}>` : esc(label);
}

export const header = (text: string): HeaderBlock => ({
  type: 'header',
  text: plain(text, slackLimits.headerText),
});

export const section = (text: string): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(nonEmpty(text), slackLimits.sectionText) },
});

/** Context elements past Slack's count are joined into the last one rather than dropped. */
export function context(...texts: string[]): ContextBlock {
  const max = slackLimits.contextElements;
  const kept = texts.length <= max ? texts : [...texts.slice(0, max - 1), texts.slice(max - 1).join(' · ')];
  return {
    type: 'context',
    elements: kept.map((t) => ({ type: 'mrkdwn', text: clip(nonEmpty(t), slackLimits.textObject) })),
  };
}

export const divider = (): KnownBlock => ({ type: 'divider' });

/** A confirmation dialog; `text` is mrkdwn the caller has escaped. */
export interface Confirm {
  title: string;
  text: string;
  confirm: string;
  deny?: string;
}

export function button(
  text: string,
  actionId: string,
  value: string,
  opts: { style?: 'primary' | 'danger'; confirm?: Confirm } = {},
): Button {
  const c = opts.confirm;
  return {
    type: 'button',
    text: plain(text, slackLimits.buttonText),
    action_id: clip(actionId, slackLimits.actionId),
    value: clip(value, slackLimits.buttonValue),
    ...(opts.style ? { style: opts.style } : {}),
    ...(c
      ? {
          confirm: {
            title: plain(c.title, slackLimits.confirmTitle),
            text: { type: 'mrkdwn', text: clip(nonEmpty(c.text), slackLimits.confirmText) },
            confirm: plain(c.confirm, slackLimits.confirmButton),
            deny: plain(c.deny ?? 'Cancel', slackLimits.confirmButton),
            ...(opts.style === 'danger' ? { style: 'danger' as const } : {}),
          },
        }
      : {}),
  };
}

export function actions(blockId: string | undefined, elements: Button[]): ActionsBlock {
  return {
    type: 'actions',
    ...(blockId ? { block_id: clip(blockId, slackLimits.blockId) } : {}),
    elements: elements.slice(0, slackLimits.actionsElements),
  };
}

const defaultMore = (n: number) => `_…and ${n} more_`;
/** Room kept in a section for the "…and N more" line. */
const moreRoom = 100;

/**
 * Lines joined into one section text that never exceeds Slack's limit: lines that do not
 * fit are summarized as "…and N more" so a long list degrades instead of failing.
 */
export function fitLines(
  lines: string[],
  opts: { maxChars?: number; maxLines?: number; more?: (n: number) => string } = {},
): string {
  const maxChars = opts.maxChars ?? slackLimits.sectionText - moreRoom;
  const maxLines = opts.maxLines ?? 20;
  const more = opts.more ?? defaultMore;
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

/**
 * Lines over as many sections as they need (up to `maxSections`), so a long list is shown whole;
 * each line is clipped to `lineMax`, and what still does not fit is summarized by `more`.
 */
export function lineSections(
  lines: string[],
  opts: { head?: string; lineMax?: number; maxSections?: number; more?: (n: number) => string } = {},
): SectionBlock[] {
  const maxChars = slackLimits.sectionText - moreRoom;
  const chunks: string[][] = [opts.head ? [opts.head] : []];
  let size = opts.head?.length ?? 0;
  for (const [i, line] of lines.entries()) {
    const l = clip(line, opts.lineMax ?? 600);
    if (size + l.length + 1 > maxChars) {
      if (chunks.length >= (opts.maxSections ?? 5)) {
        chunks.at(-1)!.push((opts.more ?? defaultMore)(lines.length - i));
        break;
      }
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(l);
    size += l.length + 1;
  }
  return chunks.filter((c) => c.length > 0).map((c) => section(c.join('\n')));
}

/** Cap a message at Slack's block limit, replacing the tail with a note. */
export function capBlocks(blocks: KnownBlock[], max: number = slackLimits.messageBlocks): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  return [...kept, context(`_${blocks.length - kept.length} more blocks not shown_`)];
}

/**
 * All text of some blocks, as `chat.postMessage` counts it for `msg_blocks_too_long`: every `text`
 * string at any depth (section, fields, context, buttons, confirm dialogs, options). Counting the
 * button and dialog texts too keeps us on the strict side of an undocumented limit.
 */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + blockTextLength(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const [k, v] of Object.entries(value))
    n += k === 'text' && typeof v === 'string' ? v.length : blockTextLength(v);
  return n;
}

/** Counts folded into a "…and N more" note (ours, or a status tail), so cutting a list keeps its total right. */
const moreCount = (line: string) => Number(/^(?:\S+ )?_…?and (\d+) more/.exec(line)?.[1] ?? 1);

/** The section's text cut to `target` characters or less from the end, line by line, with a note. */
function shrinkSection(text: string, target: number, more: (n: number) => string): string {
  const lines = text.split('\n');
  let dropped = 0;
  while (lines.length > 1) {
    if (dropped > 0 && lines.join('\n').length + more(dropped).length + 1 <= target) break;
    dropped += moreCount(lines.pop()!);
  }
  return dropped > 0 ? `${lines.join('\n')}\n${more(dropped)}` : text;
}

/** True when no block outside `exhausted` can be shortened any more. */
const nothingLeft = (blocks: KnownBlock[], exhausted: Set<number>) =>
  blocks.every((b, i) => exhausted.has(i) || shrinkable(b) <= 0);

const shrinkable = (b: KnownBlock) =>
  b.type === 'section' && b.text?.type === 'mrkdwn' && b.text.text.includes('\n') ? b.text.text.length : -1;

/**
 * A message kept under `msg_blocks_too_long` (slackLimits.messageBlockText). While its text is too
 * long, the longest multi-line section (the later one on a tie: views put what matters first) loses
 * lines from its end down to the next longest, so every section keeps its head; the lines cut become
 * "…and N more" (`more` says where to see them, by block index). If that is not enough, blocks go
 * from the end, keeping the last one (the actions or the context).
 */
export function fitMessage(
  blocks: KnownBlock[],
  opts: {
    max?: number;
    more?: (n: number, index: number) => string;
    /** Blocks shortened only once every other one is as short as it gets (e.g. a plan's steps). */
    protect?: (block: KnownBlock) => boolean;
  } = {},
): KnownBlock[] {
  const max = opts.max ?? slackLimits.messageBlockText;
  const more = opts.more ?? defaultMore;
  const out = [...blocks];
  const protectedIds = out.map((_, i) => i).filter((i) => opts.protect?.(out[i]!));
  const exhausted = new Set<number>(protectedIds);
  let over = blockTextLength(out) - max;
  while (over > 0) {
    if (nothingLeft(out, exhausted) && protectedIds.length > 0) {
      for (const i of protectedIds) exhausted.delete(i);
      protectedIds.length = 0;
    }
    const lengths = out.map((b, i) => (exhausted.has(i) ? -1 : shrinkable(b)));
    const longest = Math.max(...lengths);
    if (longest <= 0) break;
    const pick = lengths.lastIndexOf(longest);
    const next = Math.max(...lengths.filter((_, i) => i !== pick), 0);
    const target = Math.max(longest - over, Math.min(next, longest - 1));
    const b = out[pick] as SectionBlock;
    const text = shrinkSection(b.text!.text, target, (n) => more(n, pick));
    if (text.length >= longest) exhausted.add(pick);
    else out[pick] = { ...b, text: { type: 'mrkdwn', text } };
    over = blockTextLength(out) - max;
  }
  let removed = 0;
  while (over > 0 && out.length > 2) {
    out.splice(-2, 1);
    removed += 1;
    const note = context(`_${removed} more blocks not shown (message size limit)_`);
    over = blockTextLength([...out, note]) - max;
    if (over <= 0) out.splice(-1, 0, note);
  }
  return out;
}
