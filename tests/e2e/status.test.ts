import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

describe('/pipeline status end to end (jan20)', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20' });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('acks a signed command and answers with every configured service and its state', async () => {
    const mark = e.fake.mark();
    const delivery = await e.driver.command('/pipeline status 2026-01-20', {
      userId: 'U0ALICE',
      channelId: 'C0OPS',
    });
    expect(delivery.status).toBe(200);
    const reply = await e.fake.waitForCall('response_url', undefined, { timeoutMs: 20_000, since: mark });
    const text = blockText(reply.body.blocks);
    for (const phase of e.config.phases) expect(text).toContain(phase.service);
    expect(text).toContain('00049');
    expect(text).toMatch(/nba-phase4-precompute-processors[^\n]*latest revision 00049-\w+ is not ready/);
    expect(text).toMatch(/nba-phase3-analytics-processors[^\n]*00092-\w+ · 100% traffic/);
  });

  it('refuses a bad signature and a stale timestamp with 401 and no Web API call', async () => {
    const before = e.fake.calls().length;
    const bad = await e.driver.command('/pipeline status', { badSignature: true });
    expect(bad.status).toBe(401);
    const stale = await e.driver.command('/pipeline status', {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(e.fake.calls().length).toBe(before);
  });
});
