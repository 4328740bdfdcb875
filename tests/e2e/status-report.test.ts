/**
 * Issue 3 through the real app: the full `/pipeline status` report and `/deploy-verify` on the
 * `jan20` and `healthy` scenarios, a hanging API, bad dates, `--post` and the channel policy,
 * and single-flight with the cache under 50 concurrent commands. Expected counts of Google
 * calls are derived from the configuration, not written down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDelivery } from '../../devstack/src/local/driver.js';
import type { RecordedCall } from '../../devstack/src/local/fake-slack.js';
import { receivedQueries } from '../../devstack/src/sandbox/bigquery.js';
import { processorName } from '../../devstack/src/sandbox/scenarios.js';
import { apiNames } from '../../devstack/src/sandbox/state.js';
import { componentsOf, type PipelineConfig } from '../../src/config.js';
import { addDays, todayIn } from '../../src/domain/dates.js';
import { functionNames, serviceNames } from '../../src/domain/status.js';
import { labelValue } from '../../src/gcp/bigquery.js';
import { type E2E, startE2E } from '../helpers/e2e.js';

type Block = { type: string; text?: { text: string }; accessory?: { text?: { text: string } } };

const CONSOLE_LINK = /<https:\/\/console\.cloud\.google\.com\/[^|>\s]+\|[^>]+>/;
const STATUS = '/pipeline status 2026-01-20';

/** The mrkdwn of every section block. */
function sections(blocks: unknown): string[] {
  return ((blocks ?? []) as Block[]).filter((b) => b.type === 'section' && b.text).map((b) => b.text!.text);
}

/** The section whose title is `title` (`*Cloud Run services*` …), or throws listing the titles. */
function sectionNamed(blocks: unknown, title: string | RegExp): string {
  const all = sections(blocks);
  const hit = all.find((s) => {
    const first = s.split('\n')[0] ?? '';
    return typeof title === 'string' ? first === `*${title}*` : title.test(first);
  });
  if (!hit) throw new Error(`no section ${title}; sections: ${all.map((s) => s.split('\n')[0]).join(', ')}`);
  return hit;
}

/** The report lines (one per service, function, check, run, error group …): they start with a status emoji. */
function reportLines(blocks: unknown): string[] {
  return sections(blocks)
    .slice(1) // the verdict and its problem list
    .flatMap((s) => s.split('\n'))
    .filter((l) => /^:[a-z_]+: /.test(l));
}

/** Runs `/pipeline status …` and returns the response_url reply. */
async function status(e: E2E, text = STATUS, as: { channelId?: string } = {}): Promise<RecordedCall> {
  const mark = e.fake.mark();
  const delivery = await e.driver.command(text, as);
  expect(delivery.status).toBe(200);
  expect(delivery.body, 'a bare ack: the report follows').toBe('');
  return e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
}

async function deployVerify(e: E2E, target = ''): Promise<RecordedCall> {
  const mark = e.fake.mark();
  const delivery = await e.driver.command(`/deploy-verify ${target}`.trim());
  expect(delivery.status).toBe(200);
  return e.fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
}

/** The BigQuery jobs one report runs, by label: each check, and its expectation when that is a query. */
/** The labels of the query jobs one report runs: each distinct SQL once, named by the first check using it. */
function queryLabels(config: PipelineConfig): string[] {
  const bySql = new Map<string, string>();
  for (const c of config.dataChecks) {
    if (!bySql.has(c.sql)) bySql.set(c.sql, c.id);
    const expected =
      'equalsQuery' in c.expect
        ? c.expect.equalsQuery
        : 'minQuery' in c.expect
          ? c.expect.minQuery
          : undefined;
    if (expected && !bySql.has(expected)) bySql.set(expected, `${c.id}_expected`);
  }
  return [...bySql.values()].map(labelValue).sort();
}

