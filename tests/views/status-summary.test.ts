/**
 * The summary under the verdict: failures, then unknowns, then warnings, with counts per
 * severity; when it is cut, only from the end (so a warning never shows while a failure is
 * hidden), and "All findings" lists every entry.
 */
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/domain/ports.js';
import {
  finding,
  lineOf,
  type ReportSection,
  type Severity,
  type StatusReport,
  summarize,
  worst,
} from '../../src/domain/status.js';
import { actions as ids } from '../../src/ids.js';
import { statusMessage } from '../../src/views/status.js';
import { findingsMessage } from '../../src/views/status-findings.js';

type Block = { type: string; text?: { text: string }; elements?: { action_id?: string }[] };

/** A report with one line per (severity, name), warnings listed first in the sections on purpose. */
function report(lines: [Severity, string][]): StatusReport {
  const section: ReportSection = {
    id: 'services',
    title: 'Cloud Run services',
    health: 'ok',
    lines: lines.map(([sev, name]) =>
      lineOf(name, 'state', [finding(sev, name, 'service', `${name} is ${sev}`)], undefined),
    ),
  };
  section.health = worst(section.lines.map((l) => l.health));
  const summary = summarize([section]);
  const counts: Record<Severity, number> = { fail: 0, unknown: 0, warn: 0 };
  for (const e of summary) counts[e.severity]++;
  return {
    date: '2026-01-20' as IsoDate,
    generatedAt: new Date('2026-01-21T12:00:00Z'),
    project: 'p',
    verdict: section.health,
    summary,
    counts,
    findings: section.lines.flatMap((l) => l.findings ?? []),
    problems: summary.map((e) => `${e.component}: ${e.messages.join(' · ')}`),
    sections: [section],
  };
}

const verdictOf = (blocks: unknown) =>
  (blocks as Block[]).find((b) => b.type === 'section')?.text?.text ?? '';
const buttonsOf = (blocks: unknown) =>
  (blocks as Block[]).flatMap((b) =>
    b.type === 'actions' ? (b.elements ?? []).map((e) => e.action_id) : [],
  );

describe('status summary', () => {
  it('lists failures before warnings, with the counts of each severity', () => {
    const r = report([
      ['warn', 'w1'],
      ['fail', 'f1'],
      ['unknown', 'u1'],
      ['warn', 'w2'],
      ['fail', 'f2'],
    ]);
    const text = verdictOf(statusMessage(r, { withActions: true }));
    expect(text.split('\n')[0]).toBe(
      ':red_circle: *Problems* · 5 to look at: 2 failing · 1 unknown · 2 warnings',
    );
    const names = [...text.matchAll(/\*(\w\d)\*/g)].map((m) => m[1]);
    expect(names).toEqual(['f1', 'f2', 'u1', 'w1', 'w2']);
    expect(buttonsOf(statusMessage(r, { withActions: true }))).not.toContain(ids.showFindings);
  });

  it('never shows a warning while a failure is hidden; what is cut is one click away', () => {
    const lines: [Severity, string][] = [
      ...Array.from({ length: 5 }, (_, i): [Severity, string] => ['warn', `w${i}`]),
      ...Array.from({ length: 12 }, (_, i): [Severity, string] => ['fail', `f${i}`]),
      ['unknown', 'u0'],
    ];
    const r = report(lines);
    const blocks = statusMessage(r, { withActions: true });
    const text = verdictOf(blocks);
    expect(text).not.toMatch(/\*w\d\*/);
    expect(text).not.toMatch(/\*u0\*/);
    const shown = [...text.matchAll(/\*(f\d+)\*/g)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => `f${i}`));
    const hiddenFails = 12 - shown.length;
    expect(text).toContain(
      `…and ${18 - shown.length} more (${hiddenFails} failing · 1 unknown · 5 warnings)`,
    );
    expect(buttonsOf(blocks)).toContain(ids.showFindings);
    // The button's answer lists every entry, in the same order.
    const all = findingsMessage(r)
      .filter((b) => b.type === 'section')
      .map((b) => (b as Block).text!.text)
      .join('\n');
    expect(all).toContain('*12 failing · 1 unknown · 5 warnings*');
    const order = [...all.matchAll(/\*([fuw]\d+)\*/g)].map((m) => m[1]);
    expect(order).toEqual([
      ...Array.from({ length: 12 }, (_, i) => `f${i}`),
      'u0',
      ...Array.from({ length: 5 }, (_, i) => `w${i}`),
    ]);
  });

  it('in a section too, failures come before warnings, so a cut never hides one behind a warning', () => {
    const lines: [Severity, string][] = [
      ...Array.from({ length: 12 }, (_, i): [Severity, string] => ['warn', `w${i}`]),
      ...Array.from({ length: 12 }, (_, i): [Severity, string] => ['fail', `f${i}`]),
    ];
    const blocks = statusMessage(report(lines), { withActions: true }) as Block[];
    const services = blocks.find((b) => b.text?.text.startsWith('*Cloud Run services*'))!.text!.text;
    const rows = services.split('\n').slice(1);
    const names = rows.flatMap((r) => /^:\w+: (\w\d+) /.exec(r)?.[1] ?? []);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(24);
    expect(names.slice(0, 12)).toEqual(Array.from({ length: Math.min(12, names.length) }, (_, i) => `f${i}`));
    expect(rows.at(-1)).toMatch(/…and \d+ more/);
  });

  it('an all-clear report has no summary', () => {
    const r = report([]);
    expect(verdictOf(statusMessage(r))).toBe(':large_green_circle: *All clear*');
  });
});
