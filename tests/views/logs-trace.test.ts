/**
 * The logs page, the entry modal, the trace and the Logs buttons, checked by the fake Slack's
 * validator (the same limits module the views clamp to), from hostile and oversized data.
 */
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { validateMessage, validateView } from '../../devstack/src/local/block-kit-validator.js';
import { loadPipeline } from '../../src/config.js';
import type { VerifyReport } from '../../src/domain/deploy-verify.js';
import { parseCursor, parseEntryRef } from '../../src/domain/logs-args.js';
import type { LogEntry } from '../../src/domain/logs-query.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { fail, ok } from '../../src/domain/result.js';
import type { StatusReport } from '../../src/domain/status.js';
import type { TraceReport } from '../../src/domain/trace.js';
import { actions as ids, logsButtonPattern } from '../../src/ids.js';
import { blockTextLength } from '../../src/views/common.js';
import { deployVerifyMessage } from '../../src/views/deploy-verify.js';
import { type LogsView, logEntryModal, logsButtons, logsMessage } from '../../src/views/logs.js';
import { statusMessage } from '../../src/views/status.js';
import { traceMessage } from '../../src/views/trace.js';
import { blockText } from '../helpers/e2e.js';

const config = loadPipeline('config/pipeline.example.yml');
const NOW = new Date('2026-01-21T15:00:00Z');
const PHASE3 = 'nba-phase3-analytics-processors';
const HOSTILE = '<!channel> *bold* `code` ``` & <https://evil.example|click> \u202e';

type Element = { type: string; action_id?: string; value?: string; options?: { value: string }[] };
type Block = KnownBlock & { elements?: Element[]; block_id?: string };

const elements = (blocks: KnownBlock[]) =>
  (blocks as Block[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

/** Every mrkdwn text (plain_text is shown as typed: Slack parses no mention there). */
function mrkdwn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwn);
  if (!value || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  if (o.type === 'mrkdwn' && typeof o.text === 'string') return [o.text];
  return Object.values(o).flatMap(mrkdwn);
}

/** `n` entries, newest first, each a long traceback with hostile text. */
function entries(n: number, chars = 5000): LogEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    insertId: `id${String(i).padStart(6, '0')}`,
    timestamp: new Date(NOW.getTime() - i * 1000).toISOString(),
    severity: i % 2 ? 'ERROR' : 'CRITICAL',
    source: PHASE3,
    revision: `${PHASE3}-00092-zvl`,
    text: [
      'Traceback (most recent call last):',
      `  File "/app/main.py", line ${i}, in <module>`,
      `    ${'x'.repeat(chars)}`,
      `RuntimeError: entry ${i} ${HOSTILE} ${'y'.repeat(chars)}`,
    ].join('\n'),
  }));
}

function view(page: LogsView['page'], over: Partial<LogsView['query']> = {}): LogsView {
  return {
    query: {
      source: { kind: 'service', name: PHASE3 },
      since: new Date(NOW.getTime() - 3600_000),
      limit: 50,
      text: HOSTILE,
      severity: 'ERROR',
      ...over,
    },
    page,
    timeZone: config.timeZone,
    explorerUrl: `https://console.cloud.google.com/logs/query;query=${encodeURIComponent('x'.repeat(1500))}`,
  };
}

