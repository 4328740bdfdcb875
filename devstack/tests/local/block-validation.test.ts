/**
 * The fake Slack's Block Kit validator, rule by rule. Every number here is written out from Slack's
 * reference (docs.slack.dev/reference/block-kit/…, the same sentences in `@slack/types`), never imported
 * from src/views/slack-limits.ts: a wrong limit there must fail these tests. Each rule is checked at the
 * limit (accepted) and one past it (refused, with the JSON pointer Slack would name).
 */
import { describe, expect, it } from 'vitest';
import {
  blockTextLength,
  validateBlocks,
  validateMessage,
  validateView,
} from '../../src/local/block-kit-validator.js';

type Json = Record<string, unknown>;

const x = (n: number) => 'x'.repeat(n);
const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const button = (over: Json = {}) => ({ type: 'button', text: plain('Go'), action_id: 'go', ...over });
const actions = (...elements: Json[]) => ({ type: 'actions', elements });
const option = (over: Json = {}) => ({ text: plain('Step'), value: 'v', ...over });
const options = (n: number) => Array.from({ length: n }, (_, i) => option({ value: `v${i}` }));
const input = (element: Json, over: Json = {}) => ({
  type: 'input',
  label: plain('Label'),
  element,
  ...over,
});
const confirm = (over: Json = {}) => ({
  title: plain('Sure?'),
  text: mrkdwn('Really?'),
  confirm: plain('Yes'),
  deny: plain('No'),
  ...over,
});

/** The JSON pointers named by the problems, e.g. `/blocks/0/text/text`. */
function pointers(problems: string[]): string[] {
  return problems.map((p) => /\[json-pointer:([^\]]*)\]/.exec(p)?.[1] ?? `(no pointer in ${p})`);
}

const message = (blocks: unknown[]) => pointers(validateBlocks(blocks, 'message'));

interface Rule {
  rule: string;
  /** At the limit: accepted. */
  ok: unknown[];
  /** One past it, or malformed: refused. */
  bad: unknown[];
  pointer: string;
}