/** Requests one status report makes, per sandbox API, from the configuration. */
function callsPerReport(config: PipelineConfig): Record<string, number> {
  return {
    // Each service, and the latest execution of each Cloud Run Job (the same Admin API).
    cloudRun: serviceNames(config).length + componentsOf(config, 'job').length,
    functions: functionNames(config).length,
    scheduler: componentsOf(config, 'schedulerJob').length,
    // One jobs.query per distinct query (see src/gcp/bigquery.ts), one tables.get per table.
    bigquery: queryLabels(config).length + componentsOf(config, 'table').length,
    logging: 1,
    // The 5xx share of every service and function in one query, the dead-letter trend in another.
    monitoring: 1 + (config.deadLetterSubscriptions.length > 0 ? 1 : 0),
    processors: 0,
  };
}

function zeroCounts(): Record<string, number> {
  return Object.fromEntries(apiNames.map((a) => [a, 0]));
}

/** Ack text of a refused command; also checks it is ephemeral. */
function refusal(delivery: CommandDelivery): string {
  expect(delivery.status).toBe(200);
  expect(delivery.json, delivery.body).toMatchObject({ response_type: 'ephemeral' });
  return (delivery.json as { text: string }).text;
}

describe('jan20: the seed report’s morning', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20' });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('the status report names every problem, verdict first', async () => {
    const reply = await status(e);
    const blocks = reply.body.blocks;
    const [verdict] = sections(blocks);
    expect(verdict).toMatch(/^:red_circle: \*Problems\* · \d+ to look at/);

    const services = sectionNamed(blocks, 'Cloud Run services');
    // Phase 3: the crash-looping revision took all traffic; half its requests fail.
    expect(services).toMatch(
      /:red_circle: <[^>]+\|nba-phase3-analytics-processors>[^\n]*\d+% 5xx in the last hour/,
    );
    // Phase 4: revision 00049 never became ready (the HealthChecker crash at start).
    expect(services).toMatch(
      /:red_circle: <[^>]+\|nba-phase4-precompute-processors>[^\n]*latest revision 00049-\w+ is not ready[^\n]*HealthChecker/,
    );

    const functions = sectionNamed(blocks, 'Functions');
    expect(functions).toMatch(
      /<[^>]+\|phase5-to-phase6-orchestrator>[^\n]*DEPLOYING[^\n]*ModuleNotFoundError: No module named 'shared'/,
    );

    const data = sectionNamed(blocks, 'Data for 2026-01-20');
    expect(data).toMatch(/:red_circle: <[^>]+\|Games with box scores>\s+4 of 7 expected/);
    expect(data).toMatch(/:red_circle: <[^>]+\|Players with predictions>\s+26 of at least 224 expected/);

    const stuck = sectionNamed(blocks, /^\*Stuck runs/);
    for (const phase of ['phase3', 'phase4', 'phase5']) {
      expect(stuck).toMatch(new RegExp(`:red_circle: <[^>]+\\|${processorName(phase)}>[^\\n]*2026-01-20`));
    }
    expect(stuck.split('\n').filter((l) => l.startsWith(':red_circle:'))).toHaveLength(3);

    const errors = sectionNamed(blocks, /^\*Errors, last/);
    expect(errors).toMatch(/nba-phase3-analytics-processors · HealthChecker signature mismatch>\s+12×/);
    expect(errors).toMatch(/nba-phase4-precompute-processors · HealthChecker signature mismatch>/);
    expect(errors).toMatch(/phase5-to-phase6-orchestrator · Missing module>[^\n]*ModuleNotFoundError/);

    const dlq = sectionNamed(blocks, 'Dead-letter backlog');
    expect(dlq).toMatch(/<[^>]+\|nba-phase2-raw-complete-dlq-sub>\s+3 undelivered/);

    // The problem list under the verdict repeats each, one line apiece.
    for (const name of [
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'phase5-to-phase6-orchestrator',
      'Games with box scores',
      'Players with predictions',
      processorName('phase5'),
    ]) {
      expect(verdict).toContain(`:red_circle: *${name}*: `);
    }
  });

  it('what the summary has no room for is one click away: All findings lists every entry', async () => {
    const mark = e.fake.mark();
    await e.driver.command(`${STATUS} --post`, { channelId: 'C0OPS' });
    const post = await e.fake.waitForCall('chat.postMessage', undefined, { since: mark, timeoutMs: 30_000 });
    const [verdict] = sections(post.body.blocks);
    // Failures first: the one warning (a constant dead-letter backlog) is what does not fit.
    expect(verdict).toMatch(/to look at: \d+ failing · 1 warning\n/);
    expect(verdict).not.toContain('nba-phase2-raw-complete-dlq-sub');
    expect(verdict).toMatch(/…and \d+ more \([^)]*1 warning\)/);
    const click = e.fake.mark();
    const delivery = await e.driver.action({
      actionId: 'show_status_findings',
      userId: 'U0ALICE',
      channel: 'C0OPS',
      messageTs: (post.response as { ts: string }).ts,
    });
    expect(delivery.status).toBe(200);
    const reply = await e.fake.waitForCall('response_url', undefined, { since: click, timeoutMs: 30_000 });
    expect(reply.body.response_type).toBe('ephemeral');
    const all = sections(reply.body.blocks).join('\n');
    for (const name of [
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'phase5-to-phase6-orchestrator',
      'Games with box scores',
      ...['phase3', 'phase4', 'phase5'].map(processorName),
      'nba-phase2-raw-complete-dlq-sub',
    ]) {
      expect(all).toContain(`*${name}*`);
    }
    expect(all.indexOf('*nba-phase2-raw-complete-dlq-sub*')).toBeGreaterThan(all.lastIndexOf(':red_circle:'));
  });

  it('every line of the report links to its Cloud Console page', async () => {
    const reply = await status(e);
    const lines = reportLines(reply.body.blocks);
    // Services, functions, self-heal, checks, stuck runs, error groups and DLQs: at least one each.
    expect(lines.length).toBeGreaterThanOrEqual(
      e.config.phases.length + functionNames(e.config).length + 1 + e.config.dataChecks.length + 3 + 3 + 2,
    );
    for (const line of lines) expect(line).toMatch(CONSOLE_LINK);
    const project = encodeURIComponent(e.config.project);
    for (const line of lines) expect(line).toContain(`project=${project}`);
  });

  it('/deploy-verify: FAIL, naming the HealthChecker crash loop and the missing shared module', async () => {
    const reply = await deployVerify(e);
    const blocks = reply.body.blocks as Block[];
    expect(blocks[0]?.text?.text).toBe('Deploy verification: FAIL');
    const [verdict] = sections(blocks);
    expect(verdict).toMatch(/^:x: \*FAIL\*/);
    expect(verdict).toMatch(
      /• nba-phase3-analytics-processors: [^\n]*crash logs: \d+ × HealthChecker signature mismatch/,
    );
    expect(verdict).toMatch(
      /• nba-phase4-precompute-processors: [^\n]*latest created \S+00049-\w+ is not ready/,
    );
    expect(verdict).toMatch(/• nba-phase4-precompute-processors: [^\n]*HealthChecker signature mismatch/);
    expect(verdict).toMatch(/• phase5-to-phase6-orchestrator: [^\n]*DEPLOYING[^\n]*No module named 'shared'/);
    // Healthy targets are not reasons.
    expect(verdict).not.toContain('• nba-phase2-raw-processors');
    expect(verdict).not.toContain('• phase2-to-phase3-orchestrator');

    const phase3 = blocks.find(
      (b) => b.type === 'section' && b.text?.text.includes('|nba-phase3-analytics-processors>'),
    );
    expect(phase3?.accessory?.text?.text).toMatch(/^Roll back to 00091-\w+$/);
  });

  it('/deploy-verify <service> verifies only that one', async () => {
    const reply = await deployVerify(e, 'nba-phase3-analytics-processors');
    const text = sections(reply.body.blocks).join('\n');
    expect(text).toContain('nba-phase3-analytics-processors');
    for (const other of [
      ...e.config.phases.map((p) => p.service).filter((s) => s !== 'nba-phase3-analytics-processors'),
      ...functionNames(e.config),
    ]) {
      expect(text).not.toContain(other);
    }
    expect(text).toMatch(/HealthChecker signature mismatch/);
  });

  it('/deploy-verify with an unknown name: an ephemeral usage error, nothing else', async () => {
    e.sandbox.resetCounts();
    const mark = e.fake.mark();
    const delivery = await e.driver.command('/deploy-verify nope');
    const text = refusal(delivery);
    expect(text).toContain('`nope` is not a configured service or function');
    expect(text).toContain('/deploy-verify [service|function|all]');
    await new Promise((r) => setTimeout(r, 300));
    expect(e.fake.calls().filter((c) => c.seq > mark)).toHaveLength(0);
    expect(e.sandbox.counts).toEqual(zeroCounts());
  });

  it.each([
    ['2026-02-30', 'is not a calendar day'],
    ['2026/01/20', 'is not a date'],
    ['20260120', 'is not a date'],
  ])('`%s` gets a clear ephemeral error and makes no Google call', async (date, message) => {
    e.sandbox.resetCounts();
    const mark = e.fake.mark();
    const text = refusal(await e.driver.command(`/pipeline status ${date}`));
    expect(text).toContain(`\`${date}\` ${message}`);
    expect(text).toContain('YYYY-MM-DD');
    await new Promise((r) => setTimeout(r, 300));
    expect(
      e.fake.calls().filter((c) => c.seq > mark),
      e.fake.describeCalls(),
    ).toHaveLength(0);
    expect(e.sandbox.counts).toEqual(zeroCounts());
  });

  it('a date ten years ahead gets a clear ephemeral error and makes no Google call', async () => {
    const today = todayIn(e.config.timeZone, new Date());
    const ahead = addDays(today, 3653);
    e.sandbox.resetCounts();
    const mark = e.fake.mark();
    const text = refusal(await e.driver.command(`/pipeline status ${ahead}`));
    expect(text).toContain(`\`${ahead}\` is more than`);
    expect(text).toContain('days ahead of today');
    await new Promise((r) => setTimeout(r, 300));
    expect(e.fake.calls().filter((c) => c.seq > mark)).toHaveLength(0);
    expect(e.sandbox.counts).toEqual(zeroCounts());
  });
});

