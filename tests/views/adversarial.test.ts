/**
 * Every view the bot can produce, rendered from hostile but realistic data and checked by the fake
 * Slack's own validator (issue 9, items 3 and 7): Slack would accept each payload, nothing a person
 * needs disappears without an "…and N more" saying where to see it, and text from Google or from
 * people cannot mention anyone or make a link. Numbers here are Slack's published ones, written out.
 */
import { describe, expect, it } from 'vitest';
import { validateMessage, validateView } from '../../devstack/src/local/fake-slack.js';
import { loadPipeline } from '../../src/config.js';
import type { AlertGroupView } from '../../src/domain/alerts.js';
import { parseHeal, parsePipelineCommand, usage } from '../../src/domain/command-args.js';
import type { VerifyReport } from '../../src/domain/deploy-verify.js';
import { resolveLogSource } from '../../src/domain/logs-args.js';
import type { LogEntry } from '../../src/domain/logs-query.js';
import { makePlan, type Plan, type PlanKind, type PlanStep } from '../../src/domain/plan.js';
import type { BackfillProgress, IsoDate } from '../../src/domain/ports.js';
import type { AuditEntry, GuardedRequest, RequestState, StepRun } from '../../src/domain/requests.js';
import { fail, ok } from '../../src/domain/result.js';
import type { Health, ReportLine, ReportSection, SectionId, StatusReport } from '../../src/domain/status.js';
import type { PhaseTrace, TraceReport } from '../../src/domain/trace.js';
import { refusalText } from '../../src/flows/deps.js';
import { actions as ids, logsButtonPattern } from '../../src/ids.js';
import {
  alertFallback,
  alertMessage,
  newlyFiringText,
  openAlertsMessage,
  reminderText,
  resolvedAlertMessage,
} from '../../src/views/alerts.js';
import { auditMessage } from '../../src/views/audit.js';
import { backfillProgressLine, stallMessage } from '../../src/views/backfill.js';
import { esc, section } from '../../src/views/common.js';
import { deployVerifyFallback, deployVerifyMessage } from '../../src/views/deploy-verify.js';
import { digestFallback, digestMessage } from '../../src/views/digest.js';
import {
  approvalMessage,
  infoModal,
  loadingModal,
  planMessage,
  planModal,
  progressMessage,
  requestFallback,
} from '../../src/views/guarded.js';
import { homeView } from '../../src/views/home.js';
import {
  type LogsView,
  logEntryLoading,
  logEntryModal,
  logsButtons,
  logsFallback,
  logsMessage,
} from '../../src/views/logs.js';
import { selfHealFallback, selfHealMessage } from '../../src/views/self-heal.js';
import { statusFallback, statusMessage } from '../../src/views/status.js';
import { findingsMessage } from '../../src/views/status-findings.js';
import { traceFallback, traceMessage } from '../../src/views/trace.js';

// ---- hostile data ----

/** What a log line, a revision message or a person's reason may hold. */
const NASTY =
  '*bold* _it_ ~strike~ \\ `tick` ```fence``` <!channel> <@U123> <https://x|y> <!here> & &amp; > < ' +
  '日本語のエラー Ошибка خطأ 🚀🔥👩‍💻\nsecond line\n> quoted';
const long = (n: number, seed = '') => `${seed}${NASTY.repeat(Math.ceil(n / NASTY.length))}`.slice(0, n);
const LIVE = ['<!channel>', '<@U123>', '<https://x|y>', '<!here>'];
/** 49 characters, unique by their start (Cloud Run allows 49). */
const serviceName = (i: number) => `svc-${String(i).padStart(2, '0')}-${'x'.repeat(42)}`;
const now = new Date('2026-01-21T12:00:00Z');

function line(i: number, health: Health, title = `thing ${i}`): ReportLine {
  return {
    health,
    title,
    detail: long(500, `${i}: `),
    link: i % 2 ? `https://console.cloud.google.com/run/detail/us-west2/${title}?project=p` : 'https://x|y>',
  };
}

