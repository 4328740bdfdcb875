/**
 * Block Kit validation as Slack does it, for the fake Slack and for tests that render every view
 * (the same validator, so a view that passes here passes the fake). Every number comes from
 * `src/views/slack-limits.ts`; what is checked follows Slack's reference for each object
 * (docs.slack.dev/reference/block-kit/…). Where the reference is unclear the check is the stricter
 * reading. Problems read as Slack writes them: `[ERROR] <what> [json-pointer:/blocks/3/text]`.
 * Pure: no I/O.
 */
import { type knownBlockTypes, knownElementTypes, slackLimits } from '../../../src/views/slack-limits.js';

type Json = Record<string, unknown>;

/** Where blocks are shown: a message (incl. ephemeral and response_url posts), a modal or a Home tab. */
export type Surface = 'message' | 'modal' | 'home';

/** Why Slack refuses a message, and the messages it would put in `response_metadata.messages`. */
export interface MessageRefusal {
  error: 'invalid_blocks' | 'msg_blocks_too_long' | 'msg_too_long';
  messages: string[];
}

type TextType = 'plain_text' | 'mrkdwn';
const plainOnly: readonly TextType[] = ['plain_text'];
const anyText: readonly TextType[] = ['plain_text', 'mrkdwn'];

/** Collects problems; one instance per payload so duplicate block_ids are found across the surface. */
class Problems {
  readonly list: string[] = [];
  readonly blockIds = new Set<string>();

  add(at: string, what: string): void {
    this.list.push(`[ERROR] ${what} [json-pointer:${at}]`);
  }
}

/** The problems Slack would report for `blocks` on `surface`; empty when Slack would accept them. */
export function validateBlocks(
  blocks: unknown[] | undefined,
  surface: Surface,
  pointer = '/blocks',
): string[] {
  if (blocks === undefined) return [];
  const p = new Problems();
  checkBlocks(blocks, surface, pointer, p);
  return p.list;
}

/** The problems Slack would report for a modal or Home tab view object (pointers under `/view`). */
export function validateView(view: unknown, surface: 'modal' | 'home'): string[] {
  const p = new Problems();
  if (!isRecord(view)) {
    p.add('/view', 'missing required field: view');
    return p.list;
  }
  if (view.type !== surface) p.add('/view/type', `must be '${surface}'`);
  if (surface === 'modal') {
    checkText(view.title, '/view/title', p, { max: slackLimits.viewTitle, types: plainOnly, required: true });
    checkText(view.submit, '/view/submit', p, { max: slackLimits.viewSubmit, types: plainOnly });
    checkText(view.close, '/view/close', p, { max: slackLimits.viewClose, types: plainOnly });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isRecord(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) {
      p.add('/view/submit', 'submit is required when an input block is within the view');
    }
    checkBoolean(view.clear_on_close, '/view/clear_on_close', p);
    checkBoolean(view.notify_on_close, '/view/notify_on_close', p);
  }
  checkString(view.private_metadata, '/view/private_metadata', p, slackLimits.privateMetadata, {
    allowEmpty: true,
  });
  checkString(view.callback_id, '/view/callback_id', p, slackLimits.callbackId, { allowEmpty: true });
  checkString(view.external_id, '/view/external_id', p, slackLimits.externalId, { allowEmpty: true });
  if (!Array.isArray(view.blocks)) {
    p.add('/view/blocks', 'missing required field: blocks');
    return p.list;
  }
  checkBlocks(view.blocks, surface, '/view/blocks', p);
  return p.list;
}

/**
 * How Slack answers a message (chat.postMessage, chat.postEphemeral, chat.update, a response_url
 * post): `invalid_blocks` for a malformed or over-limit block, `msg_blocks_too_long` when the text of
 * all blocks together passes `messageBlockText` (see `blockTextLength`), `msg_too_long` for a top-level
 * `text` over `messageText`; undefined when Slack would accept it.
 */
