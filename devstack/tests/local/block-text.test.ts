import { describe, expect, it } from 'vitest';
import { blocksToText, messageToText, mrkdwnToText, viewToText } from '../../src/local/block-text.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });

describe('mrkdwnToText', () => {
  it('turns links, mentions and entities into readable text and keeps *bold*', () => {
    expect(mrkdwnToText('See <https://console.cloud.google.com/run|Cloud Run> or <https://x.test>')).toBe(
      'See Cloud Run (https://console.cloud.google.com/run) or https://x.test',
    );
    expect(mrkdwnToText('<@U123> and <@U456|bob> in <#C1|ops> / <#C2>')).toBe('@U123 and @bob in #ops / #C2');
    expect(mrkdwnToText('<!here> <!subteam^S1|@approvers> <!subteam^S2>')).toBe('@here @approvers @S2');
    expect(mrkdwnToText('<!date^1700000000^{date}|Nov 14> *bold* 1 &lt; 2 &amp;&amp; 3 &gt; 2')).toBe(
      'Nov 14 *bold* 1 < 2 && 3 > 2',
    );
  });
});

describe('blocksToText', () => {
  it('renders a status message', () => {
    const text = blocksToText(
      [
        { type: 'header', text: plain('Pipeline 2026-01-20') },
        { type: 'section', text: md('*Phase 3* failed: <https://logs.test|logs>') },
        { type: 'section', fields: [md('*Phase 1*\nok'), md('*Phase 2*\nok'), md('*Phase 3*\nfailed')] },
        {
          type: 'context',
          elements: [md('checked by <@U0BOT>'), { type: 'image', alt_text: 'clock', image_url: 'x' }],
        },
        { type: 'divider' },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'heal', style: 'primary', text: plain('Heal') },
            { type: 'button', action_id: 'cancel', style: 'danger', text: plain('Cancel') },
            { type: 'button', action_id: 'refresh', text: plain('Refresh') },
            { type: 'button', action_id: 'console', text: plain('Console'), url: 'https://console.test' },
          ],
        },
      ],
      { width: 40 },
    );
    expect(text).toBe(
      [
        'Pipeline 2026-01-20',
        '═══════════════════',
        '*Phase 3* failed: logs (https://logs.test)',
        '*Phase 1*            *Phase 2*',
        'ok                   ok',
        '*Phase 3*',
        'failed',
        '  · checked by @U0BOT  [clock]',
        '─'.repeat(40),
        '[*Heal*]  [!Cancel]  [Refresh]  [Console ↗]',
      ].join('\n'),
    );
  });

  it('renders accessories: buttons, overflow menus, selects and images', () => {
    expect(
      blocksToText([
        {
          type: 'section',
          text: md('Retry phase 3'),
          accessory: { type: 'button', text: plain('Retry'), action_id: 'r' },
        },
        {
          type: 'section',
          text: md('More'),
          accessory: {
            type: 'overflow',
            action_id: 'o',
            options: [
              { text: plain('Logs'), value: 'l' },
              { text: plain('Undo'), value: 'u' },
            ],
          },
        },
        {
          type: 'section',
          text: md('Target'),
          accessory: { type: 'static_select', action_id: 's', placeholder: plain('Pick one'), options: [] },
        },
        {
          type: 'section',
          text: md('Chart'),
          accessory: { type: 'image', alt_text: 'latency chart', image_url: 'x' },
        },
        { type: 'image', alt_text: 'big chart', image_url: 'x', title: plain('Latency') },
      ]),
    ).toBe(
      [
        'Retry phase 3  [Retry]',
        'More  [⋯ Logs | Undo]',
        'Target  [Pick one ▾]',
        'Chart  [image: latency chart]',
        '[image: big chart] Latency',
      ].join('\n'),
    );
  });

  it('renders rich_text: styles, links, mentions, lists, code and quotes', () => {
    const text = blocksToText([
      {
        type: 'rich_text',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'text', text: 'Heal ', style: { bold: true } },
              { type: 'text', text: 'now', style: { code: true } },
              { type: 'text', text: ' see ' },
              { type: 'link', url: 'https://x.test', text: 'docs' },
              { type: 'text', text: ' ' },
              { type: 'user', user_id: 'U1' },
              { type: 'emoji', name: 'rocket' },
            ],
          },
          {
            type: 'rich_text_list',
            style: 'ordered',
            elements: [
              { type: 'rich_text_section', elements: [{ type: 'text', text: 'phase 3' }] },
              { type: 'rich_text_section', elements: [{ type: 'text', text: 'phase 4' }] },
            ],
          },
          { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'SELECT 1' }] },
          { type: 'rich_text_quote', elements: [{ type: 'text', text: 'quoted' }] },
        ],
      },
    ]);
    expect(text).toBe(
      [
        '*Heal* `now` see docs (https://x.test) @U1:rocket:',
        '1. phase 3',
        '2. phase 4',
        '```',
        'SELECT 1',
        '```',
        '> quoted',
      ].join('\n'),
    );
  });

  it('never drops an unknown block silently', () => {
    expect(blocksToText([{ type: 'section', text: md('a') }, { type: 'call', call_id: 'R1' }, 'junk'])).toBe(
      'a\n[unsupported block: call]\n[unsupported block: not an object]',
    );
  });

  it('colours only when asked', () => {
    const blocks = [{ type: 'context', elements: [md('dim')] }];
    expect(blocksToText(blocks)).toBe('  · dim');
    expect(blocksToText(blocks, { color: true })).toBe('\x1b[2m  · dim\x1b[22m');
  });
});

