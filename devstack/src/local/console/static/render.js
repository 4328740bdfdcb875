/**
 * Block Kit → HTML for the local console. Pure (strings in, a string out, no DOM), so the page
 * and the Node tests run the very same code: `render.d.ts` types it for TypeScript.
 *
 * Safety: every piece of text the bot sent is HTML-escaped before any markup is added, and only
 * http(s) and mailto URLs become links. Anything this file does not know is rendered as a visible
 * "unsupported block: <type>" (or element) placeholder, never dropped.
 */

/** The class of every placeholder; the fidelity test looks for it. */
export const UNSUPPORTED_CLASS = 'bk-unsupported';

// The bot's status emoji as inline SVG: they look the same on every machine, with or without
// an emoji font (headless Chromium on a server usually has none). Others fall back to Unicode.
const circle = (fill, stroke = fill) =>
  `<circle cx="10" cy="10" r="8" fill="${fill}" stroke="${stroke}" stroke-width="1.2"/>`;
const tile = (fill, inner) => `<rect x="1" y="1" width="18" height="18" rx="4" fill="${fill}"/>${inner}`;
const white = 'fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"';
const hourglass =
  '<path d="M4 2h12v2c0 3-3 4.5-4 6 1 1.5 4 3 4 6v2H4v-2c0-3 3-4.5 4-6-1-1.5-4-3-4-6z" fill="#ffe8b6" stroke="#a0712a" stroke-width="1.2"/><path d="M7 16.5h6l-3-3.5z" fill="#e6a23c"/>';
const mark = (fill, color, text) =>
  `${circle(fill)}<text x="10" y="14.6" font-size="13" font-weight="700" font-family="Arial,sans-serif" text-anchor="middle" fill="${color}">${text}</text>`;
const icons = {
  large_green_circle: circle('#43b581'),
  large_yellow_circle: circle('#fdcb58'),
  red_circle: circle('#dd2e44'),
  white_circle: circle('#fff', '#99aab5'),
  large_blue_circle: circle('#55acee'),
  warning:
    '<path d="M10 1.8 19 18H1z" fill="#ffcc4d" stroke="#c79a00" stroke-width="1" stroke-linejoin="round"/><path d="M10 7.2v4.6" stroke="#231f20" stroke-width="2.2" stroke-linecap="round"/><circle cx="10" cy="15" r="1.3" fill="#231f20"/>',
  rotating_light:
    '<path d="M10 1.5v2M3.2 4.2l1.5 1.5M16.8 4.2l-1.5 1.5" stroke="#f4900c" stroke-width="1.6" stroke-linecap="round"/><path d="M4.5 15.5V11a5.5 5.5 0 0 1 11 0v4.5z" fill="#dd2e44"/><path d="M7.5 11a2.5 2.5 0 0 1 2.5-2.5" fill="none" stroke="#fff" stroke-width="1.4" stroke-linecap="round"/><rect x="2.5" y="15.5" width="15" height="3" rx="1" fill="#66757f"/>',
  white_check_mark: tile('#77b255', `<path d="M5 10.5l3.4 3.4L15 6.8" ${white}/>`),
  heavy_check_mark:
    '<path d="M3.5 10.5l4.5 4.5L16.5 5.5" fill="none" stroke="#31373d" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>',
  x: '<path d="M4 4l12 12M16 4 4 16" stroke="#dd2e44" stroke-width="3.4" stroke-linecap="round"/>',
  no_entry: `${circle('#dd2e44')}<rect x="4.5" y="8.5" width="11" height="3" rx="1" fill="#fff"/>`,
  no_entry_sign:
    '<circle cx="10" cy="10" r="7.6" fill="none" stroke="#dd2e44" stroke-width="2.6"/><path d="M4.7 4.7l10.6 10.6" stroke="#dd2e44" stroke-width="2.6"/>',
  stop_sign:
    '<path d="M6.5 1.5h7l5 5v7l-5 5h-7l-5-5v-7z" fill="#dd2e44"/><rect x="5" y="8.6" width="10" height="2.8" rx="1" fill="#fff"/>',
  hourglass,
  hourglass_flowing_sand: hourglass,
  arrows_counterclockwise: tile(
    '#3b88c3',
    `<path d="M14.5 8a5 5 0 1 0 .3 3.5" ${white}/><path d="M15.8 3.8v4.6h-4.6z" fill="#fff"/>`,
  ),
  leftwards_arrow_with_hook: tile(
    '#3b88c3',
    `<path d="M8 5 4.5 8.5 8 12" ${white}/><path d="M5 8.5h6.5a3.5 3.5 0 0 1 0 7H10" ${white}/>`,
  ),
  fast_forward: tile('#3b88c3', '<path d="M4 5.5l6 4.5-6 4.5zM10 5.5l6 4.5-6 4.5z" fill="#fff"/>'),
  grey_question: mark('#ccd6dd', '#66757f', '?'),
  question: mark('#dd2e44', '#fff', '?'),
  information_source: tile(
    '#3b88c3',
    '<text x="10" y="15" font-size="13" font-weight="700" font-family="Georgia,serif" text-anchor="middle" fill="#fff">i</text>',
  ),
};

