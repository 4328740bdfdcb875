/**
 * Hardening at the Slack boundary, through the real app over signed HTTP: the future half of
 * the timestamp window, payloads missing the fields listeners rely on, and input echoed back
 * escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, postSigned, startE2E } from '../helpers/e2e.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E({ scenario: 'healthy' });
});
afterAll(async () => {
  await e?.stop();
});

/** A correctly signed interactivity post of `payload`, as Slack sends it. */
const sendPayload = (payload: object): Promise<number> =>
  postSigned(
    e,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
  );

describe('the timestamp window', () => {
  it('refuses a signed request timestamped 6 minutes ahead like a stale one, and makes no call', async () => {
    const mark = e.fake.mark();
    const future = await e.driver.command('/pipeline help', {
      timestamp: Math.floor(Date.now() / 1000) + 360,
    });
    const stale = await e.driver.command('/pipeline help', {
      timestamp: Math.floor(Date.now() / 1000) - 360,
    });
    expect(future.status).toBe(401);
    expect(stale.status).toBe(401);
    expect(e.logs.some((l) => String(l.msg ?? l.message).includes('timestamped in the future'))).toBe(true);
    // Within the window (4 minutes ahead, a skewed clock) it still works.
    const skewed = await e.driver.command('/pipeline help', {
      timestamp: Math.floor(Date.now() / 1000) + 240,
    });
    expect(skewed.status).toBe(200);
    expect(e.fake.calls().filter((c) => c.seq > mark)).toEqual([]);
  });
});

describe('payloads missing required fields', () => {
  const view = { id: 'V0000000099', callback_id: 'heal_plan', private_metadata: '{}', state: { values: {} } };
  it.each([
    [
      'block_actions without user',
      { type: 'block_actions', actions: [{ action_id: 'refresh_status' }], container: {} },
    ],
    ['block_actions without actions', { type: 'block_actions', user: { id: 'U0ALICE' }, container: {} }],
    ['view_submission without user', { type: 'view_submission', view }],
    [
      'view_submission without view.state',
      { type: 'view_submission', user: { id: 'U0ALICE' }, view: { ...view, state: undefined } },
    ],
  ])('%s: 400 and a log line, no listener error', async (_name, payload) => {
    const before = e.logs.length;
    const status = await sendPayload({ team: { id: 'T0TEAM' }, api_app_id: 'A0APP', ...payload });
    expect(status).toBe(400);
    const lines = e.logs.slice(before);
    expect(lines.some((l) => String(l.msg ?? l.message).includes('malformed Slack payload'))).toBe(true);
    expect(lines.filter((l) => l.severity === 'ERROR')).toEqual([]);
  });
});

describe('input echoed back', () => {
  it('`/heal <!channel>` shows the text escaped, never a live mention', async () => {
    const ack = await e.driver.command('/heal <!channel>');
    const text = (ack.json as { text: string }).text;
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    // The usage's placeholders are escaped too, so Slack shows them as typed.
    expect(text).toContain('/heal &lt;date&gt;');
  });
});
