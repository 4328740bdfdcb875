/**
 * The same `/pipeline status` over Socket Mode: the real app connects to the fake Slack's
 * WebSocket (after `apps.connections.open`), acks the envelope, and replies on the response_url.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDriver } from '../../devstack/src/local/driver.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

describe('/pipeline status over Socket Mode', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', socketMode: true });
    await e.fake.socketMode.waitForConnection(10_000);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('answers /healthz on its port: Cloud Run probes a listener in Socket Mode too', async () => {
    expect(e.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${e.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
    // Only the health route: Slack's events come over the socket, never to this listener.
    expect((await fetch(`http://127.0.0.1:${e.port}/slack/events`, { method: 'POST' })).status).toBe(404);
  });

  it('connects through apps.connections.open, acks the command and replies', async () => {
    expect(e.fake.calls('apps.connections.open').length).toBeGreaterThanOrEqual(1);
    const mark = e.fake.mark();
    const delivery = await e.driver.socketCommand('/pipeline status 2026-01-20', {
      userId: 'U0ALICE',
      channelId: 'C0OPS',
    });
    expect(delivery.ack.envelope_id).toBeTruthy();
    // A bare ack: the report follows on the response_url.
    expect(delivery.body).toBe('');
    const reply = await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    expect(reply.body.response_type).toBe('ephemeral');
    const text = blockText(reply.body.blocks);
    expect(text).toContain('Pipeline status · 2026-01-20');
    for (const phase of e.config.phases) expect(text).toContain(phase.service);
    expect(text).toMatch(/nba-phase4-precompute-processors[^\n]*latest revision 00049-\w+ is not ready/);
  });

  it('answers bad input in the ack itself', async () => {
    const mark = e.fake.mark();
    const delivery = await e.driver.command('/pipeline status 2026/01/20');
    expect(delivery.json).toMatchObject({ response_type: 'ephemeral' });
    expect((delivery.json as { text: string }).text).toContain('is not a date');
    await new Promise((r) => setTimeout(r, 300));
    expect(e.fake.calls('response_url').filter((c) => c.seq > mark)).toHaveLength(0);
  });
});

describe('Socket Mode redeliveries, refreshes and a heal', () => {
  let e: E2E;
  const BOB = 'U0BOB';
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', socketMode: true, onCall: [BOB] });
    await e.fake.socketMode.waitForConnection(10_000);
  });
  afterAll(async () => {
    await e?.stop();
  });
  const settle = (ms = 800) => new Promise((r) => setTimeout(r, ms));

  it('a redelivered envelope (same envelope_id, retry_attempt 1) acts once', async () => {
    const mark = e.fake.mark();
    const status = await e.driver.socketCommand('/pipeline status 2026-01-20');
    const heal = await e.driver.socketCommand('/heal 2026-01-20');
    // Slack redelivers an envelope it saw no ack for, with the same id and a retry count.
    const again = await e.driver.replay(status, { retry: { num: 1, reason: 'timeout' } });
    await e.driver.replay(heal, { retry: { num: 1, reason: 'timeout' } });
    expect(again.status).toBe(200);
    await e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 20_000 });
    await e.fake.waitForCall('views.update', undefined, { since: mark, timeoutMs: 20_000 });
    await settle();
    expect(e.fake.calls('response_url').filter((c) => c.seq > mark)).toHaveLength(1);
    expect(e.fake.calls('views.open').filter((c) => c.seq > mark)).toHaveLength(1);
    for (const v of e.fake.views()) e.fake.closeView(v.id);
  });

  it('loses no command across a refresh (disconnect, reason refresh_requested)', {
    timeout: 60_000,
  }, async () => {
    const connections = e.fake.calls('apps.connections.open').length;
    const mark = e.fake.mark();
    e.fake.socketMode.requestReconnect('refresh_requested');
    // Sent at once, as the client drops its connection: @slack/socket-mode closes it on the
    // notice and reconnects only after its ping timeout (5 s), so Slack redelivers the unacked
    // envelope on the new connection (retry_attempt 1). Waited for longer than 3 s for that.
    const patient = createDriver({ via: 'socket', fakeSlack: e.fake, timeoutMs: 20_000 });
    const during = await patient.socketCommand('/pipeline status 2026-01-19');
    expect(during.status).toBe(200);
    expect(e.fake.calls('apps.connections.open').length).toBe(connections + 1);
    await e.fake.socketMode.waitForConnection(10_000);
    const after = await e.driver.socketCommand('/pipeline status 2026-01-18');
    expect(after.status).toBe(200);
    await vi.waitFor(
      () => {
        const texts = e.fake
          .calls('response_url')
          .filter((c) => c.seq > mark)
          .map((c) => blockText(c.body.blocks));
        expect(texts.some((t) => t.includes('2026-01-19'))).toBe(true);
        expect(texts.some((t) => t.includes('2026-01-18'))).toBe(true);
        // Each once, whether the first delivery got through before the close or not.
        expect(texts.filter((t) => t.includes('Pipeline status · 2026-01-19'))).toHaveLength(1);
      },
      { timeout: 30_000, interval: 200 },
    );
  });

  it('runs a heal: modal, submission, approval click, steps', { timeout: 120_000 }, async () => {
    const ts = await requestHeal(e, '2026-01-20', 'U0ALICE');
    const mark = e.fake.mark();
    const click = await e.driver.action({ actionId: 'request_approve', userId: BOB, messageTs: ts });
    expect(click.status).toBe(200);
    await e.fake.waitFor(
      (c) =>
        (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
        /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks)),
      { since: mark, timeoutMs: 60_000, description: 'the heal succeeding' },
    );
    const keys = e.sandbox.state.processorCalls.filter((c) => c.authorized).map((c) => c.idempotencyKey);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
  });
});