function statusReport(): StatusReport {
  const s = (id: SectionId, title: string, lines: ReportLine[]): ReportSection => ({
    id,
    title,
    health: 'fail',
    lines,
  });
  const services = Array.from({ length: 40 }, (_, i) => line(i, i % 3 ? 'fail' : 'ok', serviceName(i)));
  return {
    date: '2026-01-20' as StatusReport['date'],
    generatedAt: now,
    project: long(60),
    verdict: 'fail',
    summary: Array.from({ length: 1000 }, (_, i) => ({
      severity: 'fail' as const,
      component: serviceName(i % 40),
      section: 'services' as const,
      messages: [long(300, `problem ${i} `)],
    })),
    counts: { fail: 1000, unknown: 0, warn: 0 },
    findings: Array.from({ length: 1000 }, (_, i) => ({
      severity: 'fail' as const,
      component: serviceName(i % 40),
      kind: 'check' as const,
      message: long(300, `finding ${i} `),
    })),
    problems: Array.from({ length: 1000 }, (_, i) => long(300, `problem ${i} `)),
    sections: [
      s('services', 'Cloud Run services', services),
      s(
        'orchestrators',
        long(200),
        Array.from({ length: 12 }, (_, i) => line(i, 'warn')),
      ),
      s('selfHeal', 'Self-heal', [line(0, 'unknown')]),
      s(
        'data',
        'Data',
        Array.from({ length: 25 }, (_, i) => line(i, 'fail')),
      ),
      s(
        'stuck',
        'Stuck runs',
        Array.from({ length: 30 }, (_, i) => line(i, 'fail')),
      ),
      s(
        'errors',
        'Errors',
        Array.from({ length: 1000 }, (_, i) => line(i, 'fail', `error ${i}`)),
      ),
      s(
        'dlq',
        'Dead letters',
        Array.from({ length: 10 }, (_, i) => line(i, 'warn')),
      ),
    ],
  };
}

function verifyReport(): VerifyReport {
  return {
    verdict: 'FAIL',
    reasons: Array.from({ length: 1000 }, (_, i) => long(200, `reason ${i} `)),
    generatedAt: now,
    targets: Array.from({ length: 40 }, (_, i) => ({
      kind: i % 4 ? 'service' : 'function',
      name: serviceName(i),
      health: i % 5 ? 'fail' : 'ok',
      checks: Array.from({ length: 12 }, (_, j) => ({
        health: 'fail',
        label: long(80),
        detail: long(500, `${j} `),
      })),
      link: 'https://console.cloud.google.com/run',
      rollbackTo: `${serviceName(i)}-00041-${'q'.repeat(20)}`,
    })),
  };
}

/** 30 steps with 500-character labels and large params; the last one must always run. */
function plan30(kind: PlanKind): Plan {
  const steps: PlanStep[] = Array.from({ length: 30 }, (_, i) => ({
    id: `step-${String(i + 1).padStart(2, '0')}-${'z'.repeat(30)}`,
    action: i === 0 ? 'clear_run_history' : 'trigger_phase',
    label: long(500, `Step ${i + 1} on ${serviceName(i)} `),
    destructive: i % 7 === 0,
    undoable: i % 7 === 0,
    params:
      i % 3 === 0
        ? { collection: 'run_history', ids: Array.from({ length: 50 }, (_, j) => `doc-${j}-${long(20)}`) }
        : i % 3 === 1
          ? {
              service: serviceName(i),
              trigger: { type: 'http', path: '/process', body: { note: long(300) } },
            }
          : { trigger: { type: 'pubsub', topic: long(100), message: { text: long(300) } } },
    ...(i === 29 ? { always: true } : {}),
  }));
  return makePlan({
    kind,
    title: long(500, `${kind} `),
    subject: '2026-01-20',
    summary: Array.from({ length: 20 }, () => long(200)),
    evidence: Array.from({ length: 1000 }, (_, i) => long(300, `evidence ${i} `)),
    steps,
  });
}

const planOpts = {
  unknown: Array.from({ length: 40 }, () => long(300)),
  warnings: [long(2000), long(5000)],
};

function request(plan: Plan, state: RequestState): GuardedRequest {
  const statuses: StepRun['status'][] = ['done', 'failed', 'running', 'skipped', 'undone', 'pending'];
  return {
    id: 'req-0123456789abcdef',
    plan,
    planHash: plan.hash,
    requester: 'U0ALICE',
    channel: 'C0OPS',
    createdAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
    state,
    mode: 'run',
    approver: 'U0BOB',
    reason: long(300),
    steps: plan.steps.map((s, i) => ({
      id: s.id,
      status: statuses[i % statuses.length]!,
      durationMs: i * 7919,
      message: long(1000, `${i} `),
      ...(i % 2 ? { undoData: { summary: long(400) } } : {}),
      ...(i === 0 ? { snapshot: { a: 1 } } : {}),
    })),
    version: 3,
  };
}