describe('messageToText', () => {
  it('falls back to the text when there are no blocks, and shows attachments', () => {
    expect(
      messageToText({
        text: 'Heal done for <#C1|ops>',
        attachments: [{ color: 'good', title: 'Phase 3', text: 'rows: 42', footer: 'sandbox' }],
      }),
    ).toBe(['Heal done for #ops', '▌ Phase 3', '▌ rows: 42', '▌   · sandbox'].join('\n'));
  });
});

describe('viewToText', () => {
  it('renders a modal with inputs, current values, errors and its buttons', () => {
    const view = {
      type: 'modal',
      title: plain('Heal 2026-01-20'),
      submit: plain('Heal'),
      close: plain('Cancel'),
      blocks: [
        { type: 'section', block_id: 'intro', text: md('Re-run *phase 3* and *phase 4*') },
        {
          type: 'input',
          block_id: 'reason',
          label: plain('Reason'),
          hint: plain('Shown in the audit log'),
          element: { type: 'plain_text_input', action_id: 'reason_input', placeholder: plain('why') },
        },
        {
          type: 'input',
          block_id: 'steps',
          optional: true,
          label: plain('Steps'),
          element: {
            type: 'checkboxes',
            action_id: 'steps_input',
            options: [
              { text: plain('phase 3'), value: 'p3' },
              { text: plain('phase 4'), value: 'p4' },
            ],
            initial_options: [{ text: plain('phase 3'), value: 'p3' }],
          },
        },
        {
          type: 'input',
          block_id: 'date',
          label: plain('Date'),
          element: { type: 'datepicker', action_id: 'd', initial_date: '2026-01-20' },
        },
      ],
      state: { values: { date: { d: { type: 'datepicker', selected_date: '2026-01-21' } } } },
      errors: { reason: 'Say why.' },
    };
    expect(viewToText(view, { width: 20 })).toBe(
      [
        '┌─ Heal 2026-01-20 ─┐',
        'Re-run *phase 3* and *phase 4*',
        'Reason: [why]',
        '  · Shown in the audit log',
        '  ! Say why.',
        'Steps (optional): ☑ phase 3  ☐ phase 4',
        'Date: [2026-01-21 ▾]',
        '─'.repeat(20),
        '[Cancel]  [*Heal*]',
      ].join('\n'),
    );
  });

  it('shows typed values in place of placeholders', () => {
    const view = {
      type: 'modal',
      title: plain('T'),
      blocks: [
        {
          type: 'input',
          block_id: 'b',
          label: plain('Reason'),
          element: { type: 'plain_text_input', action_id: 'a', placeholder: plain('why') },
        },
      ],
      state: { values: { b: { a: { type: 'plain_text_input', value: 'outage' } } } },
    };
    expect(viewToText(view).split('\n')).toContain('Reason: [outage]');
  });
});