const emoji = {
  rocket: '🚀',
  tada: '🎉',
  wrench: '🔧',
  eyes: '👀',
  bell: '🔔',
  lock: '🔒',
  mag: '🔍',
  memo: '📝',
  calendar: '📅',
  fire: '🔥',
  thumbsup: '👍',
  '+1': '👍',
  '-1': '👎',
};

/** An emoji by its Slack name, or undefined when unknown (then `:name:` stays as text). */
function emojiHtml(name) {
  const icon = Object.hasOwn(icons, name) ? icons[name] : undefined;
  if (icon) {
    return `<svg class="emoji" viewBox="0 0 20 20" role="img" aria-label=":${name}:"><title>:${name}:</title>${icon}</svg>`;
  }
  return Object.hasOwn(emoji, name) ? emoji[name] : undefined;
}

const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape for HTML text and (quoted) attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/** Slack escapes `&`, `<` and `>` in mrkdwn; turn them back before escaping for HTML. */
function decodeSlack(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : undefined;
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => emojiHtml(name) ?? whole);
}

function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value) {
  return typeof value === 'string' ? value : '';
}

// Placeholders for already-rendered HTML while mrkdwn formatting runs over the rest; these
// private-use characters are stripped from the input first, so bot text cannot forge them.
const open = '\uE000';
const close = '\uE001';

/**
 * Slack mrkdwn to safe HTML: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes,
 * <url|label> links, <@U…> users, <#C…> channels, <!subteam^S…> groups, <!here>, <!date^…>,
 * :emoji:, and line breaks.
 */