describe('healthy', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'healthy' });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('the status report says All clear, with no problem lines', async () => {
    const reply = await status(e);
    const blocks = reply.body.blocks;
    const [verdict] = sections(blocks);
    expect(verdict).toBe(':large_green_circle: *All clear*');
    const lines = reportLines(blocks);
    expect(lines.length).toBeGreaterThan(e.config.phases.length);
    for (const line of lines) expect(line).toMatch(/^:large_green_circle: /);
    expect(sectionNamed(blocks, /^\*Stuck runs/)).toContain('_no stuck runs_');
    expect(sectionNamed(blocks, /^\*Errors, last/)).toContain('_no errors_');
    expect(sectionNamed(blocks, 'Data for 2026-01-20')).toMatch(
      /Players with predictions>\s+224 of at least 224/,
    );
  });

  it('/deploy-verify: PASS', async () => {
    const reply = await deployVerify(e, 'all');
    const [verdict] = sections(reply.body.blocks);
    expect((reply.body.blocks as Block[])[0]?.text?.text).toBe('Deploy verification: PASS');
    expect(verdict).toMatch(/^:white_check_mark: \*PASS\*\nEvery revision is ready/);
  });
});

describe('breakdown: a fault of every kind the component model reads', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'breakdown' });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it("each component's own line carries its fault, and the summary names every one", async () => {
    const reply = await status(e);
    const blocks = reply.body.blocks;
    const [verdict] = sections(blocks);
    expect(verdict).toMatch(/^:red_circle: /);
    const red = (title: string | RegExp, name: string, detail: RegExp) =>
      expect(sectionNamed(blocks, title)).toMatch(
        new RegExp(`:red_circle: <[^>]+\\|${name}>[^\\n]*${detail.source}`),
      );
    red('Cloud Run jobs', 'nba-raw-backfill', /latest execution \w+ failed: 2 of 3 tasks failed/);
    red(
      /^\*Failed runs for 2026-01-20/,
      processorName('phase2'),
      /failed: google\.api_core\.exceptions\.Forbidden: 403/,
    );
    red(
      'Table freshness',
      'nba_predictions\\.player_prop_predictions',
      /stale: last written 42 h 0 min ago \(allowed 36 h 0 min\)/,
    );
    red('Scheduler jobs', 'nba-phase6-daily-export', /failed: URL_ERROR-ERROR_OTHER/);
    red('Functions', 'self-heal-predictions', /30% 5xx in the last hour/);
    // A service outside the phases, red in the Services section, not only under Errors.
    red('Cloud Run services', 'nba-phase6-export', /5× Out of memory in the last 30 min/);
    red(
      'Dead-letter backlog',
      'nba-phase3-analytics-complete-dlq-sub',
      /growing: \d+ → 48 in the last 30 min/,
    );
    // What is not broken stays green.
    expect(sectionNamed(blocks, /^\*Stuck runs/)).toContain('_no stuck runs_');
    expect(sectionNamed(blocks, 'Data for 2026-01-20')).not.toContain(':red_circle:');
    for (const name of [
      'nba-raw-backfill',
      processorName('phase2'),
      'nba_predictions.player_prop_predictions',
      'nba-phase6-daily-export',
      'self-heal-predictions',
      'nba-phase6-export',
      'nba-phase3-analytics-complete-dlq-sub',
    ]) {
      expect(verdict).toContain(`:red_circle: *${name}*: `);
    }
  });

  it('/deploy-verify: the exporter fails on its out-of-memory crashes, the HTTP function on its 5xx', async () => {
    const reply = await deployVerify(e, 'all');
    const [verdict] = sections(reply.body.blocks);
    expect(verdict).toMatch(/^:x: \*FAIL\*/);
    expect(verdict).toMatch(/• nba-phase6-export: [^\n]*crash logs: 5 × Out of memory/);
    expect(verdict).toMatch(/• self-heal-predictions: [^\n]*5xx since: 30\.0% of requests/);
    expect(verdict).not.toContain('• nba-phase2-raw-processors');
  });
});

