/**
 * Block Kit as readable terminal text, for the offline demo, the local console and test failure
 * messages. Pure: no I/O. Anything it does not know is shown as `[unsupported block: type]`,
 * never dropped, so a reader can tell the rendering is incomplete.
 */

type Json = Record<string, unknown>;

export interface TextOptions {
  /** Line width for dividers and field columns. Default 80. */
  width?: number;
  /** ANSI styling: bold headers, dim context, coloured buttons. Default false. */
  color?: boolean;
}

interface Ctx {
  width: number;
  style: Style;
}

interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s };
const ansi: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
};

function context(opts: TextOptions = {}): Ctx {
  return { width: opts.width ?? 80, style: opts.color ? ansi : plain };
}

/** Slack mrkdwn to plain text: links as `label (url)`, mentions as `@U123`, entities decoded; `*bold*` kept. */
export function mrkdwnToText(text: string): string {
  const replaced = text.replace(/<([^<>]+)>/g, (_whole, inner: string) => {
    const bar = inner.indexOf('|');
    const target = bar < 0 ? inner : inner.slice(0, bar);
    const label = bar < 0 ? undefined : inner.slice(bar + 1);
    if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
    if (target.startsWith('#')) return label ? `#${label}` : target;
    if (target.startsWith('!subteam^')) return label ?? `@${target.slice('!subteam^'.length)}`;
    if (target.startsWith('!date^')) return label ?? target;
    if (target.startsWith('!')) return `@${target.slice(1)}`;
    return label && label !== target ? `${label} (${target})` : target;
  });
  return replaced.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Renders a list of blocks, one or more lines each. */
export function blocksToText(blocks: unknown[], opts?: TextOptions): string {
  const ctx = context(opts);
  return blocks.flatMap((block) => renderBlock(block, ctx)).join('\n');
}

/** Renders a message: its blocks (or its text when it has none) and its attachments. */
export function messageToText(
  message: { text?: string; blocks?: unknown[]; attachments?: unknown[] },
  opts?: TextOptions,
): string {
  const ctx = context(opts);
  const lines =
    message.blocks && message.blocks.length > 0
      ? message.blocks.flatMap((b) => renderBlock(b, ctx))
      : message.text
        ? mrkdwnToText(message.text).split('\n')
        : [];
  for (const attachment of message.attachments ?? []) {
    lines.push(...renderAttachment(attachment, ctx).map((l) => `▌ ${l}`));
  }
  return lines.join('\n');
}

/** Renders a modal: title, blocks (inputs with their current values and errors), then the close and submit buttons. */
export function viewToText(view: unknown, opts?: TextOptions): string {
  const ctx = context(opts);
  if (!isRecord(view)) return '[unsupported view]';
  const title = textOf(view.title) || '(untitled)';
  const state = isRecord(view.state) && isRecord(view.state.values) ? (view.state.values as Json) : {};
  const errors = isRecord(view.errors) ? view.errors : {};
  const lines = [ctx.style.bold(`┌─ ${title} ─┐`)];
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  for (const block of blocks) {
    const blockId = isRecord(block) && typeof block.block_id === 'string' ? block.block_id : undefined;
    const blockState = blockId && isRecord(state[blockId]) ? (state[blockId] as Json) : undefined;
    lines.push(...renderBlock(block, ctx, blockState));
    const error = blockId === undefined ? undefined : errors[blockId];
    if (typeof error === 'string') lines.push(ctx.style.red(`  ! ${error}`));
  }
  const buttons: string[] = [];
  if (view.type !== 'home') buttons.push(`[${textOf(view.close) || 'Cancel'}]`);
  if (view.submit !== undefined && view.submit !== null)
    buttons.push(ctx.style.green(`[*${textOf(view.submit)}*]`));
  if (buttons.length > 0) lines.push(rule(ctx), buttons.join('  '));
  return lines.join('\n');
}

function renderBlock(block: unknown, ctx: Ctx, state?: Json): string[] {
  if (!isRecord(block)) return ['[unsupported block: not an object]'];
  const type = typeof block.type === 'string' ? block.type : '(no type)';
  switch (type) {
    case 'header': {
      const text = textOf(block.text);
      return [ctx.style.bold(text), '═'.repeat(Math.min(visibleLength(text), ctx.width))];
    }
    case 'section':
      return renderSection(block, ctx);
    case 'context': {
      const parts = (Array.isArray(block.elements) ? block.elements : []).map((e) =>
        isRecord(e) && e.type === 'image' ? `[${String(e.alt_text ?? 'image')}]` : textOf(e),
      );
      return parts
        .join('  ')
        .split('\n')
        .map((line) => ctx.style.dim(`  · ${line}`));
    }
    case 'divider':
      return [rule(ctx)];
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return [elements.map((e) => renderElement(e, ctx, elementStateOf(e, state))).join('  ')];
    }
    case 'image': {
      const title = block.title === undefined ? '' : ` ${textOf(block.title)}`;
      return [`[image: ${String(block.alt_text ?? '')}]${title}`];
    }
    case 'input':
      return renderInput(block, ctx, state);
    case 'rich_text':
      return renderRichText(block.elements);
    case 'markdown':
      return String(block.text ?? '').split('\n');
    case 'table':
      return renderTable(block);
    case 'video':
      return [`[video: ${textOf(block.title) || String(block.alt_text ?? '')}]`];
    case 'file':
      return [`[file: ${String(block.external_id ?? '')}]`];
    default:
      return [`[unsupported block: ${type}]`];
  }
}