describe('a logs page', () => {
  it('shows 50 of 1,000 long entries whole in number, valid, with the full entries and More one click away', () => {
    const all = entries(1000);
    const page = all.slice(0, 50);
    const blocks = logsMessage(view(ok({ entries: page, nextPageToken: '50~abc' })));
    expect(validateMessage({ text: 'logs', blocks })).toBeUndefined();
    expect(blockTextLength(blocks)).toBeLessThanOrEqual(10_000);
    const text = blockText(blocks);
    // Every entry has its line: its time (New York), its exception line, not the traceback's first line.
    for (const [i, e] of page.entries()) {
      const time = new Date(e.timestamp).toLocaleTimeString('en-GB', {
        timeZone: config.timeZone,
        hour12: false,
      });
      expect(text, `entry ${i}`).toContain(`2026-01-21 ${time}\``);
    }
    expect(text).toContain('RuntimeError: entry 49');
    expect(text).not.toContain('Traceback (most recent call last)');
    expect(mrkdwn(blocks).join('\n')).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('`00092-zvl`');
    // The menu names each entry of this page; the More button carries the next page's query.
    const menu = elements(blocks).find((e) => e.action_id === ids.logsEntry)!;
    expect(menu.options!.map((o) => parseEntryRef(o.value)).map((r) => r.ok && r.value.insertId)).toEqual(
      page.map((e) => e.insertId),
    );
    const more = elements(blocks).find((e) => e.action_id === ids.logsMore)!;
    const next = parseCursor(more.value!, config, NOW);
    expect(next).toEqual({ ok: true, value: { ...view(ok({ entries: [] })).query, pageToken: '50~abc' } });
    expect((blocks as Block[]).find((b) => b.type === 'actions')?.block_id).toBe(
      `logs_entries:service/${PHASE3}`,
    );
  });

  it('has no More button on the last page, and says when the next page would not fit a button', () => {
    const last = logsMessage(view(ok({ entries: entries(3, 50) })));
    expect(elements(last).map((e) => e.action_id)).toEqual([ids.logsEntry]);
    const tooLong = logsMessage(view(ok({ entries: entries(3, 50), nextPageToken: 'a'.repeat(1600) })));
    expect(validateMessage({ blocks: tooLong })).toBeUndefined();
    expect(elements(tooLong).map((e) => e.action_id)).toEqual([ids.logsEntry]);
    expect(blockText(tooLong)).toContain('More entries match: narrow the query');
  });

  it('says when nothing matched, and when Logging could not be read', () => {
    const none = logsMessage(view(ok({ entries: [] })));
    expect(validateMessage({ blocks: none })).toBeUndefined();
    expect(blockText(none)).toContain('No entries match');
    expect(elements(none)).toEqual([]);
    const down = logsMessage(view(fail('unavailable', 'sandbox fault injected into logging')));
    expect(validateMessage({ blocks: down })).toBeUndefined();
    expect(blockText(down)).toContain('Could not read the logs: API unavailable');
  });
});