describe('one Google API hangs', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({
      scenario: 'jan20',
      // Short, but not so short that a busy two-core machine misses them for the APIs that answer.
      patch: (c) => ({ ...c, limits: { ...c.limits, callDeadlineMs: 2000, reportDeadlineMs: 3500 } }),
    });
    // The first report pays for loading the clients: not what this is about.
    await status(e);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('still yields a report, the errors line says "no answer", the other sections are there', async () => {
    e.sandbox.setFault('logging', { hang: true });
    e.sandbox.resetCounts();
    const started = Date.now();
    const reply = await status(e, `${STATUS} --fresh`);
    // Generous: the report deadline is 3.5 s; this only shows it does not wait for the hang.
    expect(Date.now() - started).toBeLessThan(15_000);
    const blocks = reply.body.blocks;
    const errors = sectionNamed(blocks, /^\*Errors, last/);
    expect(errors).toMatch(/:white_circle: <[^>]+\|Cloud Logging>\s+no answer/);
    expect(e.sandbox.counts.logging).toBeGreaterThanOrEqual(1);
    // Everything else answered and rendered.
    const services = sectionNamed(blocks, 'Cloud Run services');
    for (const p of e.config.phases) expect(services).toContain(`|${p.service}>`);
    expect(services).toMatch(/latest revision 00049-\w+ is not ready/);
    expect(sectionNamed(blocks, 'Functions')).toContain("No module named 'shared'");
    expect(sectionNamed(blocks, 'Data for 2026-01-20')).toContain('26 of at least 224');
    expect(sectionNamed(blocks, /^\*Stuck runs/)).toContain(processorName('phase5'));
    expect(sectionNamed(blocks, 'Dead-letter backlog')).toContain('3 undelivered');
  });
});