function renderSection(block: Json, ctx: Ctx): string[] {
  const lines = block.text === undefined ? [] : textOf(block.text).split('\n');
  if (Array.isArray(block.fields)) lines.push(...columns(block.fields.map(textOf), ctx));
  if (block.accessory !== undefined) {
    const accessory = renderElement(block.accessory, ctx);
    if (lines.length === 0) lines.push(accessory);
    else lines[0] = `${lines[0]}  ${accessory}`;
  }
  return lines;
}

/** Section fields in two columns, as Slack lays them out on a wide screen. */
function columns(fields: string[], ctx: Ctx): string[] {
  const colWidth = Math.max(10, Math.floor((ctx.width - 2) / 2));
  const lines: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const left = (fields[i] ?? '').split('\n');
    const right = i + 1 < fields.length ? (fields[i + 1] ?? '').split('\n') : [];
    const rows = Math.max(left.length, right.length);
    for (let r = 0; r < rows; r += 1) {
      const l = left[r] ?? '';
      const rt = right[r] ?? '';
      lines.push(rt === '' ? l : `${padVisible(l, colWidth)}  ${rt}`);
    }
  }
  return lines;
}

function renderElement(element: unknown, ctx: Ctx, state?: Json): string {
  if (!isRecord(element)) return '[?]';
  const type = String(element.type);
  switch (type) {
    case 'button': {
      const label = textOf(element.text);
      const link = typeof element.url === 'string' ? ' ↗' : '';
      if (element.style === 'danger') return ctx.style.red(`[!${label}${link}]`);
      if (element.style === 'primary') return ctx.style.green(`[*${label}*${link}]`);
      return `[${label}${link}]`;
    }
    case 'overflow': {
      const options = optionTexts(element.options);
      return `[⋯ ${options.join(' | ')}]`;
    }
    case 'static_select':
    case 'external_select':
    case 'users_select':
    case 'conversations_select':
    case 'channels_select': {
      const chosen = selectedText(state) ?? optionText(element.initial_option) ?? initialId(element);
      return `[${chosen ?? (textOf(element.placeholder) || 'Select')} ▾]`;
    }
    case 'multi_static_select':
    case 'multi_external_select':
    case 'multi_users_select':
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      const chosen = selectedTexts(state) ?? optionTexts(element.initial_options);
      return `[${chosen.length > 0 ? chosen.join(', ') : textOf(element.placeholder) || 'Select'} ▾]`;
    }
    case 'datepicker': {
      const date = stateString(state, 'selected_date') ?? element.initial_date;
      return `[${typeof date === 'string' ? date : textOf(element.placeholder) || 'date'} ▾]`;
    }
    case 'timepicker': {
      const time = stateString(state, 'selected_time') ?? element.initial_time;
      return `[${typeof time === 'string' ? time : textOf(element.placeholder) || 'time'} ▾]`;
    }
    case 'checkboxes':
    case 'radio_buttons': {
      const selected = new Set(
        selectedValues(state) ??
          (type === 'checkboxes'
            ? optionValues(element.initial_options)
            : optionValues(element.initial_option ? [element.initial_option] : [])),
      );
      const [on, off] = type === 'checkboxes' ? ['☑', '☐'] : ['◉', '○'];
      return optionsOf(element.options)
        .map((o) => `${selected.has(String(o.value)) ? on : off} ${textOf(o.text)}`)
        .join('  ');
    }
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value =
        stateString(state, 'value') ??
        (typeof element.initial_value === 'string' ? element.initial_value : undefined);
      if (value !== undefined && value !== '') return `[${value}]`;
      const placeholder = textOf(element.placeholder);
      return `[${placeholder ? ctx.style.dim(placeholder) : '          '}]`;
    }
    case 'image':
      return `[image: ${String(element.alt_text ?? '')}]`;
    default:
      return `[unsupported element: ${type}]`;
  }
}