const progress: BackfillProgress = {
  dates: ['2026-01-01', '2026-01-31'],
  requestId: 'req',
  stepId: 'run-job',
  execution: long(120),
  done: 12,
  total: 31,
  failed: 3,
  cancelled: 1,
  running: 4,
  elapsedMs: 1_234_567,
  stalled: true,
  finished: false,
  outcome: 'failed',
  consoleUrl: 'https://console.cloud.google.com/run/jobs/executions',
};

// ---- what is checked ----

type Json = Record<string, unknown>;

/** Every mrkdwn text object's text (these are the ones Slack parses for mentions and links). */
function mrkdwnTexts(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) mrkdwnTexts(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Json;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
    for (const v of Object.values(o)) mrkdwnTexts(v, out);
  }
  return out;
}

/** Every text object's text, as Slack counts it for msg_blocks_too_long. */
function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (!value || typeof value !== 'object') return 0;
  const o = value as Json;
  if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') return o.text.length;
  return Object.values(o).reduce((n: number, v) => n + textLength(v), 0);
}

function expectNoLiveMarkup(what: unknown): void {
  for (const t of mrkdwnTexts(what)) for (const live of LIVE) expect(t).not.toContain(live);
}

/** A message Slack accepts: valid blocks, under 50 blocks and under the 10,000-character budget. */
function expectValidMessage(blocks: unknown[], text = 'fallback'): void {
  expect(validateMessage({ text, blocks })).toBeUndefined();
  expect(blocks.length).toBeLessThanOrEqual(50);
  // Slack refuses past about 12,000 (bolt-js #2509, #2867); the issue sets 10,000 as the ceiling.
  expect(textLength(blocks)).toBeLessThanOrEqual(10_000);
  for (const live of LIVE) expect(text).not.toContain(live);
  expectNoLiveMarkup(blocks);
}

