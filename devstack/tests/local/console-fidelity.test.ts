/**
 * Block Kit fidelity of the local console: everything the bot sends for the shipped scenarios
 * (messages, ephemerals, updates, modals, acks) goes through the console's own renderer, and
 * none of it may come out as an "unsupported" placeholder. Plus the renderer's safety rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText, type E2E, startE2E } from '../../../tests/helpers/e2e.js';
import { readCommands } from '../../src/local/console/server.js';
import {
  findUnsupported,
  mrkdwn,
  renderBlocks,
  renderMessage,
  renderModal,
} from '../../src/local/console/static/render.js';
import { buttonIds } from '../../src/local/driver.js';
import type { RecordedCall } from '../../src/local/fake-slack.js';
import type { ScenarioName } from '../../src/sandbox/scenarios.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CAROL = 'U0CAROL';
const CHANNEL = 'C0OPS';
const DATE = '2026-01-20';

/** One thing the bot produced, and where it came from (for the failure message). */
interface Surface {
  source: string;
  kind: 'message' | 'modal' | 'home';
  body: Record<string, unknown>;
}

const messageMethods = new Set(['chat.postMessage', 'chat.postEphemeral', 'chat.update', 'response_url']);
const viewMethods = new Set(['views.open', 'views.update', 'views.push']);

function surfacesOf(calls: RecordedCall[]): Surface[] {
  const out: Surface[] = [];
  for (const call of calls) {
    if (call.response.ok === false) continue;
    const source = `#${call.seq} ${call.method}`;
    if (messageMethods.has(call.method) && (call.body.blocks || call.body.text)) {
      out.push({ source, kind: 'message', body: call.body });
    } else if (viewMethods.has(call.method) && call.body.view) {
      out.push({ source, kind: 'modal', body: call.body.view as Record<string, unknown> });
    } else if (call.method === 'views.publish' && call.body.view) {
      out.push({ source, kind: 'home', body: call.body.view as Record<string, unknown> });
    }
  }
  return out;
}

function render(surface: Surface): string {
  if (surface.kind === 'modal') return renderModal(surface.body);
  if (surface.kind === 'home') return renderBlocks(surface.body.blocks);
  return renderMessage(surface.body);
}