function renderInput(block: Json, ctx: Ctx, blockState?: Json): string[] {
  const element = isRecord(block.element) ? block.element : {};
  const state = elementStateOf(element, blockState);
  const optional = block.optional === true ? ' (optional)' : '';
  const lines = [`${textOf(block.label)}${optional}: ${renderElement(element, ctx, state)}`];
  if (block.hint !== undefined) lines.push(ctx.style.dim(`  · ${textOf(block.hint)}`));
  return lines;
}

/** The state of one element from its block's state (view state values are keyed by action_id). */
function elementStateOf(element: unknown, blockState: Json | undefined): Json | undefined {
  if (!isRecord(element) || typeof element.action_id !== 'string' || !blockState) return undefined;
  const state = blockState[element.action_id];
  return isRecord(state) ? state : undefined;
}

function renderAttachment(attachment: unknown, ctx: Ctx): string[] {
  if (!isRecord(attachment)) return ['[unsupported attachment]'];
  if (Array.isArray(attachment.blocks)) return attachment.blocks.flatMap((b) => renderBlock(b, ctx));
  const lines: string[] = [];
  for (const key of ['pretext', 'title', 'text'] as const) {
    const value = attachment[key];
    if (typeof value === 'string' && value !== '') lines.push(...mrkdwnToText(value).split('\n'));
  }
  if (Array.isArray(attachment.fields)) {
    for (const field of attachment.fields) {
      if (isRecord(field))
        lines.push(`${String(field.title ?? '')}: ${mrkdwnToText(String(field.value ?? ''))}`);
    }
  }
  if (typeof attachment.footer === 'string') lines.push(ctx.style.dim(`  · ${attachment.footer}`));
  if (lines.length === 0 && typeof attachment.fallback === 'string') lines.push(attachment.fallback);
  return lines;
}

// ---- rich text ----

function renderRichText(elements: unknown): string[] {
  const lines: string[] = [];
  for (const element of Array.isArray(elements) ? elements : []) {
    if (!isRecord(element)) continue;
    switch (element.type) {
      case 'rich_text_section':
        lines.push(...inline(element.elements).split('\n'));
        break;
      case 'rich_text_list': {
        const indent = '  '.repeat(typeof element.indent === 'number' ? element.indent : 0);
        const items = Array.isArray(element.elements) ? element.elements : [];
        items.forEach((item, i) => {
          const marker = element.style === 'ordered' ? `${i + 1}.` : '•';
          const text = isRecord(item) ? inline(item.elements) : '';
          lines.push(`${indent}${marker} ${text}`);
        });
        break;
      }
      case 'rich_text_preformatted':
        lines.push('```', ...inline(element.elements).split('\n'), '```');
        break;
      case 'rich_text_quote':
        lines.push(
          ...inline(element.elements)
            .split('\n')
            .map((l) => `> ${l}`),
        );
        break;
      default:
        lines.push(`[unsupported rich_text element: ${String(element.type)}]`);
    }
  }
  return lines;
}