function expectValidModal(view: Json): void {
  expect(validateView(view, 'modal')).toEqual([]);
  expect((view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
  expectNoLiveMarkup(view);
}

/** How many items a text accounts for: those named in it, plus every "…and N more". */
function accounted(text: string, names: string[]): { named: number; more: number } {
  const named = names.filter((n) => text.includes(n)).length;
  const more = [...text.matchAll(/and (\d+) more/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { named, more };
}

const all = (blocks: unknown) => JSON.stringify(blocks);

/** The action_id of every element of every actions block. */
const actionIds = (blocks: unknown[]) =>
  (blocks as Json[]).flatMap((b) =>
    b.type === 'actions' ? (b.elements as Json[]).map((e) => String(e.action_id)) : [],
  );

const ZONE = 'America/New_York';
/** `10:02:07` as the logs page shows an entry's time in the pipeline's zone. */
const zoneTime = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { timeZone: ZONE, hour12: false });

const auditEntry = (i: number): AuditEntry => ({
  requestId: `r${i}`,
  kind: 'heal',
  subject: long(100),
  action: long(50),
  actor: i % 2 ? 'U0BOB' : long(40),
  at: now,
  planHash: 'h',
  outcome: long(80),
  detail: long(500),
});

// ---- the views ----

describe('every view, from hostile data, as Slack would take it', () => {
  it('status of a 40-service pipeline, posted and ephemeral, fits and says where the rest is', () => {
    const report = statusReport();
    for (const opts of [
      { withActions: true, postedBy: 'U0ALICE' },
      { withActions: true, ageSeconds: 30 },
      {},
    ]) {
      const blocks = statusMessage(report, opts);
      expectValidMessage(blocks, statusFallback(report));
      const texts = mrkdwnTexts(blocks);
      const services = texts.find((t) => t.startsWith('*Cloud Run services*'))!;
      const names = report.sections[0]!.lines.map((l) => l.title);
      const { named, more } = accounted(services, names);
      expect(named + more).toBeGreaterThanOrEqual(40);
      if (named < 40) expect(services).toMatch(/and \d+ more[^\n]*(healthy|\/deploy-verify all)/);
      const errors = texts.find((t) => t.startsWith('*Errors*'))!;
      const e = accounted(errors, []);
      expect(e.more).toBeGreaterThan(0);
      expect(errors).toContain('Cloud Logging');
    }
  });

  it('deploy-verify of 40 targets, most failing, says how many failing ones are not shown', () => {
    const report = verifyReport();
    for (const withRollback of [true, false]) {
      const blocks = deployVerifyMessage(report, { withRollback });
      expectValidMessage(blocks, deployVerifyFallback(report));
      const { named, more } = accounted(
        all(blocks),
        report.targets.map((t) => t.name),
      );
      expect(named + more).toBeGreaterThanOrEqual(40);
      expect(all(blocks)).toMatch(/of them not passing/);
    }
  });

  for (const kind of ['heal', 'backfill', 'rollback', 'self-heal'] as const) {
    it(`${kind}: the 30-step plan modal offers every step, the always-step as fixed text`, () => {
      const plan = plan30(kind);
      const view = planModal(plan, {
        callbackId: `${kind}_plan`,
        submitLabel: long(100),
        metadata: JSON.stringify({ hash: plan.hash, channel: 'C0OPS' }),
        ...planOpts,
      }) as unknown as Json;
      expectValidModal(view);
      const blocks = view.blocks as Json[];
      const values = blocks.flatMap((b) =>
        b.type === 'input' && (b.element as Json).type === 'checkboxes'
          ? ((b.element as Json).options as { value: string }[]).map((o) => o.value)
          : [],
      );
      expect(values).toEqual(plan.steps.filter((s) => !s.always).map((s) => s.id));
      const fixed = mrkdwnTexts(blocks.filter((b) => b.type === 'section')).filter((t) =>
        t.includes(':lock:'),
      );
      expect(fixed).toHaveLength(1);
      expect(fixed[0]).toContain('*30.*');
    });

    it(`${kind}: dry run, approval and progress list every one of 30 steps`, () => {
      const plan = plan30(kind);
      const dry = planMessage(plan, planOpts);
      expectValidMessage(dry);
      for (let n = 1; n <= 30; n++) expect(all(dry)).toContain(`*${n}.*`);
      for (const state of ['pending_approval', 'approved', 'rejected', 'running', 'failed'] as const) {
        const r = request(plan, state);
        const approval = approvalMessage(r, { state, approvers: '<!subteam^S0ONCALL01>', reason: r.reason! });
        expectValidMessage(approval, requestFallback(r, state));
        const text = mrkdwnTexts(approval).join('\n');
        for (let n = 1; n <= 30; n++) expect(text).toMatch(new RegExp(`^${n}\\. `, 'm'));
      }
      for (const state of ['running', 'failed', 'interrupted', 'succeeded', 'cancelled', 'undone'] as const) {
        const r = request(plan, state);
        const blocks = progressMessage(r, state, { lines: [backfillProgressLine(progress)] });
        expectValidMessage(blocks, requestFallback(r, state));
        for (let n = 1; n <= 30; n++) expect(all(blocks)).toMatch(new RegExp(` ${n}\\. `));
      }
    });
  }

  it('backfill stall alarm', () => {
    expectValidMessage(stallMessage(request(plan30('backfill'), 'running'), progress, 10));
  });

  it('audit of 1,000 entries says how to see the older ones', () => {
    const entries: AuditEntry[] = Array.from({ length: 1000 }, (_, i) => auditEntry(i));
    const blocks = auditMessage(entries, long(200));
    expectValidMessage(blocks);
    expect(accounted(all(blocks), []).more).toBeGreaterThanOrEqual(1000 - 25);
    expect(all(blocks)).toContain('/pipeline audit');
  });

  it('App Home with 200 requests', () => {
    const plan = plan30('heal');
    const requests = Array.from({ length: 200 }, (_, i) => ({
      request: request(plan, 'failed'),
      state: (['failed', 'running', 'pending_approval'] as const)[i % 3]!,
    }));
    const view = homeView({ project: long(60), requests, usage: Object.values(usage).join('\n') });
    expect(validateView(view, 'home')).toEqual([]);
    expectNoLiveMarkup(view);
    expect(accounted(all(view), []).more).toBeGreaterThan(0);
    // `/heal <date>` in the usage must read as typed, not as a link.
    expect(all(view)).toContain('&lt;date&gt;');
  });

  describe('alerts (issue 12)', () => {
    const time = (d: Date) => d.toISOString().slice(11, 16);
    const group = (id: string, n: number): AlertGroupView => ({
      group: { id, state: 'open', openedAt: now, ts: '1.2' },
      alerts: Array.from({ length: n }, (_, i) => ({
        fingerprint: `${serviceName(i % 40)}/check/${i}`,
        group: id,
        component: serviceName(i % 40),
        componentKind: i % 2 ? 'service' : 'check',
        kind: 'check',
        date: '2026-01-20' as IsoDate,
        severity: 'fail' as const,
        message: long(400, `alert ${i} `),
        state: (['firing', 'acknowledged', 'silenced'] as const)[i % 3]!,
        firstSeen: now,
        lastSeen: now,
        seenInRow: 2,
        acknowledgedBy: 'U0BOB',
        silencedBy: 'U0BOB',
        silencedUntil: now,
      })),
    });
    const big = group('2026-01-20', 1000);

    it('an alert of 1,000 long problems, and its resolved form, fit and say where the rest is', () => {
      const blocks = alertMessage(big, time);
      expectValidMessage(blocks, alertFallback(big));
      expect(accounted(all(blocks), []).more).toBeGreaterThan(0);
      expect(all(blocks)).toContain('Acknowledge');
      expectValidMessage(resolvedAlertMessage(big, 7_800_000, time));
    });

    it('/pipeline alerts, the digest and App Home with 30 open groups of 1,000 alerts', () => {
      const groups = Array.from({ length: 30 }, (_, i) => ({
        ...big,
        group: { ...big.group, id: long(120, `g${i}`) },
      }));
      const open = openAlertsMessage(groups, time, 'C0OPS');
      expectValidMessage(open);
      expect(accounted(all(open), []).more).toBeGreaterThan(0);
      const digest = digestMessage(
        {
          day: '2026-01-21' as IsoDate,
          verdicts: [
            { date: '2026-01-20' as IsoDate, verdict: 'fail', counts: { fail: 1000, warn: 3, unknown: 2 } },
            { date: '2026-01-21' as IsoDate, error: long(500) },
          ],
          healed: Array.from({ length: 200 }, () => ({
            subject: long(60),
            title: long(200),
            requester: 'U0ALICE',
            approver: 'U0BOB',
          })),
          open: groups,
          actions: Array.from({ length: 1000 }, (_, i) => auditEntry(i)),
        },
        time,
      );
      expectValidMessage(digest);
      const view = homeView({
        project: long(60),
        requests: [],
        usage: Object.values(usage).join('\n'),
        alerts: { open: groups, time },
      });
      expect(validateView(view, 'home')).toEqual([]);
      expectNoLiveMarkup(view);
      expect(all(view)).toContain('Open alerts');
      expect(
        digestFallback({ day: '2026-01-21' as IsoDate, verdicts: [], healed: [], open: [], actions: [] }),
      ).not.toMatch(/[<>]/);
    });

    it('when the alert store does not answer, /pipeline alerts and App Home say so', () => {
      const open = openAlertsMessage(undefined, time, 'C0OPS');
      expectValidMessage(open);
      expect(all(open)).toContain('did not answer');
      const view = homeView({
        project: long(60),
        requests: [],
        usage: usage.pipeline,
        alerts: { open: undefined, time },
      });
      expect(validateView(view, 'home')).toEqual([]);
      expect(all(view)).toContain('did not answer');
    });

    it('the thread lines (newly failing, reminders) quote Google text escaped', () => {
      for (const text of [newlyFiringText(big.alerts), reminderText(big, 7_200_000)]) {
        expect(validateMessage({ text })).toBeUndefined();
        for (const live of LIVE) expect(text).not.toContain(live);
      }
      expect(newlyFiringText(big.alerts)).toContain('and 990 more');
    });
  });

  describe('status buttons and All findings', () => {
    const kinds = ['service', 'function', 'job', 'check'] as const;
    /** 1,000 failing findings over 40 components, 30 of them with logs (services, functions, jobs). */
    const report = (): StatusReport => ({
      ...statusReport(),
      findings: Array.from({ length: 1000 }, (_, i) => ({
        severity: 'fail' as const,
        component: serviceName(i % 40),
        kind: kinds[i % 4]!,
        message: long(300, `finding ${i} `),
      })),
    });

    it('the posted status keeps Heal, Refresh, Trace and All findings beside its Logs buttons', () => {
      const r = report();
      const blocks = statusMessage(r, { withActions: true, postedBy: 'U0ALICE' });
      expectValidMessage(blocks, statusFallback(r));
      const shown = actionIds(blocks);
      for (const id of [ids.openHeal, ids.refreshStatus, ids.openTrace, ids.showFindings])
        expect(shown).toContain(id);
      const logs = shown.filter((id) => logsButtonPattern.test(id));
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.length).toBeLessThanOrEqual(5);
    });

    it('All findings of 1,000 entries fits and counts the ones it cannot show', () => {
      const r = report();
      const blocks = findingsMessage(r);
      expectValidMessage(blocks);
      const text = mrkdwnTexts(blocks).join('\n');
      const named = (text.match(/problem \d+ /g) ?? []).length;
      expect(named + accounted(text, []).more).toBeGreaterThanOrEqual(1000);
    });
  });

  describe('/pipeline logs and /pipeline trace (issue 14): text from Cloud Logging', () => {
    const source = { kind: 'service' as const, name: serviceName(3) };
    /** A traceback whose exception line is full of markup, mentions and links. */
    const entry = (i: number, chars = 5000): LogEntry => ({
      insertId: `e${String(i).padStart(5, '0')}`,
      timestamp: new Date(now.getTime() - i * 1000).toISOString(),
      severity: i % 2 ? 'ERROR' : 'CRITICAL',
      source: source.name,
      revision: `${source.name}-00092-${long(20)}`,
      text: [
        'Traceback (most recent call last):',
        `  File "/app/${long(80)}.py", line ${i}, in <module>`,
        `    ${long(chars)}`,
        `RuntimeError: entry ${i} ${NASTY.replaceAll('\n', ' ')} ${long(chars)}`,
      ].join('\n'),
    });
    const logsView = (page: LogsView['page']): LogsView => ({
      query: {
        source,
        since: new Date(now.getTime() - 86_400_000),
        limit: 50,
        text: long(300),
        severity: 'ERROR',
      },
      page,
      timeZone: ZONE,
      explorerUrl: `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(long(300))}`,
    });

    it('a page of 50 long entries lists every one, escaped, with the menu and More', () => {
      const entries = Array.from({ length: 50 }, (_, i) => entry(i));
      const v = logsView(ok({ entries, nextPageToken: 'next~page' }));
      const blocks = logsMessage(v);
      expectValidMessage(blocks, logsFallback(v));
      const text = mrkdwnTexts(blocks).join('\n');
      for (const [i, e] of entries.entries()) expect(text, `entry ${i}`).toContain(zoneTime(e.timestamp));
      expect(text).toContain('&lt;!channel&gt;');
      expect(actionIds(blocks)).toEqual([ids.logsEntry, ids.logsMore]);
      const menu = (blocks as unknown as Json[]).flatMap((b) =>
        b.type === 'actions' ? (b.elements as Json[]) : [],
      )[0]!;
      expect(menu.options as unknown[]).toHaveLength(50);
    });

    it('a page Cloud Logging refused, and one with nothing in it', () => {
      const down = logsView(fail('unavailable', long(3000)));
      expectValidMessage(logsMessage(down), logsFallback(down));
      const none = logsView(ok({ entries: [] }));
      expectValidMessage(logsMessage(none), logsFallback(none));
    });

    it('one entry of 400,000 characters fits a modal, escaped; gone and unreadable entries say so', () => {
      const view = (e: Parameters<typeof logEntryModal>[0]['entry']) =>
        logEntryModal({
          source,
          entry: e,
          timeZone: ZONE,
          explorerUrl: 'https://console.cloud.google.com/logs',
        });
      const whole = view(ok({ ...entry(0, 200_000), text: `${entry(0, 200_000).text}\n\`\`\`` }));
      expectValidModal(whole as unknown as Json);
      expect(all(whole)).toContain('too long for Slack');
      expectValidModal(view(ok(undefined)) as unknown as Json);
      expectValidModal(view(fail('error', long(3000))) as unknown as Json);
      expectValidModal(logEntryLoading() as unknown as Json);
    });

    it('Logs buttons for 40 components with 49-character names: five, valid', () => {
      const block = logsButtons(
        Array.from({ length: 40 }, (_, i) => ({ kind: 'function' as const, name: serviceName(i) })),
      )!;
      expectValidMessage([block]);
      expect(actionIds([block])).toHaveLength(5);
    });

    /** 30 phases of 30 long events each; the chain broke at the second one with a hostile log line. */
    function trace(phases: number): TraceReport {
      const at = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
      return {
        date: '2026-01-20' as IsoDate,
        generatedAt: now,
        timeZone: ZONE,
        project: long(60),
        region: 'us-west2',
        phases: Array.from(
          { length: phases },
          (_, i): PhaseTrace => ({
            id: `ph-${String(i).padStart(2, '0')}`,
            label: long(500, `Phase ${i} `),
            service: serviceName(i),
            outcome: i === 0 ? 'done' : i === 1 ? 'broken' : 'not-reached',
            events: Array.from({ length: 30 }, (_, j) => ({
              step: 'run' as const,
              health: i === 1 && j === 3 ? ('fail' as const) : ('ok' as const),
              at: at(j),
              text: long(500, `${serviceName(i)} logged: `),
            })),
          }),
        ),
        broke: {
          phase: { id: 'ph-01', label: long(500) },
          after: { text: long(300, 'ph-00 finished '), at: at(40) },
          what: long(400, 'ModuleNotFoundError: '),
          error: { text: long(1000), at: at(35) },
          since: at(35),
          logs: { kind: 'function', name: serviceName(1) },
        },
        done: false,
        unchecked: Array.from({ length: 40 }, () => long(300)),
      };
    }

    it('a trace of 30 phases: valid, escaped (also its text), the break and its buttons kept', () => {
      const r = trace(30);
      const blocks = traceMessage(r);
      expectValidMessage(blocks, traceFallback(r));
      const text = mrkdwnTexts(blocks).join('\n');
      expect(text).toContain('*Chain broke at ph-01');
      expect(text).toContain('ModuleNotFoundError: ');
      expect(actionIds(blocks)).toEqual([ids.openHeal, ids.openLogs]);
      const phases = r.phases.map((p) => `*${p.id} · `);
      const { named, more } = accounted(text, phases);
      expect(named + more).toBeGreaterThanOrEqual(30);
    });
  });

  it('self-heal job, read or not', () => {
    const job = long(200);
    const read = {
      job,
      now,
      timeZone: 'America/New_York',
      consoleUrl: 'https://console.cloud.google.com/cloudscheduler',
      probe: ok({
        name: job,
        state: 'ENABLED' as const,
        schedule: long(100),
        timeZone: 'America/New_York',
        lastAttemptTime: '2026-01-21T11:00:00Z',
        lastStatus: { code: 13, message: long(2000) },
        nextRunTime: long(30),
      }),
    };
    expectValidMessage(selfHealMessage(read), selfHealFallback(read));
    const unread = { ...read, probe: fail('error', long(3000)) };
    expectValidMessage(selfHealMessage(unread), selfHealFallback(unread));
  });

  it('loading and info modals', () => {
    expectValidModal(loadingModal({ title: long(100), callbackId: 'heal_plan', text: long(5000) }) as never);
    const blocks = Array.from({ length: 150 }, () => section(esc(long(4000))));
    expectValidModal(infoModal({ title: long(100), callbackId: 'heal_plan', blocks }) as never);
  });

  it('errors and usage echo what was typed without a live mention', () => {
    const typed = ['<!channel>', `2026-01-20 <@U123> <https://x|y> ${long(100)}`, `<!here> ${long(200)}`];
    const config = loadPipeline('config/pipeline.example.yml');
    for (const text of typed) {
      const heal = parseHeal(text, 'America/New_York', now);
      const pipeline = parsePipelineCommand(`status ${text}`, 'America/New_York', now);
      const trace = parsePipelineCommand(`trace ${text}`, 'America/New_York', now);
      const logs = parsePipelineCommand(`logs x --since ${text}`, 'America/New_York', now);
      // `/pipeline logs <component>` resolves the component against the configuration.
      const component = resolveLogSource(config, text.split(' ')[0]!);
      for (const [outcome, help] of [
        [heal, usage.heal],
        [pipeline, usage.pipeline],
        [trace, usage.pipeline],
        [logs, usage.pipeline],
        [component, usage.pipeline],
      ] as const) {
        expect(outcome.ok).toBe(false);
        if (outcome.ok) continue;
        const answer = refusalText(outcome.reason.message, help);
        expect(answer.length).toBeLessThanOrEqual(40_000);
        for (const live of LIVE) expect(answer).not.toContain(live);
      }
    }
  });
});