/** Waits until the bot has finished the work its listeners started. */
async function settle(e: E2E): Promise<void> {
  const until = Date.now() + 30_000;
  await new Promise((r) => setTimeout(r, 100));
  while (e.bot.inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
}

/** The plan modal of a `/heal` just typed: its view id once the plan is in it. */
async function healModal(e: E2E, since: number): Promise<string> {
  const updated = await e.fake.waitForCall(
    'views.update',
    (c) => blockText(c.body.view).includes('plan_steps'),
    { since, timeoutMs: 20_000 },
  );
  return (updated.response.view as { id: string }).id;
}

async function approvalTs(e: E2E, since: number): Promise<string> {
  const call = await e.fake.waitForCall(
    'chat.postMessage',
    (c) => blockText(c.body.blocks).includes('approval needed'),
    { since, timeoutMs: 15_000 },
  );
  return (call.response as { ts: string }).ts;
}

/** Drives every command and button of the bot for a scenario; returns everything it produced. */
async function driveEverything(e: E2E, scenario: ScenarioName): Promise<Surface[]> {
  const acks: Surface[] = [];
  const command = async (text: string, userId = ALICE) => {
    const delivery = await e.driver.command(text, { userId, channelId: CHANNEL });
    expect(delivery.status, text).toBe(200);
    if (delivery.json) acks.push({ source: `ack of ${text}`, kind: 'message', body: delivery.json as never });
    await settle(e);
  };
  const click = async (actionId: string, userId: string, messageTs?: string) => {
    const delivery = await e.driver.action({
      actionId,
      userId,
      channel: CHANNEL,
      ...(messageTs ? { messageTs } : {}),
    });
    expect(delivery.status, actionId).toBe(200);
    if (delivery.json)
      acks.push({ source: `ack of ${actionId}`, kind: 'message', body: delivery.json as never });
    await settle(e);
  };

  await command(`/pipeline status ${DATE}`);
  await command(`/pipeline status ${DATE} --post`);
  await command('/pipeline status');
  await command('/pipeline help');
  await command('/pipeline status 2026-02-30');
  await command('/pipeline frobnicate');
  await command('/deploy-verify');
  await command('/deploy-verify nba-phase3-analytics-processors');
  await command('/deploy-verify no-such-service');
  await command('/heal');
  await command('/heal 2026/01/20');
  await command(`/heal ${DATE} --dry-run`);

  // The buttons on the status report posted in the channel.
  const posted = e.fake.messages(CHANNEL).find((m) => blockText(m.blocks).includes('Pipeline status'));
  expect(posted, 'the --post status report').toBeDefined();
  const buttons = buttonIds(posted!.blocks);
  expect(buttons).toContain('refresh_status');
  await click('refresh_status', ALICE, posted!.ts);
  if (buttons.includes('open_deploy_verify')) await click('open_deploy_verify', ALICE, posted!.ts);
  if (buttons.includes('show_status_findings')) await click('show_status_findings', ALICE, posted!.ts);

  // healthy and breakdown: nothing for a heal to do (data complete, nothing stuck).
  if (scenario !== 'jan20') {
    await command(`/heal ${DATE}`);
    return acks;
  }

  // jan20: a request rejected, then one refused to the wrong people, approved, run and undone.
  let mark = e.fake.mark();
  await command(`/heal ${DATE}`);
  let viewId = await healModal(e, mark);
  const invalid = await e.driver.submitView(viewId, { plan_steps: { plan_steps_input: [] } }, ALICE);
  expect(invalid.outcome).toBe('errors');
  await e.driver.submitView(viewId, {}, ALICE);
  let ts = await approvalTs(e, mark);
  await click('request_reject', BOB, ts);

  mark = e.fake.mark();
  await click('open_heal', ALICE, posted!.ts);
  viewId = await healModal(e, mark);
  await e.driver.submitView(viewId, {}, ALICE);
  ts = await approvalTs(e, mark);
  await click('request_approve', CAROL, ts);
  await click('request_approve', ALICE, ts);
  await click('request_approve', BOB, ts);
  await e.fake.waitFor(
    (c) => c.method === 'chat.update' && /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks)),
    { since: mark, timeoutMs: 90_000, description: 'progress saying succeeded' },
  );
  const progressTs = (await e.guardedRequest()).progressTs!;
  await click('request_undo', BOB, progressTs);
  await e.fake.waitFor(
    (c) => c.method === 'chat.update' && /Heal 2026-01-20: undone/.test(blockText(c.body.blocks)),
    { since: mark, timeoutMs: 30_000, description: 'progress saying undone' },
  );
  await command(`/pipeline status ${DATE} --fresh`);
  return acks;
}

