/**
 * Issue 14 through the real app: `/pipeline trace` on the jan20 day before and after a heal,
 * `/pipeline logs` paged with More and one entry opened whole, a component that is not configured,
 * hostile search text, and the Trace and Logs buttons of the status report. Timeouts are generous:
 * a heal and status reports through the real app on a loaded machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { receivedLogQueries } from '../../devstack/src/sandbox/logging.js';
import { actions as ids } from '../../src/ids.js';
import { blockText, type E2E, requestHeal, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const DATE = '2026-01-20';
const PHASE3 = 'nba-phase3-analytics-processors';

type Element = { action_id?: string; value?: string; options?: { value: string }[] };
type Block = { type: string; elements?: Element[] };

const elementsOf = (call: RecordedCall) =>
  ((call.body.blocks ?? []) as Block[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

/** A command's answer (after its bare ack), through the response_url. */
async function answer(e: E2E, text: string): Promise<RecordedCall> {
  const mark = e.fake.mark();
  const delivery = await e.driver.command(text, { userId: ALICE, channelId: CHANNEL });
  expect(delivery.status).toBe(200);
  expect(delivery.body, 'a bare ack: the answer follows').toBe('');
  return e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
}

/** Click in the newest message that has the element, and wait for the answer. */
async function click(e: E2E, actionId: string, value?: string): Promise<RecordedCall> {
  const mark = e.fake.mark();
  const delivery = await e.driver.action({ actionId, userId: ALICE, ...(value ? { value } : {}) });
  expect(delivery.status).toBe(200);
  return e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
}

