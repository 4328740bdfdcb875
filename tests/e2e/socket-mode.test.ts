/**
 * The same `/pipeline status` over Socket Mode: the real app connects to the fake Slack's
 * WebSocket (after `apps.connections.open`), acks the envelope, and replies on the response_url.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

describe('/pipeline status over Socket Mode', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', socketMode: true });
    await e.fake.socketMode.waitForConnection(10_000);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('connects through apps.connections.open, acks the command and replies', async () => {
    expect(e.port).toBeUndefined(); // no HTTP listener in Socket Mode
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