export function validateMessage(content: { text?: unknown; blocks?: unknown }): MessageRefusal | undefined {
  if (content.blocks !== undefined) {
    if (!Array.isArray(content.blocks)) {
      return { error: 'invalid_blocks', messages: ['[ERROR] must be an array [json-pointer:/blocks]'] };
    }
    const problems = validateBlocks(content.blocks, 'message');
    if (problems.length > 0) return { error: 'invalid_blocks', messages: problems };
    const length = blockTextLength(content.blocks);
    if (length > slackLimits.messageBlockText) {
      return {
        error: 'msg_blocks_too_long',
        messages: [
          `[ERROR] the text of all blocks together is ${length} characters, more than ${slackLimits.messageBlockText} [json-pointer:/blocks]`,
        ],
      };
    }
  }
  if (typeof content.text === 'string' && content.text.length > slackLimits.messageText) {
    return {
      error: 'msg_too_long',
      messages: [`[ERROR] must be less than ${slackLimits.messageText + 1} characters [json-pointer:/text]`],
    };
  }
  return undefined;
}

/**
 * The measure `msg_blocks_too_long` is checked against: the characters of every text object anywhere in
 * the blocks (section text and fields, context, header, buttons, options, confirmation dialogs…). Slack
 * does not publish how it counts; counting every text object is the stricter reading.
 */
export function blockTextLength(blocks: unknown): number {
  if (Array.isArray(blocks)) return blocks.reduce((sum: number, b) => sum + blockTextLength(b), 0);
  if (!isRecord(blocks)) return 0;
  if ((blocks.type === 'plain_text' || blocks.type === 'mrkdwn') && typeof blocks.text === 'string') {
    return blocks.text.length;
  }
  return Object.values(blocks).reduce((sum: number, v) => sum + blockTextLength(v), 0);
}

// ---- blocks ----

type BlockCheck = (block: Json, at: string, p: Problems) => void;

const blockChecks: Record<(typeof knownBlockTypes)[number], BlockCheck> = {
  header: (block, at, p) => {
    checkText(block.text, `${at}/text`, p, { max: slackLimits.headerText, types: plainOnly, required: true });
  },
  section: (block, at, p) => {
    if (block.text === undefined && block.fields === undefined) {
      p.add(at, 'must provide either text or fields');
    }
    checkText(block.text, `${at}/text`, p, { max: slackLimits.sectionText, types: anyText });
    if (block.fields !== undefined) {
      const fields = checkArray(block.fields, `${at}/fields`, p, 1, slackLimits.sectionFields);
      fields.forEach((f, j) => {
        checkText(f, `${at}/fields/${j}`, p, { max: slackLimits.fieldText, types: anyText, required: true });
      });
    }
    if (block.accessory !== undefined) {
      checkElement(block.accessory, `${at}/accessory`, p, knownElementTypes.accessory);
    }
  },
  context: (block, at, p) => {
    const elements = checkArray(block.elements, `${at}/elements`, p, 1, slackLimits.contextElements, true);
    const allowed: readonly string[] = knownElementTypes.context;
    elements.forEach((element, j) => {
      const here = `${at}/elements/${j}`;
      const type = isRecord(element) ? element.type : undefined;
      if (typeof type === 'string' && !allowed.includes(type)) {
        p.add(`${here}/type`, `unsupported context element type: ${type}`);
      } else if (type === 'image') checkImage(element as Json, here, p);
      else checkText(element, here, p, { max: slackLimits.textObject, types: anyText, required: true });
    });
  },
  actions: (block, at, p) => {
    const elements = checkArray(block.elements, `${at}/elements`, p, 1, slackLimits.actionsElements, true);
    const actionIds = new Set<string>();
    elements.forEach((element, j) => {
      checkElement(element, `${at}/elements/${j}`, p, knownElementTypes.actions);
      const id = isRecord(element) ? element.action_id : undefined;
      if (typeof id !== 'string') return;
      if (actionIds.has(id)) p.add(`${at}/elements/${j}/action_id`, 'duplicate action_id');
      actionIds.add(id);
    });
  },
  divider: () => {},
  input: (block, at, p) => {
    checkText(block.label, `${at}/label`, p, {
      max: slackLimits.inputLabel,
      types: plainOnly,
      required: true,
    });
    checkText(block.hint, `${at}/hint`, p, { max: slackLimits.inputHint, types: plainOnly });
    checkBoolean(block.optional, `${at}/optional`, p);
    checkBoolean(block.dispatch_action, `${at}/dispatch_action`, p);
    if (block.element === undefined) p.add(at, 'missing required field: element');
    else checkElement(block.element, `${at}/element`, p, knownElementTypes.input);
  },
  image: (block, at, p) => {
    checkImage(block, at, p);
    checkText(block.title, `${at}/title`, p, { max: slackLimits.imageTitle, types: plainOnly });
  },
};