function inline(elements: unknown): string {
  return (Array.isArray(elements) ? elements : [])
    .map((e) => {
      if (!isRecord(e)) return '';
      switch (e.type) {
        case 'text':
          return styled(String(e.text ?? ''), e.style);
        case 'link': {
          const url = String(e.url ?? '');
          return typeof e.text === 'string' && e.text !== '' && e.text !== url ? `${e.text} (${url})` : url;
        }
        case 'user':
          return `@${String(e.user_id ?? '')}`;
        case 'channel':
          return `#${String(e.channel_id ?? '')}`;
        case 'usergroup':
          return `@${String(e.usergroup_id ?? '')}`;
        case 'broadcast':
          return `@${String(e.range ?? 'here')}`;
        case 'emoji':
          return `:${String(e.name ?? '')}:`;
        case 'date':
          return String(e.fallback ?? e.timestamp ?? '');
        default:
          return `[unsupported: ${String(e.type)}]`;
      }
    })
    .join('');
}

function styled(text: string, style: unknown): string {
  if (!isRecord(style)) return text;
  // Markers go around the words: `*Heal *` would not read as bold.
  const [, lead = '', core = '', trail = ''] = /^(\s*)([\s\S]*?)(\s*)$/.exec(text) ?? [];
  if (core === '') return text;
  let out = core;
  if (style.code) out = `\`${out}\``;
  if (style.strike) out = `~${out}~`;
  if (style.italic) out = `_${out}_`;
  if (style.bold) out = `*${out}*`;
  return `${lead}${out}${trail}`;
}

function renderTable(block: Json): string[] {
  const rows = Array.isArray(block.rows) ? block.rows : [];
  return rows.map((row) =>
    (Array.isArray(row) ? row : [])
      .map((cell) => {
        if (!isRecord(cell)) return '';
        if (cell.type === 'raw_text') return String(cell.text ?? '');
        if (cell.type === 'rich_text') return renderRichText(cell.elements).join(' ');
        return textOf(cell);
      })
      .join(' │ '),
  );
}

// ---- helpers ----

/** The text of a text object (mrkdwn converted), or ''. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!isRecord(value) || typeof value.text !== 'string') return '';
  return value.type === 'mrkdwn' ? mrkdwnToText(value.text) : value.text;
}

function optionsOf(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function optionText(option: unknown): string | undefined {
  return isRecord(option) ? textOf(option.text) : undefined;
}

function optionTexts(options: unknown): string[] {
  return optionsOf(options).map((o) => textOf(o.text));
}

function optionValues(options: unknown): string[] {
  return optionsOf(options).map((o) => String(o.value));
}

function initialId(element: Json): string | undefined {
  for (const key of ['initial_user', 'initial_conversation', 'initial_channel']) {
    const value = element[key];
    if (typeof value === 'string') return key === 'initial_user' ? `@${value}` : `#${value}`;
  }
  return undefined;
}

function stateString(state: Json | undefined, key: string): string | undefined {
  const value = state?.[key];
  return typeof value === 'string' ? value : undefined;
}

function selectedText(state: Json | undefined): string | undefined {
  if (!state) return undefined;
  if (isRecord(state.selected_option)) return textOf(state.selected_option.text);
  for (const [key, prefix] of [
    ['selected_user', '@'],
    ['selected_conversation', '#'],
    ['selected_channel', '#'],
  ] as const) {
    const value = state[key];
    if (typeof value === 'string') return `${prefix}${value}`;
  }
  return undefined;
}

function selectedTexts(state: Json | undefined): string[] | undefined {
  if (!state) return undefined;
  if (Array.isArray(state.selected_options)) return optionTexts(state.selected_options);
  for (const key of ['selected_users', 'selected_conversations', 'selected_channels']) {
    const value = state[key];
    if (Array.isArray(value)) return value.map(String);
  }
  return undefined;
}

function selectedValues(state: Json | undefined): string[] | undefined {
  if (!state) return undefined;
  if (Array.isArray(state.selected_options)) return optionValues(state.selected_options);
  if (isRecord(state.selected_option)) return [String(state.selected_option.value)];
  if (state.selected_option === null) return [];
  return undefined;
}

function rule(ctx: Ctx): string {
  return '─'.repeat(ctx.width);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matches ANSI escape sequences on purpose
const ansiPattern = /\x1b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return Array.from(text.replace(ansiPattern, '')).length;
}

function padVisible(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
