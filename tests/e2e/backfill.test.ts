/** /backfill through the real app: plan with skips, run, progress, closing checks; watchdog and cancel; bad input. */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { blockText, type E2E, startE2E } from '../helpers/e2e.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0OPS';
const JOB = 'nba-raw-backfill';

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

async function boot(opts: Parameters<typeof startE2E>[0] = {}): Promise<E2E> {
  e = await startE2E({ scenario: 'jan20', ...opts, onCall: [BOB] });
  return e;
}

/** /backfill → modal → submit → Bob approves. Returns the mark before the command and the modal text. */
async function runBackfill(env: E2E, text: string): Promise<{ start: number; modal: string }> {
  const start = env.fake.mark();
  await env.driver.command(text, { userId: ALICE, channelId: CHANNEL });
  const updated = await env.fake.waitForCall(
    'views.update',
    (c: RecordedCall) => blockText(c.body.view).includes('plan_steps'),
    {
      since: start,
      timeoutMs: 30_000,
    },
  );
  await env.driver.submitView((updated.response.view as { id: string }).id, {}, ALICE);
  const approval = await env.fake.waitForCall(
    'chat.postMessage',
    (c) => blockText(c.body.blocks).includes('approval needed'),
    {
      since: start,
      timeoutMs: 10_000,
    },
  );
  await env.driver.action({
    actionId: 'request_approve',
    userId: BOB,
    channel: CHANNEL,
    messageTs: (approval.response as { ts: string }).ts,
  });
  return { start, modal: blockText(updated.body.view) };
}

describe('/backfill', () => {
  it('runs the two incomplete dates of three, shows progress to 2/2 and the closing checks', {
    timeout: 120_000,
  }, async () => {
    const env = await boot();
    const { start, modal } = await runBackfill(env, '/backfill raw/bdl_boxscores 2026-01-18..2026-01-20');
    expect(modal).toContain('2 dates to run: 2026-01-19, 2026-01-20');
    expect(modal).toContain('1 skipped (already complete): 2026-01-18');
    expect(modal).toMatch(/expected duration about/);
    // Progress is coalesced (one update a second): a run this short may show its progress message
    // for the first time already finished, as a post rather than an update.
    const done = await env.fake.waitFor(
      (c) =>
        (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
        /Backfill [^\n]*: succeeded/.test(blockText(c.body.blocks)),
      { since: start, timeoutMs: 60_000, description: 'backfill succeeded' },
    );
    const text = blockText(done.body.blocks);
    expect(text).toContain('*2/2* dates');
    expect(text).toContain('complete now: 2026-01-19, 2026-01-20');
    const job = env.sandbox.state.runJobs.get(JOB)!;
    const newest = job.executions.at(-1)!;
    expect(newest.tasks.flatMap((t) => t.dates).sort()).toEqual(['2026-01-19', '2026-01-20']);
    // The closing check: all three dates now have every game's box scores.
    for (const date of ['2026-01-18', '2026-01-19', '2026-01-20']) {
      const games = new Set(
        env.sandbox.state.tables
          .get('nba_raw.bdl_player_boxscores')!
          .rows.filter((r) => r.game_date === date)
          .map((r) => r.game_id),
      );
      const scheduled = env.sandbox.state.tables
        .get('nba_raw.nbac_schedule')!
        .rows.filter((r) => r.game_date === date).length;
      expect(games.size).toBe(scheduled);
    }
    const request = await env.guardedRequest();
    const result = request.steps[0]!.undoData as { complete?: string[] };
    expect(result.complete?.sort()).toEqual(['2026-01-19', '2026-01-20']);
    const audit = await env.bot.deps.guarded.audit.list({ subject: 'raw/bdl_boxscores', limit: 50 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['submit', 'approve', 'finish']));
  });

  it('notices a stalled execution, mentions the requester, and Cancel stops it', {
    timeout: 120_000,
  }, async () => {
    const env = await boot({ patch: (c) => ({ ...c, backfill: { ...c.backfill, stallMinutes: 0.03 } }) });
    env.sandbox.state.runJobs.get(JOB)!.stallNextExecution = true;
    const { start } = await runBackfill(env, '/backfill raw/bdl_boxscores 2026-01-19');
    const alarm = await env.fake.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.body.thread_ts !== undefined &&
        /no progress/.test(String(c.body.text)),
      { since: start, timeoutMs: 60_000, description: 'the watchdog message' },
    );
    expect(String(alarm.body.text)).toContain(`<@${ALICE}>`);
    expect(blockText(alarm.body.blocks)).toContain('request_cancel');
    const cancelMark = env.fake.mark();
    await env.driver.action({
      actionId: 'request_cancel',
      userId: ALICE,
      channel: CHANNEL,
      messageTs: (alarm.response as { ts: string }).ts,
    });
    await env.fake.waitFor(
      (c) => c.method === 'chat.update' && /Backfill [^\n]*: cancelled/.test(blockText(c.body.blocks)),
      {
        since: cancelMark,
        timeoutMs: 60_000,
        description: 'backfill cancelled',
      },
    );
    const execution = env.sandbox.state.runJobs.get(JOB)!.executions.at(-1)!;
    expect(execution.completionTime).toBeDefined();
    expect(execution.tasks.some((t) => t.state === 'cancelled')).toBe(true);
    expect((await env.guardedRequest()).state).toBe('cancelled');
  });

  it.each([
    ['a 40-day range', '/backfill raw/bdl_boxscores 2025-11-01..2025-12-10', /31/],
    ['a reversed range', '/backfill raw/bdl_boxscores 2026-01-20..2026-01-18', /backwards/],
    ['an unknown target', '/backfill raw/nope 2026-01-20', /not a backfill target/],
    ['a malformed date', '/backfill raw/bdl_boxscores 2026-13-01', /not a (calendar day|date)/],
  ])('refuses %s with usage, storing and starting nothing', async (_name, text, pattern) => {
    const env = await boot();
    const mark = env.fake.mark();
    const d = await env.driver.command(text, { userId: ALICE, channelId: CHANNEL });
    const body = String((d.json as { text?: string })?.text);
    expect(body).toMatch(pattern);
    // mrkdwn: the usage's placeholders are escaped so Slack shows them as typed.
    expect(body).toContain('/backfill &lt;target&gt; &lt;dates&gt;');
    await new Promise((r) => setTimeout(r, 200));
    expect(env.fake.calls().filter((c) => c.seq > mark && c.method === 'views.open')).toHaveLength(0);
    expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(0);
    expect(
      env.sandbox.state.runJobs
        .get(JOB)!
        .executions.filter((x) => x.createTime.getTime() > Date.now() - 60_000),
    ).toHaveLength(0);
  });

  it('--dry-run shows the plan and starts nothing', async () => {
    const env = await boot();
    const before = env.sandbox.state.runJobs.get(JOB)!.executions.length;
    const mark = env.fake.mark();
    await env.driver.command('/backfill raw/bdl_boxscores 2026-01-18..2026-01-20 --dry-run', {
      userId: ALICE,
      channelId: CHANNEL,
    });
    const reply = await env.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
    expect(blockText(reply.body.blocks)).toContain('Dry run: Backfill');
    expect(env.sandbox.state.runJobs.get(JOB)!.executions.length).toBe(before);
    expect(await env.bot.deps.guarded.store.list({ limit: 10 })).toHaveLength(0);
  });
});