function checkBlocks(blocks: unknown[], surface: Surface, pointer: string, p: Problems): void {
  const max = surface === 'message' ? slackLimits.messageBlocks : slackLimits.viewBlocks;
  if (blocks.length > max) p.add(pointer, `no more than ${max} items allowed`);
  blocks.forEach((block, i) => {
    const at = `${pointer}/${i}`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      p.add(at, 'must provide an object with a type');
      return;
    }
    if (block.block_id !== undefined) {
      checkString(block.block_id, `${at}/block_id`, p, slackLimits.blockId);
      if (typeof block.block_id === 'string') {
        if (p.blockIds.has(block.block_id)) p.add(`${at}/block_id`, 'duplicate block_id');
        p.blockIds.add(block.block_id);
      }
    }
    const check = Object.hasOwn(blockChecks, block.type)
      ? blockChecks[block.type as keyof typeof blockChecks]
      : undefined;
    if (!check) {
      p.add(`${at}/type`, `unsupported block type: ${block.type}`);
      return;
    }
    check(block, at, p);
  });
}

// ---- elements ----

type ElementCheck = (element: Json, at: string, p: Problems) => void;

const elementChecks: Record<string, ElementCheck> = {
  button: (el, at, p) => {
    checkText(el.text, `${at}/text`, p, { max: slackLimits.buttonText, types: plainOnly, required: true });
    checkString(el.value, `${at}/value`, p, slackLimits.buttonValue);
    checkString(el.url, `${at}/url`, p, slackLimits.url);
    checkString(el.accessibility_label, `${at}/accessibility_label`, p, slackLimits.accessibilityLabel);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
      p.add(`${at}/style`, "must be one of 'primary', 'danger'");
    }
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  checkboxes: (el, at, p) => {
    const options = checkOptions(el.options, `${at}/options`, p, slackLimits.checkboxOptions, anyText);
    checkInitialOptions(el.initial_options, `${at}/initial_options`, options, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  radio_buttons: (el, at, p) => {
    const options = checkOptions(el.options, `${at}/options`, p, slackLimits.radioOptions, anyText);
    checkInitialOption(el.initial_option, `${at}/initial_option`, options, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  static_select: (el, at, p) => {
    const options = checkSelectOptions(el, at, p);
    checkInitialOption(el.initial_option, `${at}/initial_option`, options, p);
    checkPlaceholder(el, at, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  multi_static_select: (el, at, p) => {
    const options = checkSelectOptions(el, at, p);
    checkInitialOptions(el.initial_options, `${at}/initial_options`, options, p);
    if (el.max_selected_items !== undefined && !isIntegerIn(el.max_selected_items, 1, Infinity)) {
      p.add(`${at}/max_selected_items`, 'must be an integer of at least 1');
    }
    checkPlaceholder(el, at, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  overflow: (el, at, p) => {
    checkOptions(el.options, `${at}/options`, p, slackLimits.overflowOptions, plainOnly, true);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  datepicker: (el, at, p) => {
    if (el.initial_date !== undefined && !isIsoDate(el.initial_date)) {
      p.add(`${at}/initial_date`, 'must be a date in the format YYYY-MM-DD');
    }
    checkPlaceholder(el, at, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  users_select: (el, at, p) => {
    if (el.initial_user !== undefined && typeof el.initial_user !== 'string') {
      p.add(`${at}/initial_user`, 'must be a string');
    }
    checkPlaceholder(el, at, p);
    checkConfirm(el.confirm, `${at}/confirm`, p);
  },
  plain_text_input: (el, at, p) => checkPlainTextInput(el, at, p),
  image: (el, at, p) => checkImage(el, at, p),
};

function checkElement(element: unknown, at: string, p: Problems, allowed: readonly string[]): void {
  if (!isRecord(element) || typeof element.type !== 'string') {
    p.add(at, 'must provide an object with a type');
    return;
  }
  const check = Object.hasOwn(elementChecks, element.type) ? elementChecks[element.type] : undefined;
  if (!check || !allowed.includes(element.type)) {
    p.add(`${at}/type`, `unsupported element type here: ${element.type}`);
    return;
  }
  if (element.type !== 'image') checkString(element.action_id, `${at}/action_id`, p, slackLimits.actionId);
  check(element, at, p);
}

function checkPlainTextInput(el: Json, at: string, p: Problems): void {
  const max = slackLimits.plainTextInputLength;
  const minOk = el.min_length === undefined || isIntegerIn(el.min_length, 0, max);
  const maxOk = el.max_length === undefined || isIntegerIn(el.max_length, 1, max);
  if (!minOk) p.add(`${at}/min_length`, `must be an integer from 0 to ${max}`);
  if (!maxOk) p.add(`${at}/max_length`, `must be an integer from 1 to ${max}`);
  if (minOk && maxOk && typeof el.min_length === 'number' && typeof el.max_length === 'number') {
    if (el.min_length > el.max_length) p.add(`${at}/min_length`, 'must not be greater than max_length');
  }
  const longest = typeof el.max_length === 'number' && maxOk ? el.max_length : max;
  checkString(el.initial_value, `${at}/initial_value`, p, longest, { allowEmpty: true });
  checkBoolean(el.multiline, `${at}/multiline`, p);
  checkPlaceholder(el, at, p);
}

function checkPlaceholder(el: Json, at: string, p: Problems): void {
  checkText(el.placeholder, `${at}/placeholder`, p, { max: slackLimits.placeholder, types: plainOnly });
}

function checkImage(el: Json, at: string, p: Problems): void {
  if (el.image_url === undefined && el.slack_file === undefined) {
    p.add(at, 'must provide either image_url or slack_file');
  }
  checkString(el.image_url, `${at}/image_url`, p, slackLimits.imageUrl);
  checkString(el.alt_text, `${at}/alt_text`, p, slackLimits.imageAltText, { required: true });
}

// ---- composition objects ----

/** A confirmation dialog: title, text, confirm and deny all required (the reference marks each Required). */
function checkConfirm(value: unknown, at: string, p: Problems): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    p.add(at, 'must be a confirmation dialog object');
    return;
  }
  const button = { max: slackLimits.confirmButton, types: plainOnly, required: true };
  checkText(value.title, `${at}/title`, p, {
    max: slackLimits.confirmTitle,
    types: plainOnly,
    required: true,
  });
  checkText(value.text, `${at}/text`, p, { max: slackLimits.confirmText, types: anyText, required: true });
  checkText(value.confirm, `${at}/confirm`, p, button);
  checkText(value.deny, `${at}/deny`, p, button);
  if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
    p.add(`${at}/style`, "must be one of 'primary', 'danger'");
  }
}

/** Checks a list of option objects; returns the well-formed ones, for initial_option(s) checks. */
function checkOptions(
  value: unknown,
  at: string,
  p: Problems,
  max: number,
  textTypes: readonly TextType[],
  allowUrl = false,
): Json[] {
  const options = checkArray(value, at, p, 1, max, true);
  const values = new Set<string>();
  options.forEach((option, j) => {
    const here = `${at}/${j}`;
    if (!isRecord(option)) {
      p.add(here, 'must be an option object');
      return;
    }
    checkText(option.text, `${here}/text`, p, {
      max: slackLimits.optionText,
      types: textTypes,
      required: true,
    });
    checkText(option.description, `${here}/description`, p, {
      max: slackLimits.optionDescription,
      types: plainOnly,
    });
    checkString(option.value, `${here}/value`, p, slackLimits.optionValue, { required: true });
    if (typeof option.value === 'string') {
      if (values.has(option.value)) p.add(`${here}/value`, 'duplicate option value');
      values.add(option.value);
    }
    if (option.url !== undefined) {
      if (allowUrl) checkString(option.url, `${here}/url`, p, slackLimits.url);
      else p.add(`${here}/url`, 'url is only allowed in overflow menus');
    }
  });
  return options.filter(isRecord);
}

/** A select's `options` or `option_groups`: exactly one of them. */
function checkSelectOptions(el: Json, at: string, p: Problems): Json[] {
  if ((el.options === undefined) === (el.option_groups === undefined)) {
    p.add(at, 'must provide exactly one of options or option_groups');
    return [];
  }
  if (el.options !== undefined) {
    return checkOptions(el.options, `${at}/options`, p, slackLimits.selectOptions, plainOnly);
  }
  const groups = checkArray(el.option_groups, `${at}/option_groups`, p, 1, slackLimits.selectOptions, true);
  return groups.flatMap((group, g) => {
    const here = `${at}/option_groups/${g}`;
    if (!isRecord(group)) {
      p.add(here, 'must be an option group object');
      return [];
    }
    checkText(group.label, `${here}/label`, p, {
      max: slackLimits.optionGroupLabel,
      types: plainOnly,
      required: true,
    });
    return checkOptions(group.options, `${here}/options`, p, slackLimits.selectOptions, plainOnly);
  });
}

function checkInitialOption(value: unknown, at: string, options: Json[], p: Problems): void {
  if (value === undefined) return;
  if (!options.some((o) => sameOption(o, value))) p.add(at, 'must match one of the provided options');
}

function checkInitialOptions(value: unknown, at: string, options: Json[], p: Problems): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    p.add(at, 'must be an array');
    return;
  }
  value.forEach((initial, j) => {
    if (!options.some((o) => sameOption(o, initial))) {
      p.add(`${at}/${j}`, 'must match one of the provided options');
    }
  });
}

/** Slack matches an initial option to an option by its value and its text (type and string). */
function sameOption(option: Json, candidate: unknown): boolean {
  if (!isRecord(candidate) || !isRecord(option.text) || !isRecord(candidate.text)) return false;
  return (
    candidate.value === option.value &&
    candidate.text.type === option.text.type &&
    candidate.text.text === option.text.text
  );
}

/**
 * A text object: `type` among `types`, a non-empty `text` of at most `max` (and of the text object's own
 * 3,000), `emoji` only on plain_text, `verbatim` only on mrkdwn.
 */
function checkText(
  value: unknown,
  at: string,
  p: Problems,
  opts: { max: number; types: readonly TextType[]; required?: boolean },
): void {
  if (value === undefined) {
    if (opts.required) p.add(at, 'missing required field');
    return;
  }
  if (!isRecord(value)) {
    p.add(at, 'must be a text object');
    return;
  }
  if (typeof value.type !== 'string' || !(opts.types as readonly string[]).includes(value.type)) {
    p.add(`${at}/type`, `must be ${opts.types.map((t) => `'${t}'`).join(' or ')}`);
    return;
  }
  if (typeof value.text !== 'string') {
    p.add(`${at}/text`, 'missing required field: text');
    return;
  }
  const max = Math.min(opts.max, slackLimits.textObject);
  if (value.text.length === 0) p.add(`${at}/text`, 'must be more than 0 characters');
  if (value.text.length > max) p.add(`${at}/text`, `must be less than ${max + 1} characters`);
  if (value.emoji !== undefined) {
    if (value.type !== 'plain_text') p.add(`${at}/emoji`, 'emoji is only allowed on plain_text');
    else checkBoolean(value.emoji, `${at}/emoji`, p);
  }
  if (value.verbatim !== undefined) {
    if (value.type !== 'mrkdwn') p.add(`${at}/verbatim`, 'verbatim is only allowed on mrkdwn');
    else checkBoolean(value.verbatim, `${at}/verbatim`, p);
  }
}

// ---- primitives ----

/** The items of an array field with `min`..`max` items; [] (and a problem) when it is not one. */
function checkArray(
  value: unknown,
  at: string,
  p: Problems,
  min: number,
  max: number,
  required = false,
): unknown[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) {
    p.add(at, value === undefined ? 'missing required field' : 'must be an array');
    return [];
  }
  if (value.length < min) p.add(at, `must have at least ${min} item${min === 1 ? '' : 's'}`);
  if (value.length > max) p.add(at, `no more than ${max} items allowed`);
  return value;
}

function checkString(
  value: unknown,
  at: string,
  p: Problems,
  max: number,
  opts: { required?: boolean; allowEmpty?: boolean } = {},
): void {
  if (value === undefined) {
    if (opts.required) p.add(at, 'missing required field');
    return;
  }
  if (typeof value !== 'string') {
    p.add(at, 'must be a string');
    return;
  }
  if (value.length === 0 && !opts.allowEmpty) p.add(at, 'must be more than 0 characters');
  if (value.length > max) p.add(at, `must be less than ${max + 1} characters`);
}

function checkBoolean(value: unknown, at: string, p: Problems): void {
  if (value !== undefined && typeof value !== 'boolean') p.add(at, 'must be a boolean');
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isIsoDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