const rules: Rule[] = [
  {
    rule: 'blocks per message: 50',
    ok: Array(50).fill({ type: 'divider' }),
    bad: Array(51).fill({ type: 'divider' }),
    pointer: '/blocks',
  },
  {
    rule: 'header text: 150',
    ok: [{ type: 'header', text: plain(x(150)) }],
    bad: [{ type: 'header', text: plain(x(151)) }],
    pointer: '/blocks/0/text/text',
  },
  {
    rule: 'header text is plain_text',
    ok: [{ type: 'header', text: plain('h') }],
    bad: [{ type: 'header', text: mrkdwn('h') }],
    pointer: '/blocks/0/text/type',
  },
  {
    rule: 'section text: 3000',
    ok: [section(x(3000))],
    bad: [section(x(3001))],
    pointer: '/blocks/0/text/text',
  },
  { rule: 'section text: not empty', ok: [section('a')], bad: [section('')], pointer: '/blocks/0/text/text' },
  {
    rule: 'section fields: 10',
    ok: [{ type: 'section', fields: Array(10).fill(mrkdwn('f')) }],
    bad: [{ type: 'section', fields: Array(11).fill(mrkdwn('f')) }],
    pointer: '/blocks/0/fields',
  },
  {
    rule: 'section field text: 2000',
    ok: [{ type: 'section', fields: [mrkdwn(x(2000))] }],
    bad: [{ type: 'section', fields: [mrkdwn(x(2001))] }],
    pointer: '/blocks/0/fields/0/text',
  },
  {
    rule: 'section needs text or fields',
    ok: [section('a')],
    bad: [{ type: 'section' }],
    pointer: '/blocks/0',
  },
  {
    rule: 'text object type',
    ok: [section('a')],
    bad: [{ type: 'section', text: { type: 'markdown', text: 'a' } }],
    pointer: '/blocks/0/text/type',
  },
  {
    rule: 'emoji only on plain_text',
    ok: [{ type: 'section', text: { ...plain('a'), emoji: true } }],
    bad: [{ type: 'section', text: { ...mrkdwn('a'), emoji: true } }],
    pointer: '/blocks/0/text/emoji',
  },
  {
    rule: 'context elements: 10',
    ok: [{ type: 'context', elements: Array(10).fill(mrkdwn('c')) }],
    bad: [{ type: 'context', elements: Array(11).fill(mrkdwn('c')) }],
    pointer: '/blocks/0/elements',
  },
  {
    rule: 'context element text: 3000',
    ok: [{ type: 'context', elements: [mrkdwn(x(3000))] }],
    bad: [{ type: 'context', elements: [mrkdwn(x(3001))] }],
    pointer: '/blocks/0/elements/0/text',
  },
  {
    rule: 'context holds no buttons',
    ok: [{ type: 'context', elements: [{ type: 'image', image_url: 'https://x/i.png', alt_text: 'i' }] }],
    bad: [{ type: 'context', elements: [button()] }],
    pointer: '/blocks/0/elements/0/type',
  },
  {
    rule: 'context image alt_text required',
    ok: [{ type: 'context', elements: [{ type: 'image', image_url: 'https://x/i.png', alt_text: 'i' }] }],
    bad: [{ type: 'context', elements: [{ type: 'image', image_url: 'https://x/i.png' }] }],
    pointer: '/blocks/0/elements/0/alt_text',
  },
  {
    rule: 'actions elements: 25',
    ok: [actions(...Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })))],
    bad: [actions(...Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))],
    pointer: '/blocks/0/elements',
  },
  {
    rule: 'button text: 75',
    ok: [actions(button({ text: plain(x(75)) }))],
    bad: [actions(button({ text: plain(x(76)) }))],
    pointer: '/blocks/0/elements/0/text/text',
  },
  {
    rule: 'button value: 2000',
    ok: [actions(button({ value: x(2000) }))],
    bad: [actions(button({ value: x(2001) }))],
    pointer: '/blocks/0/elements/0/value',
  },
  {
    rule: 'button url: 3000',
    ok: [actions(button({ url: x(3000) }))],
    bad: [actions(button({ url: x(3001) }))],
    pointer: '/blocks/0/elements/0/url',
  },
  {
    rule: 'button accessibility_label: 75',
    ok: [actions(button({ accessibility_label: x(75) }))],
    bad: [actions(button({ accessibility_label: x(76) }))],
    pointer: '/blocks/0/elements/0/accessibility_label',
  },
  {
    rule: 'button style',
    ok: [actions(button({ style: 'danger' }))],
    bad: [actions(button({ style: 'red' }))],
    pointer: '/blocks/0/elements/0/style',
  },
  {
    rule: 'action_id: 255',
    ok: [actions(button({ action_id: x(255) }))],
    bad: [actions(button({ action_id: x(256) }))],
    pointer: '/blocks/0/elements/0/action_id',
  },
  {
    rule: 'block_id: 255',
    ok: [{ type: 'divider', block_id: x(255) }],
    bad: [{ type: 'divider', block_id: x(256) }],
    pointer: '/blocks/0/block_id',
  },
  {
    rule: 'confirm title: 100',
    ok: [actions(button({ confirm: confirm({ title: plain(x(100)) }) }))],
    bad: [actions(button({ confirm: confirm({ title: plain(x(101)) }) }))],
    pointer: '/blocks/0/elements/0/confirm/title/text',
  },
  {
    rule: 'confirm text: 300',
    ok: [actions(button({ confirm: confirm({ text: mrkdwn(x(300)) }) }))],
    bad: [actions(button({ confirm: confirm({ text: mrkdwn(x(301)) }) }))],
    pointer: '/blocks/0/elements/0/confirm/text/text',
  },
  {
    rule: 'confirm button: 30',
    ok: [actions(button({ confirm: confirm({ confirm: plain(x(30)) }) }))],
    bad: [actions(button({ confirm: confirm({ confirm: plain(x(31)) }) }))],
    pointer: '/blocks/0/elements/0/confirm/confirm/text',
  },
  {
    rule: 'deny button: 30',
    ok: [actions(button({ confirm: confirm({ deny: plain(x(30)) }) }))],
    bad: [actions(button({ confirm: confirm({ deny: plain(x(31)) }) }))],
    pointer: '/blocks/0/elements/0/confirm/deny/text',
  },
  {
    rule: 'confirm deny required',
    ok: [actions(button({ confirm: confirm() }))],
    bad: [actions(button({ confirm: confirm({ deny: undefined }) }))],
    pointer: '/blocks/0/elements/0/confirm/deny',
  },
  {
    rule: 'overflow options: 5',
    ok: [actions({ type: 'overflow', action_id: 'o', options: options(5) })],
    bad: [actions({ type: 'overflow', action_id: 'o', options: options(6) })],
    pointer: '/blocks/0/elements/0/options',
  },
  {
    rule: 'image block alt_text: 2000',
    ok: [{ type: 'image', image_url: 'https://x/i.png', alt_text: x(2000) }],
    bad: [{ type: 'image', image_url: 'https://x/i.png', alt_text: x(2001) }],
    pointer: '/blocks/0/alt_text',
  },
  {
    rule: 'unknown block type',
    ok: [{ type: 'divider' }],
    bad: [{ type: 'rich_text', elements: [] }],
    pointer: '/blocks/0/type',
  },
  {
    rule: 'unknown element type',
    ok: [actions(button())],
    bad: [actions({ type: 'workflow_button', action_id: 'w' })],
    pointer: '/blocks/0/elements/0/type',
  },
  {
    rule: 'a text input is no action element',
    ok: [actions(button())],
    bad: [actions({ type: 'plain_text_input', action_id: 't' })],
    pointer: '/blocks/0/elements/0/type',
  },
  {
    rule: 'duplicate block_id',
    ok: [
      { type: 'divider', block_id: 'a' },
      { type: 'divider', block_id: 'b' },
    ],
    bad: [
      { type: 'divider', block_id: 'a' },
      { type: 'divider', block_id: 'a' },
    ],
    pointer: '/blocks/1/block_id',
  },
  {
    rule: 'duplicate action_id in a block',
    ok: [actions(button(), button({ action_id: 'other' }))],
    bad: [actions(button(), button())],
    pointer: '/blocks/0/elements/1/action_id',
  },
];