describe('--post and the channel policy', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({
      scenario: 'healthy',
      patch: (c) => ({ ...c, access: { ...c.access, channels: ['C0OTHER'] } }),
    });
    e.fake.setChannel({ id: 'C0OTHER', name: 'pipeline-other' });
    e.fake.setChannelMembers('C0OTHER', ['U0ALICE', e.fake.identity.botUserId]);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('is refused from a channel the policy does not allow, with no Google call', async () => {
    e.sandbox.resetCounts();
    const mark = e.fake.mark();
    const text = refusal(await e.driver.command(`${STATUS} --post`, { channelId: 'C0OPS' }));
    expect(text).toContain('not allowed in this channel');
    await new Promise((r) => setTimeout(r, 300));
    expect(e.fake.calls().filter((c) => c.seq > mark)).toHaveLength(0);
    expect(e.sandbox.counts).toEqual(zeroCounts());
    expect(e.fake.messages('C0OPS')).toHaveLength(0);
  });

  it('from an allowed channel posts the report into that channel', async () => {
    const mark = e.fake.mark();
    const delivery = await e.driver.command(`${STATUS} --post`, { channelId: 'C0OTHER' });
    expect(delivery.status).toBe(200);
    const post = await e.fake.waitForCall('chat.postMessage', undefined, { since: mark, timeoutMs: 30_000 });
    expect(post.body.channel).toBe('C0OTHER');
    expect(post.response.ok).toBe(true);
    expect(sections(post.body.blocks)[0]).toBe(':large_green_circle: *All clear*');
    expect(JSON.stringify(post.body.blocks)).toContain('posted by <@U0ALICE>');
    expect(e.fake.messages('C0OTHER').at(-1)?.text).toContain('Pipeline status 2026-01-20');
  });
});