describe('/pipeline trace and /pipeline logs end to end', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', onCall: [BOB] });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('traces jan20 to where it broke, and after a heal finds every phase done', async () => {
    const before = await answer(e, `/pipeline trace ${DATE}`);
    const text = blockText(before.body.blocks);
    expect(before.body.response_type).toBe('ephemeral');
    // Phase 2 finished and handed off, but only 4 of the 7 games reached BigQuery.
    expect(text).toMatch(
      /\*Chain broke at phase2 · Raw processing\*: phase2 finished [-\d: ]+; Games with box scores: 4 of 7 expected/,
    );
    expect(text).toContain('phase2-to-phase3-orchestrator logged "Triggering Phase 3"');
    // Phase 3 started and is stuck, crash-looping on HealthChecker since its bad revision.
    expect(text).toMatch(/PlayerGameSummaryProcessor still running after \d+ h \d+ min: stuck/);
    expect(text).toContain(
      "nba-phase3-analytics-processors logged: TypeError: HealthChecker.__init__() got an unexpected keyword argument 'project_id'",
    );
    expect(text).toContain('times in America/New_York');
    const [heal, logs] = elementsOf(before);
    expect(heal).toMatchObject({ action_id: ids.openHeal, value: DATE });
    expect(JSON.parse(logs!.value!)).toMatchObject({ c: 'service/nba-phase2-raw-processors' });

    // The Logs button: what phase 2's service logged from its last good step on.
    const fromTrace = await click(e, ids.openLogs);
    expect(blockText(fromTrace.body.blocks)).toContain(`Processing complete for ${DATE}`);

    await requestHeal(e, DATE, ALICE);
    const approval = e.fake
      .messages(CHANNEL)
      .findLast((m) => blockText(m.blocks).includes('approval needed'))!;
    const mark = e.fake.mark();
    await e.driver.action({
      actionId: 'request_approve',
      userId: BOB,
      channel: CHANNEL,
      messageTs: approval.ts,
    });
    await e.fake.waitFor(
      (c) => c.method === 'chat.update' && /Heal 2026-01-20: succeeded/.test(blockText(c.body.blocks)),
      { since: mark, timeoutMs: 60_000, description: 'the heal succeeded' },
    );

    const after = await answer(e, `/pipeline trace ${DATE}`);
    const healed = blockText(after.body.blocks);
    expect(healed).toContain(`*Every phase done for ${DATE}*`);
    for (const phase of e.config.phases)
      expect(healed).toMatch(new RegExp(`\\*${phase.id} · [^*]+\\* \`${phase.service}\`: done`));
    expect(healed).toContain('phase3-to-phase4-orchestrator logged "Triggering Phase 4"');
    expect(healed).toContain('Games with box scores: 7 of 7');
  }, 120_000);

  it("pages a service's entries with More, and opens one whole", async () => {
    const crashes = e.sandbox.state.logs.filter((l) => l.source === PHASE3 && l.severity === 'ERROR').length;
    const first = await answer(
      e,
      `/pipeline logs ${PHASE3} HealthChecker --since 1h --severity error --limit 5`,
    );
    const seen = [
      ...blockText(first.body.blocks).matchAll(/`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)` \*ERROR\*/g),
    ].map((m) => m[1]);
    let page = first;
    while (elementsOf(page).some((el) => el.action_id === ids.logsMore)) {
      page = await click(e, ids.logsMore);
      seen.push(
        ...[...blockText(page.body.blocks).matchAll(/`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)` \*ERROR\*/g)].map(
          (m) => m[1],
        ),
      );
    }
    expect(seen).toHaveLength(crashes);
    expect(new Set(seen).size).toBe(crashes);
    expect([...seen].sort().reverse()).toEqual(seen);

    // The first page's menu (each page has its own): pick its newest entry.
    const value = elementsOf(first).find((el) => el.action_id === ids.logsEntry)!.options![0]!.value;
    const firstPage = e.fake.ephemerals(ALICE).findLast((m) => JSON.stringify(m.blocks).includes(value))!;
    const mark = e.fake.mark();
    await e.driver.action({ actionId: ids.logsEntry, userId: ALICE, value, messageTs: firstPage.ts });
    const opened = await e.fake.waitForCall('views.open', undefined, { since: mark, timeoutMs: 10_000 });
    expect(blockText(opened.body.view)).toContain('Reading the entry');
    const filled = await e.fake.waitForCall('views.update', undefined, { since: mark, timeoutMs: 20_000 });
    const modal = blockText(filled.body.view);
    expect(modal).toContain(
      "TypeError: HealthChecker.__init__() got an unexpected keyword argument 'project_id'",
    );
    expect(modal).toContain('```');
  }, 60_000);

  it('answers a component that is not configured with the ones that are, and reads nothing', async () => {
    const before = e.sandbox.counts.logging;
    const delivery = await e.driver.command('/pipeline logs nba-phase9-nowhere', {
      userId: ALICE,
      channelId: CHANNEL,
    });
    const reply = String((delivery.json as { text?: string }).text);
    expect((delivery.json as { response_type?: string }).response_type).toBe('ephemeral');
    expect(reply).toContain('`nba-phase9-nowhere` is not a configured service, function or job');
    expect(reply).toContain(`\`${PHASE3}\``);
    expect(reply).toContain('`nba-raw-backfill`');
    expect(reply).toContain('*Usage*');
    expect(e.sandbox.counts.logging).toBe(before);
  }, 60_000);

  it('searches hostile text as text: the filter sent narrows, never widens', async () => {
    const hostile = 'x") OR severity>=DEFAULT OR ("y';
    const mark = receivedLogQueries(e.sandbox.state).length;
    const reply = await answer(e, `/pipeline logs ${PHASE3} ${hostile} --since 1h`);
    expect(blockText(reply.body.blocks)).toContain('No entries match');
    const [sent] = receivedLogQueries(e.sandbox.state).slice(mark);
    expect(sent!.filter).toMatch(/ AND "x\\"\) OR severity>=DEFAULT OR \(\\"y"$/);
    expect(sent!.filter).toContain(`resource.labels.service_name="${PHASE3}"`);
  }, 60_000);

  it('the status report has a Trace button, and Logs buttons for its failing components', async () => {
    await e.sandbox.setScenario('jan20');
    const status = await answer(e, `/pipeline status ${DATE} --fresh`);
    const buttons = elementsOf(status);
    expect(buttons.find((b) => b.action_id === ids.openTrace)?.value).toBe(DATE);
    const logs = buttons
      .filter((b) => /^open_logs(_\d+)?$/.test(b.action_id ?? ''))
      .map((b) => JSON.parse(b.value!).c);
    expect(logs).toEqual(
      expect.arrayContaining([`service/${PHASE3}`, 'function/phase5-to-phase6-orchestrator']),
    );
    // The report is the newest message with these buttons until the trace answers.
    const phase3Logs = buttons.find((b) => b.value === JSON.stringify({ c: `service/${PHASE3}` }))!;
    const entries = await click(e, phase3Logs.action_id!);
    expect(blockText(entries.body.blocks)).toContain('HealthChecker.__init__()');
    const trace = await click(e, ids.openTrace);
    expect(blockText(trace.body.blocks)).toContain('*Chain broke at phase2');
  }, 60_000);
});