describe('validateBlocks: each rule at its limit and one past it', () => {
  it.each(rules)('$rule', ({ ok, bad, pointer }) => {
    expect(message(ok)).toEqual([]);
    expect(message(bad)).toContain(pointer);
  });

  it('an action_id may repeat in different blocks (the rule is per block)', () => {
    expect(message([actions(button()), actions(button())])).toEqual([]);
  });
});

describe('option objects and selection elements', () => {
  const checkboxes = (over: Json) => [
    input({ type: 'checkboxes', action_id: 'c', options: options(1), ...over }),
  ];
  const at = '/blocks/0/element';

  it('option text, description and value: 75 characters each (the issue: a heal plan had 80 to 128)', () => {
    const fits = option({ text: mrkdwn(x(75)), description: plain(x(75)), value: x(75) });
    expect(message(checkboxes({ options: [fits] }))).toEqual([]);
    // 75 for value is @slack/types' JSDoc (OptionDescriptor.value); the web reference says 150: the stricter holds.
    const long = option({ text: mrkdwn(x(76)), description: plain(x(76)), value: x(76) });
    expect(message(checkboxes({ options: [long] }))).toEqual([
      `${at}/options/0/text/text`,
      `${at}/options/0/description/text`,
      `${at}/options/0/value`,
    ]);
  });

  it('an option needs text and value; a description is plain_text; url only in overflow menus', () => {
    expect(message(checkboxes({ options: [{ text: plain('a') }] }))).toEqual([`${at}/options/0/value`]);
    expect(message(checkboxes({ options: [{ value: 'a' }] }))).toEqual([`${at}/options/0/text`]);
    expect(message(checkboxes({ options: [option({ description: mrkdwn('d') })] }))).toEqual([
      `${at}/options/0/description/type`,
    ]);
    expect(message(checkboxes({ options: [option({ url: 'https://x' })] }))).toEqual([`${at}/options/0/url`]);
    expect(
      message([actions({ type: 'overflow', action_id: 'o', options: [option({ url: 'https://x' })] })]),
    ).toEqual([]);
  });

  it('checkboxes and radio buttons: 10 options', () => {
    expect(message(checkboxes({ options: options(10) }))).toEqual([]);
    expect(message(checkboxes({ options: options(11) }))).toEqual([`${at}/options`]);
    const radio = (n: number) => [input({ type: 'radio_buttons', action_id: 'r', options: options(n) })];
    expect(message(radio(10))).toEqual([]);
    expect(message(radio(11))).toEqual([`${at}/options`]);
  });

  it('initial_options must be a subset of options, by value and by text', () => {
    const opts = [option({ value: 'a', text: mrkdwn('A') }), option({ value: 'b', text: mrkdwn('B') })];
    expect(message(checkboxes({ options: opts, initial_options: [opts[1]] }))).toEqual([]);
    const otherValue = option({ value: 'c', text: mrkdwn('B') });
    const otherText = option({ value: 'b', text: mrkdwn('B, clipped differently') });
    expect(message(checkboxes({ options: opts, initial_options: [opts[0], otherValue, otherText] }))).toEqual(
      [`${at}/initial_options/1`, `${at}/initial_options/2`],
    );
  });

  it('static_select: 100 options, plain_text only, initial_option among them, placeholder 150', () => {
    const select = (over: Json) => [
      input({ type: 'static_select', action_id: 's', options: options(1), ...over }),
    ];
    expect(message(select({ options: options(100), placeholder: plain(x(150)) }))).toEqual([]);
    expect(message(select({ options: options(101) }))).toEqual([`${at}/options`]);
    expect(message(select({ placeholder: plain(x(151)) }))).toEqual([`${at}/placeholder/text`]);
    expect(message(select({ options: [option({ text: mrkdwn('m') })] }))).toEqual([
      `${at}/options/0/text/type`,
    ]);
    expect(message(select({ initial_option: option({ value: 'nope' }) }))).toEqual([`${at}/initial_option`]);
    expect(message(select({ initial_option: option({ value: 'v0' }) }))).toEqual([]);
  });

  it('static_select: option_groups instead of options, not both', () => {
    const groups = [{ label: plain(x(75)), options: options(2) }];
    const select = (over: Json) => [input({ type: 'static_select', action_id: 's', ...over })];
    expect(message(select({ option_groups: groups }))).toEqual([]);
    expect(message(select({ option_groups: [{ label: plain(x(76)), options: options(2) }] }))).toEqual([
      `${at}/option_groups/0/label/text`,
    ]);
    expect(message(select({ options: options(1), option_groups: groups }))).toEqual([at]);
    expect(message(select({}))).toEqual([at]);
  });

  it('checkboxes carry a valid confirm dialog too', () => {
    expect(message(checkboxes({ confirm: confirm({ title: plain(x(101)) }) }))).toEqual([
      `${at}/confirm/title/text`,
    ]);
  });
});