describe.each(['jan20', 'healthy', 'breakdown'] as const)(
  'every view the bot produces renders in the console (%s)',
  (scenario) => {
    let e: E2E;
    beforeAll(async () => {
      e = await startE2E({ scenario });
      e.fake.setUsergroup('S0ONCALL01', [BOB]);
    });
    afterAll(async () => {
      await e?.stop();
    });

    it('has no "unsupported" placeholder anywhere', { timeout: 180_000 }, async () => {
      const acks = await driveEverything(e, scenario);
      const surfaces = [...surfacesOf(e.fake.calls()), ...acks];
      const seen = new Set(surfaces.map((s) => s.source.replace(/^#\d+ /, '').replace(/^ack of .*/, 'ack')));
      // Not vacuous: the walk produced every kind of surface the console has to draw.
      for (const kind of ['response_url', 'chat.postMessage', 'ack']) {
        expect(seen, kind).toContain(kind);
      }
      if (scenario === 'jan20') {
        for (const kind of ['views.open', 'views.update', 'chat.update', 'chat.postEphemeral']) {
          expect(seen, kind).toContain(kind);
        }
      }
      const problems = surfaces.flatMap((s) => findUnsupported(render(s)).map((p) => `${s.source}: ${p}`));
      expect(problems).toEqual([]);
      // And the open modals and the whole channel as the fake holds them now.
      for (const m of e.fake.messages(CHANNEL, { replies: true }))
        expect(findUnsupported(renderMessage(m))).toEqual([]);
      for (const view of e.fake.views()) expect(findUnsupported(renderModal(view))).toEqual([]);
    });
  },
);

describe('the console renderer', () => {
  it('shows a visible placeholder for a block or element it does not know, never drops it', () => {
    const html = renderBlocks([
      { type: 'video', title: { type: 'plain_text', text: 'x' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'kept' }, accessory: { type: 'users_select' } },
      { type: 'actions', elements: [{ type: 'workflow_button', text: { type: 'plain_text', text: 'Go' } }] },
    ]);
    expect(findUnsupported(html)).toEqual([
      'unsupported block: video',
      'unsupported element: users_select',
      'unsupported element: workflow_button',
    ]);
    expect(html).toContain('kept');
    expect(findUnsupported(renderModal({ type: 'workflow_step', blocks: [] }))).toEqual([
      'unsupported view: workflow_step',
    ]);
  });

  it('escapes everything the bot sent and links only http(s) and mailto', () => {
    const html = mrkdwn(
      'a <script>alert(1)</script> &lt;img src=x onerror=alert(1)&gt; <javascript:alert(1)|click> ' +
        '<https://console.cloud.google.com/run?x=1&amp;y="2"|Cloud Run> "quoted" :constructor:',
    );
    expect(html).not.toMatch(/<script|<img|javascript:|onerror="/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<a href="https://console.cloud.google.com/run?x=1&amp;y=&quot;2&quot;"');
    expect(html).toContain('>Cloud Run</a>');
    expect(html).toContain(':constructor:');
    const rendered = renderBlocks([
      { type: 'header', text: { type: 'plain_text', text: '<b>not bold</b>' } },
      { type: 'context', elements: [{ type: 'plain_text', text: '"><img src=x>' }] },
    ]);
    expect(rendered).not.toMatch(/<b>not|<img/);
  });

  it('renders mrkdwn formatting, mentions, groups, line breaks and quotes', () => {
    const html = mrkdwn(
      '*bold* _it_ ~gone~ `co*de*`\n> asked by <@U0BOB> for <!subteam^S0ONCALL01> :warning:',
      {
        users: { U0BOB: 'Bob' },
        usergroups: { S0ONCALL01: 'oncall' },
      },
    );
    expect(html).toContain('<b>bold</b> <i>it</i> <s>gone</s> <code>co*de*</code><br>');
    expect(html).toMatch(/<blockquote>asked by <span[^>]*>@Bob<\/span> for <span[^>]*>@oncall<\/span> <svg/);
    expect(mrkdwn('HealthChecker.__init__() in snake_case_name')).toBe(
      'HealthChecker.__init__() in snake_case_name',
    );
    expect(mrkdwn('_*both*_')).toBe('<i><b>both</b></i>');
  });

  it('marks buttons with their style and carries the confirmation dialog', () => {
    const html = renderBlocks([
      {
        type: 'actions',
        block_id: 'approval',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Approve' },
            action_id: 'request_approve',
            value: '{"id":"r1"}',
            style: 'primary',
            confirm: {
              title: { type: 'plain_text', text: 'Approve and run?' },
              text: { type: 'mrkdwn', text: 'Runs *5* steps' },
              confirm: { type: 'plain_text', text: 'Approve' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Reject' },
            action_id: 'request_reject',
            style: 'danger',
          },
        ],
      },
    ]);
    expect(html).toContain(
      'class="bk-button primary" data-block-id="approval" data-action-id="request_approve"',
    );
    expect(html).toContain('data-value="{&quot;id&quot;:&quot;r1&quot;}"');
    expect(html).toContain('data-confirm="{&quot;title&quot;:&quot;Approve and run?&quot;');
    expect(html).toContain('class="bk-button danger"');
  });

  it('shows a response_action errors message on the input it names, and fills inputs from the state', () => {
    const html = renderModal({
      type: 'modal',
      id: 'V1',
      title: { type: 'plain_text', text: 'Heal 2026-01-20' },
      submit: { type: 'plain_text', text: 'Request approval' },
      blocks: [
        {
          type: 'input',
          block_id: 'steps',
          label: { type: 'plain_text', text: 'Steps' },
          element: {
            type: 'checkboxes',
            action_id: 'pick',
            options: [
              { text: { type: 'mrkdwn', text: '*one*' }, value: 'a' },
              { text: { type: 'plain_text', text: 'two' }, value: 'b' },
            ],
          },
        },
        {
          type: 'input',
          block_id: 'reason',
          optional: true,
          label: { type: 'plain_text', text: 'Why' },
          element: { type: 'plain_text_input', action_id: 'why' },
        },
        {
          type: 'input',
          block_id: 'when',
          label: { type: 'plain_text', text: 'When' },
          element: {
            type: 'static_select',
            action_id: 'sel',
            options: [{ text: { type: 'plain_text', text: 'Now' }, value: 'now' }],
          },
        },
        {
          type: 'input',
          block_id: 'day',
          label: { type: 'plain_text', text: 'Day' },
          element: { type: 'datepicker', action_id: 'd', initial_date: '2026-01-20' },
        },
      ],
      state: { values: { steps: { pick: { type: 'checkboxes', selected_options: [{ value: 'b' }] } } } },
      errors: { steps: 'Tick at least one step.' },
    });
    expect(findUnsupported(html)).toEqual([]);
    const steps = html.slice(
      html.indexOf('data-input-block="steps"'),
      html.indexOf('data-input-block="reason"'),
    );
    expect(steps).toContain('Tick at least one step.');
    expect(steps).toMatch(/value="b" checked/);
    expect(steps).not.toMatch(/value="a" checked/);
    expect(html.slice(html.indexOf('data-input-block="reason"'))).not.toContain('Tick at least');
    expect(html).toContain(
      '<button type="submit" class="bk-button primary" data-modal="submit">Request approval</button>',
    );
    expect(html).toContain('type="date" value="2026-01-20"');
  });

  it('renders rich_text sections, lists, quotes and code', () => {
    const html = renderBlocks([
      {
        type: 'rich_text',
        elements: [
          { type: 'rich_text_section', elements: [{ type: 'text', text: 'hi ', style: { bold: true } }] },
          {
            type: 'rich_text_list',
            style: 'bullet',
            elements: [{ type: 'rich_text_section', elements: [{ type: 'user', user_id: 'U0BOB' }] }],
          },
          { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'a < b' }] },
          { type: 'rich_text_quote', elements: [{ type: 'link', url: 'https://x.test', text: 'x' }] },
        ],
      },
    ]);
    expect(findUnsupported(html)).toEqual([]);
    expect(html).toContain('<b>hi </b>');
    expect(html).toContain('<li><span class="bk-mention" data-user="U0BOB">@U0BOB</span></li>');
    expect(html).toContain('<pre class="bk-pre">a &lt; b</pre>');
  });
});

describe('the composer hints', () => {
  it('lists the four commands of manifest.yml with their usage hints', async () => {
    const commands = await readCommands('manifest.yml');
    expect(commands.map((c) => c.command)).toEqual(['/pipeline', '/heal', '/backfill', '/deploy-verify']);
    expect(commands.find((c) => c.command === '/heal')?.usageHint).toBe(
      '<YYYY-MM-DD|today|yesterday> [--dry-run]',
    );
  });
});