describe('one entry, whole', () => {
  it('fits a modal however long, escaped, with the rest in the Logs Explorer', () => {
    const [entry] = entries(1, 200_000);
    const modal = logEntryModal({
      source: { kind: 'service', name: PHASE3 },
      entry: ok({ ...entry!, text: `${entry!.text}\n\`\`\`` }),
      timeZone: config.timeZone,
      explorerUrl: 'https://console.cloud.google.com/logs/query;query=x',
    });
    expect(validateView(modal, 'modal')).toEqual([]);
    const text = blockText(modal.blocks);
    expect(text).toContain('Traceback (most recent call last):');
    expect(text).toContain('too long for Slack');
    expect(mrkdwn(modal.blocks).join('\n')).not.toContain('<!channel>');
    // The text's own ``` cannot close the code block early.
    const sections = (modal.blocks as Block[]).filter((b) => b.type === 'section').slice(1);
    for (const s of sections)
      expect((s as { text: { text: string } }).text.text.match(/```/g)).toHaveLength(2);
  });

  it('says so when the entry is gone or Logging fails', () => {
    const gone = logEntryModal({
      source: { kind: 'function', name: 'f' },
      entry: ok(undefined),
      timeZone: config.timeZone,
      explorerUrl: 'https://console.cloud.google.com/x',
    });
    expect(validateView(gone, 'modal')).toEqual([]);
    expect(blockText(gone.blocks)).toContain('no longer in Cloud Logging');
  });
});

describe('the trace', () => {
  const DATE = '2026-01-20' as IsoDate;
  const longText = `${HOSTILE} ${'z'.repeat(3000)}`;
  const report = (phases: number): TraceReport => ({
    date: DATE,
    generatedAt: NOW,
    timeZone: config.timeZone,
    project: config.project,
    region: config.region,
    phases: Array.from({ length: phases }, (_, i) => ({
      id: `phase${i}`,
      label: `Phase ${i} ${HOSTILE}`,
      service: `svc-${i}`,
      outcome: i === 1 ? 'broken' : 'done',
      events: Array.from({ length: 30 }, (_, j) => ({
        step: 'run' as const,
        health: j === 3 && i === 1 ? ('fail' as const) : ('ok' as const),
        at: new Date(NOW.getTime() - j * 60_000).toISOString(),
        text: longText,
      })),
    })),
    broke: {
      phase: { id: 'phase1', label: HOSTILE },
      after: { text: 'phase1 finished', at: '2026-01-21T15:02:00Z' },
      what: 'phase1-to-phase2-orchestrator did not hand off',
      error: { text: longText, at: '2026-01-21T15:02:30Z' },
      since: '2026-01-21T15:02:30Z',
      logs: { kind: 'function', name: 'phase1-to-phase2-orchestrator' },
    },
    done: false,
    unchecked: Array.from({ length: 40 }, () => longText),
  });

  it('stays valid and escaped with 60 phases of 30 long events each', () => {
    const blocks = traceMessage(report(60));
    expect(validateMessage({ text: 'trace', blocks })).toBeUndefined();
    const text = blockText(blocks);
    expect(mrkdwn(blocks).join('\n')).not.toContain('<!channel>');
    expect(text).toContain('*Chain broke at phase1 · &lt;!channel&gt;');
    expect(text).toContain(
      'phase1 finished 2026-01-21 10:02; phase1-to-phase2-orchestrator did not hand off: ',
    );
    // The buttons survive the cuts: into Heal for the date, and the logs of what broke since it broke.
    const buttons = elements(blocks);
    expect(buttons.map((b) => b.action_id)).toEqual([ids.openHeal, ids.openLogs]);
    expect(buttons[0]!.value).toBe(DATE);
    expect(JSON.parse(buttons[1]!.value!)).toEqual({
      c: 'function/phase1-to-phase2-orchestrator',
      s: '2026-01-21T15:02:00Z',
    });
  });
});

describe('Logs buttons under reports', () => {
  it('one per failing service, function or job of a status report, with Trace beside Refresh', () => {
    const finding = (component: string, kind: string, severity: 'fail' | 'warn') => ({
      component,
      kind,
      severity,
      message: 'x',
    });
    const findings = [
      finding(PHASE3, 'service', 'fail'),
      finding(PHASE3, 'service', 'fail'),
      finding('phase5-to-phase6-orchestrator', 'function', 'fail'),
      finding('nba-raw-backfill', 'job', 'fail'),
      finding('nba-phase6-export', 'service', 'warn'),
      finding('Games with box scores', 'check', 'fail'),
    ];
    const status = {
      date: '2026-01-20',
      generatedAt: NOW,
      project: config.project,
      verdict: 'fail',
      summary: [],
      counts: { fail: 4, unknown: 0, warn: 1 },
      findings,
      problems: [],
      sections: [],
    } as unknown as StatusReport;
    const blocks = statusMessage(status, { withActions: true });
    expect(validateMessage({ blocks })).toBeUndefined();
    const byId = elements(blocks);
    expect(byId.filter((e) => e.action_id === ids.openTrace).map((e) => e.value)).toEqual(['2026-01-20']);
    expect(
      byId.filter((e) => logsButtonPattern.test(e.action_id ?? '')).map((e) => JSON.parse(e.value!).c),
    ).toEqual([`service/${PHASE3}`, 'function/phase5-to-phase6-orchestrator', 'job/nba-raw-backfill']);
  });

  it('one per failing target of a deploy verification', () => {
    const target = (name: string, kind: 'service' | 'function', health: 'ok' | 'fail') => ({
      kind,
      name,
      health,
      checks: [{ health, label: 'Crash logs', detail: health === 'ok' ? 'none' : '12 × HealthChecker' }],
      link: 'https://console.cloud.google.com/run',
    });
    const report: VerifyReport = {
      verdict: 'FAIL',
      reasons: ['x'],
      targets: [
        target(PHASE3, 'service', 'fail'),
        target('nba-phase2-raw-processors', 'service', 'ok'),
        target('phase5-to-phase6-orchestrator', 'function', 'fail'),
      ],
      generatedAt: NOW,
    };
    const blocks = deployVerifyMessage(report);
    expect(validateMessage({ blocks })).toBeUndefined();
    const logs = elements(blocks).filter((e) => logsButtonPattern.test(e.action_id ?? ''));
    expect(logs.map((e) => JSON.parse(e.value!).c)).toEqual([
      `service/${PHASE3}`,
      'function/phase5-to-phase6-orchestrator',
    ]);
  });

  it('at most five, and none when nothing fails', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ kind: 'service' as const, name: `svc-${i}` }));
    const block = logsButtons(many)!;
    expect(validateMessage({ blocks: [block] })).toBeUndefined();
    expect(block.elements).toHaveLength(5);
    expect(logsButtons([])).toBeUndefined();
  });
});