describe('inputs', () => {
  const at = '/blocks/0';
  const textInput = (over: Json) => [input({ type: 'plain_text_input', action_id: 't', ...over })];

  it('label and hint: 2000, plain_text; an element is required', () => {
    expect(
      message([input({ type: 'plain_text_input' }, { label: plain(x(2000)), hint: plain(x(2000)) })]),
    ).toEqual([]);
    expect(
      message([input({ type: 'plain_text_input' }, { label: plain(x(2001)), hint: plain(x(2001)) })]),
    ).toEqual([`${at}/label/text`, `${at}/hint/text`]);
    expect(message([input({ type: 'plain_text_input' }, { label: mrkdwn('l') })])).toEqual([
      `${at}/label/type`,
    ]);
    expect(message([{ type: 'input', label: plain('l') }])).toEqual([at]);
    expect(message([input({ type: 'plain_text_input' }, { optional: 'yes' })])).toEqual([`${at}/optional`]);
  });

  it('plain_text_input: min_length 0 to 3000, max_length 1 to 3000, min not above max', () => {
    expect(message(textInput({ min_length: 3000, max_length: 3000 }))).toEqual([]);
    expect(message(textInput({ min_length: 0, max_length: 1, multiline: true }))).toEqual([]);
    expect(message(textInput({ max_length: 3001 }))).toEqual([`${at}/element/max_length`]);
    expect(message(textInput({ max_length: 0 }))).toEqual([`${at}/element/max_length`]);
    expect(message(textInput({ min_length: 3001 }))).toEqual([`${at}/element/min_length`]);
    expect(message(textInput({ min_length: 10, max_length: 5 }))).toEqual([`${at}/element/min_length`]);
  });

  it('plain_text_input: placeholder 150, initial_value within max_length', () => {
    expect(
      message(textInput({ placeholder: plain(x(150)), initial_value: x(300), max_length: 300 })),
    ).toEqual([]);
    expect(message(textInput({ placeholder: plain(x(151)) }))).toEqual([`${at}/element/placeholder/text`]);
    expect(message(textInput({ initial_value: x(301), max_length: 300 }))).toEqual([
      `${at}/element/initial_value`,
    ]);
    expect(message(textInput({ initial_value: x(3001) }))).toEqual([`${at}/element/initial_value`]);
  });

  it('datepicker takes YYYY-MM-DD; users_select a user id', () => {
    expect(message([input({ type: 'datepicker', action_id: 'd', initial_date: '2026-01-20' })])).toEqual([]);
    expect(message([input({ type: 'datepicker', action_id: 'd', initial_date: '2026-02-30' })])).toEqual([
      `${at}/element/initial_date`,
    ]);
    expect(message([input({ type: 'users_select', action_id: 'u', initial_user: 'U1' })])).toEqual([]);
    expect(message([input({ type: 'users_select', action_id: 'u', initial_user: 7 })])).toEqual([
      `${at}/element/initial_user`,
    ]);
  });

  it('a button is no input element', () => {
    expect(message([input(button())])).toEqual([`${at}/element/type`]);
  });
});

