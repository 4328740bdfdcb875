/** Alert messages, checked by the fake Slack's validator, from hostile data. */
import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../devstack/src/local/fake-slack.js';
import { type AlertGroupView, type AlertRecord, fingerprintOf } from '../../src/domain/alerts.js';
import type { IsoDate } from '../../src/domain/ports.js';
import {
  alertMessage,
  openAlertsMessage,
  reminderText,
  resolvedAlertMessage,
  resolvedThreadText,
} from '../../src/views/alerts.js';
import { blockText } from '../helpers/e2e.js';

const DATE = '2026-01-20' as IsoDate;
const t0 = new Date('2026-01-21T10:00:00Z');
const time = (d: Date) => d.toISOString().slice(11, 16);

function alert(component: string, over: Partial<AlertRecord> = {}): AlertRecord {
  const kind = over.kind ?? 'missing-data';
  return {
    fingerprint: fingerprintOf({ component, kind, date: DATE }),
    group: DATE,
    component,
    componentKind: 'table',
    kind,
    date: DATE,
    severity: 'fail',
    message: `${component} has no rows for ${DATE}`,
    state: 'firing',
    firstSeen: t0,
    lastSeen: t0,
    seenInRow: 2,
    ...over,
  };
}

const view = (alerts: AlertRecord[]): AlertGroupView => ({
  group: { id: DATE, state: 'open', openedAt: t0, ts: '1.1' },
  alerts,
});

const actionIds = (blocks: unknown[]) =>
  JSON.stringify(blocks)
    .match(/"action_id":"[a-z0-9_]+"/g)
    ?.map((m) => m.slice(13, -1)) ?? [];

describe('alert messages', () => {
  it('name what failed and lead into heal, deploy verification, rollback, full status, acknowledge and silence', () => {
    const blocks = alertMessage(
      view([
        alert('nba_predictions.player_prop_predictions'),
        alert('nba-phase3-analytics-processors', {
          componentKind: 'service',
          kind: 'crash-loop',
          message: 'HealthChecker crash loop',
        }),
        alert('phase5-to-phase6-orchestrator', {
          componentKind: 'function',
          kind: 'import-error',
          severity: 'warn',
          state: 'acknowledged',
          acknowledgedBy: 'U0BOB',
        }),
      ]),
      time,
    );
    expect(validateMessage({ blocks })).toBeUndefined();
    const text = blockText(blocks);
    expect(text).toContain('Pipeline alert: 2026-01-20');
    expect(text).toMatch(/nba-phase3-analytics-processors\* · HealthChecker crash loop/);
    expect(text).toContain('acknowledged by <@U0BOB>');
    expect(actionIds(blocks)).toEqual([
      'open_heal',
      'open_deploy_verify',
      'open_rollback',
      'show_status_findings',
      'alert_acknowledge',
      'alert_silence_1h',
      'alert_silence_4h',
      'alert_silence_tomorrow',
    ]);
    expect(JSON.stringify(blocks)).toContain(
      JSON.stringify(JSON.stringify({ service: 'nba-phase3-analytics-processors' })).slice(1, -1),
    );
  });

  it('offers Acknowledge only while something fires unacknowledged; the components’ group has no Heal', () => {
    const acked = alertMessage(
      view([
        alert('nba-phase3-analytics-processors', {
          componentKind: 'service',
          state: 'acknowledged',
          acknowledgedBy: 'U0BOB',
        }),
      ]),
      time,
    );
    expect(actionIds(acked)).not.toContain('alert_acknowledge');
    expect(actionIds(acked)).toContain('alert_silence_1h');
    const { date: _d, ...undated } = alert('nba-phase3-analytics-processors', { componentKind: 'service' });
    const now = alertMessage({ ...view([undated]), group: { ...view([]).group, id: 'components' } }, time);
    expect(actionIds(now)).not.toContain('open_heal');
    expect(JSON.stringify(now)).toContain('"value":"today"');
  });

  it('stays valid and escaped with 300 hostile alerts, and says where the rest are', () => {
    const hostile = Array.from({ length: 300 }, (_, i) =>
      alert(`svc-${'x'.repeat(40)}-${i}`, {
        componentKind: i % 2 ? 'service' : 'table',
        message: `<!channel> <@U123> <https://evil.example|click> *_~\`\`\` ${'é'.repeat(400)}\n🔥 ${i}`,
      }),
    );
    const blocks = alertMessage(view(hostile), time);
    expect(validateMessage({ blocks })).toBeUndefined();
    const json = JSON.stringify(blocks);
    for (const live of ['<!channel>', '<@U123>', '<https://evil.example|click>'])
      expect(json).not.toContain(live);
    expect(blockText(blocks)).toMatch(/…and \d+ more: \*Full status\* lists every one/);
    const resolved = resolvedAlertMessage(
      view(hostile.map((a) => ({ ...a, state: 'resolved' as const }))),
      130 * 60_000,
      time,
    );
    expect(validateMessage({ blocks: resolved })).toBeUndefined();
    expect(reminderText(view(hostile), 4 * 3_600_000)).not.toContain('<!channel>');
  });

  it('resolved in place: green, how long it lasted, no buttons', () => {
    const blocks = resolvedAlertMessage(view([alert('p3', { state: 'resolved' })]), 130 * 60_000, time);
    expect(blockText(blocks)).toMatch(/Resolved: 2026-01-20[\s\S]*Resolved after 2 h 10 min/);
    expect(actionIds(blocks)).toEqual([]);
    expect(resolvedThreadText(130 * 60_000)).toBe(':white_check_mark: Resolved after 2 h 10 min.');
  });

  it('/pipeline alerts says so when the alert store did not answer, rather than “no open alerts”', () => {
    const blocks = openAlertsMessage(undefined, time, 'C0OPS');
    expect(validateMessage({ blocks })).toBeUndefined();
    expect(blockText(blocks)).toContain('The alert store did not answer');
    expect(blockText(blocks)).not.toContain('No open alerts');
    expect(blockText(openAlertsMessage([], time, 'C0OPS'))).toContain('No open alerts');
  });
});