export function mrkdwn(text, ctx = {}) {
  const saved = [];
  const keep = (html) => {
    saved.push(html);
    return `${open}${saved.length - 1}${close}`;
  };
  let src = String(text ?? '').replace(/[\uE000\uE001]/g, '');
  src = src.replace(/```([\s\S]*?)```/g, (_, code) =>
    keep(`<pre class="bk-pre">${escapeHtml(decodeSlack(code.replace(/^\n|\n$/g, '')))}</pre>`),
  );
  src = src.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(decodeSlack(code))}</code>`));
  src = src.replace(/<([^<>\n]+)>/g, (_, inner) => keep(angle(inner, ctx)));
  const lines = src.split('\n').map((line) => {
    const quote = /^>\s?/.exec(line);
    const body = formatLine(escapeHtml(decodeSlack(quote ? line.slice(quote[0].length) : line)));
    return quote ? `<blockquote>${body}</blockquote>` : body;
  });
  const html = lines.join('<br>').replace(/<\/blockquote><br><blockquote>/g, '<br>');
  const restore = (s) =>
    s.replace(new RegExp(`${open}(\\d+)${close}`, 'g'), (_, i) => restore(saved[Number(i)] ?? ''));
  return restore(html);
}

/**
 * Bold, italic, strike and emoji on one escaped line. A marker counts only at a word edge, so
 * `__init__` and `snake_case` stay as they are; the other markers count as edges for nesting.
 */
function formatLine(html) {
  const wrap = (mark) => {
    const others = '*_~'.replace(mark, '');
    const edge = `(^|[\\s(\\[{>"'\\uE001${others}])`;
    const after = `(?=$|[\\s)\\]}.,;:!?"'<\\uE000${others}])`;
    return new RegExp(`${edge}\\${mark}(?![\\s${mark}])([^${mark}]*?[^\\s${mark}])\\${mark}${after}`, 'g');
  };
  return emojify(
    html
      .replace(wrap('*'), '$1<b>$2</b>')
      .replace(wrap('_'), '$1<i>$2</i>')
      .replace(wrap('~'), '$1<s>$2</s>'),
  );
}

/** One `<…>` token: a link, a mention or a special command. */
function angle(inner, ctx) {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : decodeSlack(inner.slice(bar + 1));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = ctx.users?.[id] ?? label?.replace(/^@/, '') ?? id;
    return `<span class="bk-mention" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = label ?? ctx.channels?.[id] ?? id;
    return `<span class="bk-mention">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    const name = ctx.usergroups?.[id] ?? label?.replace(/^@/, '') ?? id;
    return `<span class="bk-mention" data-usergroup="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('!date^')) {
    const [, seconds, format] = target.split('^');
    return `<time>${escapeHtml(formatDate(Number(seconds), format ?? '', label ?? target))}</time>`;
  }
  if (target.startsWith('!')) {
    return `<span class="bk-mention">@${escapeHtml(target.slice(1).split('^')[0] ?? '')}</span>`;
  }
  const url = safeUrl(decodeSlack(target));
  const text = escapeHtml(label ?? decodeSlack(target));
  return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
}

/** `<!date^1700000000^{date_short} {time}|fallback>` (docs.slack.dev/messaging/formatting-message-text#date-formatting). */
function formatDate(seconds, format, fallback) {
  if (!Number.isFinite(seconds)) return fallback;
  const d = new Date(seconds * 1000);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const parts = {
    time,
    time_secs: d.toLocaleTimeString('en-GB'),
    date: d.toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric' }),
    date_short: d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' }),
    date_long: d.toLocaleDateString('en-US', {
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      year: 'numeric',
    }),
    date_num: d.toISOString().slice(0, 10),
  };
  const out = format.replace(/\{(\w+)\}/g, (whole, key) => (Object.hasOwn(parts, key) ? parts[key] : whole));
  return out.includes('{') ? fallback : out;
}

/** A text object (plain_text or mrkdwn) as HTML. */
export function textObject(value, ctx = {}) {
  if (typeof value === 'string') return escapeHtml(value);
  if (!isRecord(value) || typeof value.text !== 'string') return '';
  if (value.type === 'mrkdwn') return value.verbatim ? escapeHtml(value.text) : mrkdwn(value.text, ctx);
  const plain = escapeHtml(value.text);
  return value.emoji === false ? plain : emojify(plain);
}

export function unsupported(kind, type) {
  return `<div class="${UNSUPPORTED_CLASS}">unsupported ${escapeHtml(kind)}: ${escapeHtml(String(type))}</div>`;
}

/** The placeholders in rendered HTML, e.g. `['unsupported block: video']`. */
export function findUnsupported(html) {
  const found = [];
  const pattern = new RegExp(`<div class="${UNSUPPORTED_CLASS}">([^<]*)</div>`, 'g');
  for (const match of html.matchAll(pattern)) found.push(match[1].replace(/&#39;/g, "'"));
  return found;
}

function attrs(map) {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined && v !== null && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
    .join('');
}

/** The data attributes the page uses to send an interaction for an element. */
function elementData(element, blockId, extra = {}) {
  return attrs({
    'data-block-id': blockId,
    'data-action-id': str(element.action_id),
    'data-type': str(element.type),
    ...extra,
  });
}

// ---- blocks ----

/**
 * Renders blocks. `ctx.state` (a view's `state.values`) and `ctx.errors` (block_id → message)
 * fill inputs in modals.
 */
export function renderBlocks(blocks, ctx = {}) {
  return (Array.isArray(blocks) ? blocks : []).map((b) => renderBlock(b, ctx)).join('');
}

function renderBlock(block, ctx) {
  if (!isRecord(block)) return unsupported('block', typeof block);
  const blockId = str(block.block_id);
  switch (block.type) {
    case 'header':
      return `<div class="bk-header">${textObject(block.text, ctx)}</div>`;
    case 'divider':
      return '<hr class="bk-divider">';
    case 'section':
      return renderSection(block, blockId, ctx);
    case 'context':
      return `<div class="bk-context">${(Array.isArray(block.elements) ? block.elements : [])
        .map((e) => contextElement(e, ctx))
        .join('')}</div>`;
    case 'actions':
      return `<div class="bk-actions">${(Array.isArray(block.elements) ? block.elements : [])
        .map((e) => interactive(e, blockId, ctx))
        .join('')}</div>`;
    case 'image':
      return renderImage(block, ctx);
    case 'input':
      return renderInput(block, blockId, ctx);
    case 'rich_text':
      return `<div class="bk-rich">${richText(block.elements, ctx)}</div>`;
    default:
      return unsupported('block', block.type);
  }
}

function renderSection(block, blockId, ctx) {
  const text = block.text ? `<div class="bk-text">${textObject(block.text, ctx)}</div>` : '';
  const fields = Array.isArray(block.fields)
    ? `<div class="bk-fields">${block.fields.map((f) => `<div>${textObject(f, ctx)}</div>`).join('')}</div>`
    : '';
  let accessory = '';
  if (isRecord(block.accessory)) {
    accessory =
      block.accessory.type === 'image'
        ? imageElement(block.accessory, 'bk-accessory-image')
        : interactive(block.accessory, blockId, ctx);
    accessory = `<div class="bk-accessory">${accessory}</div>`;
  }
  return `<div class="bk-section"><div class="bk-section-body">${text}${fields}</div>${accessory}</div>`;
}

function contextElement(element, ctx) {
  if (!isRecord(element)) return unsupported('element', typeof element);
  if (element.type === 'image') return imageElement(element, 'bk-context-image');
  if (element.type === 'mrkdwn' || element.type === 'plain_text') {
    return `<span>${textObject(element, ctx)}</span>`;
  }
  return unsupported('element', element.type);
}

function imageElement(element, cls) {
  const url = safeUrl(str(element.image_url));
  const alt = escapeHtml(str(element.alt_text));
  return url
    ? `<img class="${cls}" src="${escapeHtml(url)}" alt="${alt}" title="${alt}" loading="lazy">`
    : `<span class="${cls} bk-image-missing" title="${alt}">🖼</span>`;
}

function renderImage(block, ctx) {
  const title = block.title ? `<div class="bk-image-title">${textObject(block.title, ctx)}</div>` : '';
  return `<figure class="bk-image">${title}${imageElement(block, 'bk-image-img')}</figure>`;
}

function confirmData(confirm) {
  if (!isRecord(confirm)) return undefined;
  return JSON.stringify({
    title: str(confirm.title?.text) || 'Are you sure?',
    text: confirm.text ?? '',
    confirm: str(confirm.confirm?.text) || 'Yes',
    deny: str(confirm.deny?.text) || 'Cancel',
    style: str(confirm.style),
  });
}

/** Interactive elements of actions blocks and section accessories: a change sends a block action. */
function interactive(element, blockId, ctx) {
  if (!isRecord(element)) return unsupported('element', typeof element);
  const confirm = confirmData(element.confirm);
  switch (element.type) {
    case 'button': {
      const style = element.style === 'primary' || element.style === 'danger' ? ` ${element.style}` : '';
      const data = elementData(element, blockId, {
        'data-value': typeof element.value === 'string' ? element.value : undefined,
        'data-url': safeUrl(str(element.url)),
        'data-confirm': confirm,
      });
      return `<button type="button" class="bk-button${style}"${data}>${textObject(element.text, ctx)}</button>`;
    }
    case 'overflow': {
      const options = optionList(element.options)
        .map((o) => `<option value="${escapeHtml(str(o.value))}">${escapeHtml(plainOf(o.text))}</option>`)
        .join('');
      const data = elementData(element, blockId, { 'data-confirm': confirm });
      return `<select class="bk-overflow" aria-label="More actions"${data}><option value="" selected disabled>⋯</option>${options}</select>`;
    }
    case 'static_select': {
      const data = elementData(element, blockId, { 'data-confirm': confirm });
      return `<select class="bk-select"${data}>${selectOptions(element, undefined)}</select>`;
    }
    case 'datepicker': {
      const data = elementData(element, blockId, { 'data-confirm': confirm });
      return `<input type="date" class="bk-date"${data}${attrs({ value: str(element.initial_date) })}>`;
    }
    default:
      return unsupported('element', element.type);
  }
}

function optionList(options) {
  return Array.isArray(options) ? options.filter(isRecord) : [];
}

function allOptions(element) {
  const groups = Array.isArray(element.option_groups) ? element.option_groups.filter(isRecord) : [];
  return [...optionList(element.options), ...groups.flatMap((g) => optionList(g.options))];
}

/** The text of a text object as plain text (for `<option>`, where markup is not allowed). */
function plainOf(value) {
  if (!isRecord(value)) return '';
  const text = str(value.text);
  return value.type === 'mrkdwn' ? decodeSlack(text).replace(/<[^|>]*\|([^>]*)>/g, '$1') : text;
}

function selectOptions(element, selected) {
  const chosen = selected ?? str(element.initial_option?.value);
  const placeholder = plainOf(element.placeholder) || 'Select an item';
  const option = (o) =>
    `<option value="${escapeHtml(str(o.value))}"${str(o.value) === chosen ? ' selected' : ''}>${escapeHtml(
      plainOf(o.text),
    )}</option>`;
  const groups = Array.isArray(element.option_groups)
    ? element.option_groups
        .filter(isRecord)
        .map(
          (g) =>
            `<optgroup label="${escapeHtml(plainOf(g.label))}">${optionList(g.options).map(option).join('')}</optgroup>`,
        )
        .join('')
    : '';
  return `<option value=""${chosen ? '' : ' selected'}>${escapeHtml(placeholder)}</option>${optionList(
    element.options,
  )
    .map(option)
    .join('')}${groups}`;
}

// ---- inputs (modals) ----

function renderInput(block, blockId, ctx) {
  const element = isRecord(block.element) ? block.element : {};
  const actionId = str(element.action_id);
  const state = ctx.state?.[blockId]?.[actionId];
  const error = ctx.errors?.[blockId];
  const optional = block.optional === true;
  const control = inputElement(element, blockId, state, optional, ctx);
  const hint = block.hint ? `<div class="bk-hint">${textObject(block.hint, ctx)}</div>` : '';
  const err = error ? `<div class="bk-error" role="alert">${escapeHtml(error)}</div>` : '';
  return `<div class="bk-input${error ? ' has-error' : ''}"${attrs({ 'data-input-block': blockId, 'data-optional': optional })}><label class="bk-label">${textObject(
    block.label,
    ctx,
  )}${optional ? ' <span class="bk-optional">(optional)</span>' : ''}</label>${control}${err}${hint}</div>`;
}

function inputElement(element, blockId, state, optional, ctx) {
  const data = (extra = {}) => elementData(element, blockId, { 'data-input': true, ...extra });
  const placeholder = plainOf(element.placeholder) || undefined;
  switch (element.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value = state ? str(state.value) : str(element.initial_value);
      const common = {
        placeholder,
        maxlength: element.max_length,
        minlength: element.min_length,
        required: !optional,
      };
      if (element.multiline) {
        return `<textarea class="bk-textarea"${data(common)}>${escapeHtml(value)}</textarea>`;
      }
      const type = { email_text_input: 'email', url_text_input: 'url', number_input: 'number' }[element.type];
      return `<input class="bk-text-input"${attrs({ type: type ?? 'text', value })}${data(common)}>`;
    }
    case 'checkboxes':
    case 'radio_buttons': {
      const selectedOptions = state
        ? element.type === 'checkboxes'
          ? optionList(state.selected_options)
          : optionList(state.selected_option ? [state.selected_option] : [])
        : element.type === 'checkboxes'
          ? optionList(element.initial_options)
          : optionList(element.initial_option ? [element.initial_option] : []);
      const selected = new Set(selectedOptions.map((o) => str(o.value)));
      const kind = element.type === 'checkboxes' ? 'checkbox' : 'radio';
      const name = `${blockId}.${str(element.action_id)}`;
      const options = optionList(element.options)
        .map((o) => {
          const description = o.description
            ? `<span class="bk-option-description">${textObject(o.description, ctx)}</span>`
            : '';
          return `<label class="bk-option"><input${attrs({
            type: kind,
            name,
            value: str(o.value),
            checked: selected.has(str(o.value)),
          })}><span class="bk-option-text">${textObject(o.text, ctx)}${description}</span></label>`;
        })
        .join('');
      return `<div class="bk-options"${data()}>${options}</div>`;
    }
    case 'static_select': {
      const selected = state ? str(state.selected_option?.value) : undefined;
      return `<select class="bk-select"${data()}>${selectOptions(element, selected)}</select>`;
    }
    case 'multi_static_select': {
      const selected = new Set(
        optionList(state ? state.selected_options : element.initial_options).map((o) => str(o.value)),
      );
      const options = allOptions(element)
        .map(
          (o) =>
            `<option value="${escapeHtml(str(o.value))}"${selected.has(str(o.value)) ? ' selected' : ''}>${escapeHtml(
              plainOf(o.text),
            )}</option>`,
        )
        .join('');
      return `<select multiple class="bk-select"${data()}>${options}</select>`;
    }
    case 'datepicker': {
      const value = state ? str(state.selected_date) : str(element.initial_date);
      return `<input class="bk-date"${attrs({ type: 'date', value })}${data()}>`;
    }
    case 'timepicker': {
      const value = state ? str(state.selected_time) : str(element.initial_time);
      return `<input class="bk-date"${attrs({ type: 'time', value })}${data()}>`;
    }
    default:
      return unsupported('element', element.type);
  }
}

// ---- rich text ----

function richText(elements, ctx) {
  return (Array.isArray(elements) ? elements : [])
    .map((e) => {
      if (!isRecord(e)) return unsupported('rich_text element', typeof e);
      switch (e.type) {
        case 'rich_text_section':
          return `<div>${inline(e.elements, ctx)}</div>`;
        case 'rich_text_list': {
          const tag = e.style === 'ordered' ? 'ol' : 'ul';
          const items = (Array.isArray(e.elements) ? e.elements : [])
            .map((item) => `<li>${isRecord(item) ? inline(item.elements, ctx) : ''}</li>`)
            .join('');
          return `<${tag} style="margin-left:${Number(e.indent) || 0}em">${items}</${tag}>`;
        }
        case 'rich_text_preformatted':
          return `<pre class="bk-pre">${inline(e.elements, ctx)}</pre>`;
        case 'rich_text_quote':
          return `<blockquote>${inline(e.elements, ctx)}</blockquote>`;
        default:
          return unsupported('rich_text element', e.type);
      }
    })
    .join('');
}

function inline(elements, ctx) {
  return (Array.isArray(elements) ? elements : [])
    .map((e) => {
      if (!isRecord(e)) return '';
      switch (e.type) {
        case 'text':
          return styled(escapeHtml(str(e.text)).replace(/\n/g, '<br>'), e.style);
        case 'link': {
          const url = safeUrl(str(e.url));
          const text = escapeHtml(str(e.text) || str(e.url));
          return styled(
            url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text,
            e.style,
          );
        }
        case 'user':
          return angle(`@${str(e.user_id)}`, ctx);
        case 'usergroup':
          return angle(`!subteam^${str(e.usergroup_id)}`, ctx);
        case 'channel':
          return angle(`#${str(e.channel_id)}`, ctx);
        case 'broadcast':
          return `<span class="bk-mention">@${escapeHtml(str(e.range) || 'here')}</span>`;
        case 'emoji':
          return emojiHtml(str(e.name)) ?? `:${escapeHtml(str(e.name))}:`;
        case 'date':
          return `<time>${escapeHtml(formatDate(Number(e.timestamp), str(e.format), str(e.fallback)))}</time>`;
        default:
          return unsupported('rich_text element', e.type);
      }
    })
    .join('');
}