describe('50 concurrent status commands', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20' });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('share one fetch: one Google call per component, and all 50 get a reply', async () => {
    // Slow enough that all 50 arrive while the first fetch is still out.
    e.sandbox.setFault('cloudRun', { latencyMs: 400 });
    e.sandbox.resetCounts();
    const jobsBefore = receivedQueries(e.sandbox.state).length;
    const mark = e.fake.mark();
    const deliveries = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        e.driver.command(STATUS, { userId: i % 2 ? 'U0ALICE' : 'U0BOB', channelId: 'C0OPS' }),
      ),
    );
    for (const d of deliveries) expect(d.status).toBe(200);
    const replies = () => e.fake.calls('response_url').filter((c) => c.seq > mark);
    const until = Date.now() + 60_000;
    while (replies().length < 50 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const got = replies();
    expect(got).toHaveLength(50);
    // Each on its own command's response_url: every user sees one per command they typed.
    const shown = (user: string) => e.fake.ephemerals(user).filter((m) => m.via === 'response_url').length;
    expect([shown('U0ALICE'), shown('U0BOB')]).toEqual([25, 25]);
    for (const c of got) expect(sections(c.body.blocks)[0]).toMatch(/\*Problems\*/);
    expect({ ...e.sandbox.counts }).toEqual(callsPerReport(e.config));
    const jobs = receivedQueries(e.sandbox.state).slice(jobsBefore);
    expect(jobs.map((j) => j.labels.check).sort()).toEqual(queryLabels(e.config));
    // In the dataset location the config names.
    expect(e.config.bigquery.location).toBe('US');
    expect(jobs.map((j) => j.location)).toEqual(jobs.map(() => e.config.bigquery.location));
    e.sandbox.clearFaults();
  });

  it('the cache answers the next command with no call; --fresh makes new calls', async () => {
    await status(e); // fills the cache, if the test above did not
    e.sandbox.resetCounts();
    await status(e);
    expect({ ...e.sandbox.counts }).toEqual(zeroCounts());
    await status(e, `${STATUS} --fresh`);
    expect({ ...e.sandbox.counts }).toEqual(callsPerReport(e.config));
  });
});