describe('validateView', () => {
  const modal = (over: Json = {}) => ({
    type: 'modal',
    title: plain('Heal'),
    submit: plain('Go'),
    close: plain('Cancel'),
    blocks: [section('a')],
    ...over,
  });
  const viewPointers = (view: unknown, surface: 'modal' | 'home' = 'modal') =>
    pointers(validateView(view, surface));

  it('title, submit and close: 24 characters', () => {
    expect(viewPointers(modal({ title: plain(x(24)), submit: plain(x(24)), close: plain(x(24)) }))).toEqual(
      [],
    );
    expect(viewPointers(modal({ title: plain(x(25)), submit: plain(x(25)), close: plain(x(25)) }))).toEqual([
      '/view/title/text',
      '/view/submit/text',
      '/view/close/text',
    ]);
  });

  it('private_metadata 3000, callback_id 255, external_id 255', () => {
    const fits = modal({ private_metadata: x(3000), callback_id: x(255), external_id: x(255) });
    expect(viewPointers(fits)).toEqual([]);
    const over = modal({ private_metadata: x(3001), callback_id: x(256), external_id: x(256) });
    expect(viewPointers(over)).toEqual(['/view/private_metadata', '/view/callback_id', '/view/external_id']);
  });

  it('100 blocks in a modal or a Home tab; every block checked under /view/blocks', () => {
    expect(viewPointers(modal({ blocks: Array(100).fill({ type: 'divider' }) }))).toEqual([]);
    expect(viewPointers(modal({ blocks: Array(101).fill({ type: 'divider' }) }))).toEqual(['/view/blocks']);
    const home = (n: number) => ({ type: 'home', blocks: Array(n).fill({ type: 'divider' }) });
    expect(viewPointers(home(100), 'home')).toEqual([]);
    expect(viewPointers(home(101), 'home')).toEqual(['/view/blocks']);
    expect(viewPointers(modal({ blocks: [{ type: 'header', text: plain(x(151)) }] }))).toEqual([
      '/view/blocks/0/text/text',
    ]);
  });

  it('a modal needs a title, and a submit button when it has inputs; the type must match', () => {
    expect(viewPointers(modal({ title: undefined }))).toEqual(['/view/title']);
    const withInput = modal({
      submit: undefined,
      blocks: [input({ type: 'plain_text_input', action_id: 't' })],
    });
    expect(viewPointers(withInput)).toEqual(['/view/submit']);
    expect(viewPointers(modal({ type: 'home' }))).toEqual(['/view/type']);
  });

  it('the issue: five checkbox options with text of 80 to 112 and descriptions of 86 to 128 are refused', () => {
    const steps = [80, 90, 100, 105, 112].map((n, i) =>
      option({ text: mrkdwn(x(n)), description: plain(x(86 + i * 10)), value: `step-${i}` }),
    );
    const view = modal({
      blocks: [input({ type: 'checkboxes', action_id: 's', options: steps, initial_options: steps })],
    });
    const found = viewPointers(view);
    expect(found).toHaveLength(10);
    expect(found).toContain('/view/blocks/0/element/options/4/text/text');
    expect(found).toContain('/view/blocks/0/element/options/4/description/text');
  });
});

describe('validateMessage', () => {
  it('the text of all blocks together: 10,000 accepted, 10,001 refused with msg_blocks_too_long', () => {
    const blocks = (last: number) => [section(x(3000)), section(x(3000)), section(x(3000)), section(x(last))];
    expect(blockTextLength(blocks(1000))).toBe(10_000);
    expect(validateMessage({ blocks: blocks(1000) })).toBeUndefined();
    expect(validateMessage({ blocks: blocks(1001) })).toEqual({
      error: 'msg_blocks_too_long',
      messages: [expect.stringContaining('[json-pointer:/blocks]')],
    });
  });

  it('counts the text of buttons, options and confirm dialogs too', () => {
    const withButton = [section(x(9990)), actions(button({ text: plain(x(11)) }))];
    expect(blockTextLength(withButton)).toBe(10_001);
  });

  it('a top-level text of 40,000 is accepted, 40,001 refused with msg_too_long', () => {
    expect(validateMessage({ text: x(40_000) })).toBeUndefined();
    expect(validateMessage({ text: x(40_001) })).toEqual({
      error: 'msg_too_long',
      messages: ['[ERROR] must be less than 40001 characters [json-pointer:/text]'],
    });
  });

  it('a malformed block is invalid_blocks, reported before the length', () => {
    expect(validateMessage({ blocks: [{ type: 'header', text: plain(x(151)) }] })).toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
    });
    expect(validateMessage({ blocks: 'not a list' })?.error).toBe('invalid_blocks');
  });
});