function styled(html, style) {
  if (!isRecord(style)) return html;
  let out = html;
  if (style.code) out = `<code>${out}</code>`;
  if (style.strike) out = `<s>${out}</s>`;
  if (style.italic) out = `<i>${out}</i>`;
  if (style.bold) out = `<b>${out}</b>`;
  return out;
}

// ---- messages and modals ----

/** A message body: its blocks, or its text as mrkdwn when it has none, then its attachments. */
export function renderMessage(message, ctx = {}) {
  const blocks = Array.isArray(message?.blocks) ? message.blocks : [];
  const body =
    blocks.length > 0
      ? renderBlocks(blocks, ctx)
      : `<div class="bk-text">${mrkdwn(str(message?.text), ctx)}</div>`;
  const attachments = (Array.isArray(message?.attachments) ? message.attachments : [])
    .map((a) => renderAttachment(a, ctx))
    .join('');
  return body + attachments;
}

function renderAttachment(attachment, ctx) {
  if (!isRecord(attachment)) return unsupported('attachment', typeof attachment);
  const color = /^#?[0-9a-f]{3,6}$/i.test(str(attachment.color))
    ? `#${str(attachment.color).replace('#', '')}`
    : '#ddd';
  let inner = '';
  if (Array.isArray(attachment.blocks)) inner = renderBlocks(attachment.blocks, ctx);
  else {
    inner = ['pretext', 'title', 'text']
      .filter((k) => str(attachment[k]))
      .map((k) => `<div class="bk-text">${mrkdwn(str(attachment[k]), ctx)}</div>`)
      .join('');
    if (Array.isArray(attachment.fields)) {
      inner += `<div class="bk-fields">${attachment.fields
        .filter(isRecord)
        .map((f) => `<div><b>${escapeHtml(str(f.title))}</b><br>${mrkdwn(str(f.value), ctx)}</div>`)
        .join('')}</div>`;
    }
    if (!inner && str(attachment.fallback)) inner = escapeHtml(str(attachment.fallback));
    if (!inner) inner = unsupported('attachment', 'empty');
  }
  return `<div class="bk-attachment" style="border-color:${color}">${inner}</div>`;
}

/**
 * A modal: title bar, blocks (inputs filled from `view.state` and showing `view.errors`), and
 * the close / submit buttons.
 */
export function renderModal(view, ctx = {}) {
  if (!isRecord(view)) return unsupported('view', typeof view);
  if (view.type !== 'modal') return unsupported('view', view.type);
  const body = renderBlocks(view.blocks, {
    ...ctx,
    state: isRecord(view.state) && isRecord(view.state.values) ? view.state.values : {},
    errors: isRecord(view.errors) ? view.errors : {},
  });
  const submit = view.submit
    ? `<button type="submit" class="bk-button primary" data-modal="submit">${textObject(view.submit, ctx)}</button>`
    : '';
  const closeText = view.close ? textObject(view.close, ctx) : 'Cancel';
  return `<form class="modal"${attrs({ 'data-view-id': str(view.id), 'data-callback-id': str(view.callback_id) })} novalidate><header class="modal-title"><h2>${textObject(
    view.title,
    ctx,
  )}</h2><button type="button" class="modal-x" data-modal="close" aria-label="Close">×</button></header><div class="modal-body">${body}</div><footer class="modal-footer"><button type="button" class="bk-button" data-modal="close">${closeText}</button>${submit}</footer></form>`;
}
