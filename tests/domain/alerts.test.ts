import { describe, expect, it } from 'vitest';
import {
  type AlertGroup,
  type AlertRecord,
  acknowledge,
  describeDuration,
  evaluateAlerts,
  type Finding,
  fingerprintOf,
  groupAction,
  newlyFiring,
  shownKey,
  silence,
  silenceUntil,
} from '../../src/domain/alerts.js';
import type { IsoDate } from '../../src/domain/ports.js';

const DATE = '2026-01-20' as IsoDate;
const t0 = new Date('2026-01-21T10:00:00Z');
const at = (min: number) => new Date(t0.getTime() + min * 60_000);

function finding(component: string, kind = 'missing-data', date = DATE): Finding {
  return {
    fingerprint: fingerprintOf({ component, kind, date }),
    group: date,
    component,
    kind,
    date,
    severity: 'fail',
    message: `${component}: ${kind}`,
  };
}

/** Evaluate a sequence of ticks (each a list of findings), five minutes apart. */
function run(ticks: Finding[][]): AlertRecord[] {
  let records: AlertRecord[] = [];
  ticks.forEach((findings, i) => {
    records = evaluateAlerts(records, findings, at(i * 5));
  });
  return records;
}

const posted = (alerts: AlertRecord[], openedAt = t0): AlertGroup => ({
  id: '2026-01-20',
  state: 'open',
  openedAt,
  ts: '1.1',
  shown: shownKey(alerts),
});

describe('fingerprints', () => {
  it('name the component, the kind and the date, never a time or a count', () => {
    expect(fingerprintOf({ component: 'nba-phase3', kind: 'crash-loop', date: DATE })).toBe(
      'nba-phase3/crash-loop/2026-01-20',
    );
    expect(fingerprintOf({ component: 'gateway', kind: 'not-ready' })).toBe('gateway/not-ready/*');
  });
});

describe('evaluateAlerts', () => {
  it('keeps a finding seen once pending: a flap never pages', () => {
    const once = run([[finding('p3')]]);
    expect(once.map((a) => a.state)).toEqual(['pending']);
    expect(groupAction(undefined, once, at(0))).toEqual({ kind: 'none' });
    // Gone on the next evaluation: forgotten, nothing to resolve.
    expect(run([[finding('p3')], []])).toEqual([]);
  });

  it('fires on the second evaluation in a row, and the group is posted once', () => {
    const twice = run([[finding('p3')], [finding('p3')]]);
    expect(twice.map((a) => [a.state, a.seenInRow, a.firstSeen, a.lastSeen])).toEqual([
      ['firing', 2, at(0), at(5)],
    ]);
    expect(groupAction(undefined, twice, at(5))).toEqual({ kind: 'post' });
    expect(groupAction(posted(twice), twice, at(5))).toEqual({ kind: 'none' });
  });

  it('updates the message in place when another alert of the group fires, and resolves in place', () => {
    const first = run([[finding('p3')], [finding('p3')]]);
    const group = posted(first, at(5));
    const more = evaluateAlerts(
      evaluateAlerts(first, [finding('p3'), finding('p4')], at(10)),
      [finding('p3'), finding('p4')],
      at(15),
    );
    expect(more.map((a) => a.state)).toEqual(['firing', 'firing']);
    expect(groupAction(group, more, at(15))).toEqual({ kind: 'update' });
    const gone = evaluateAlerts(more, [], at(135));
    expect(gone.map((a) => [a.state, a.resolvedAt])).toEqual([
      ['resolved', at(135)],
      ['resolved', at(135)],
    ]);
    expect(groupAction({ ...group, shown: shownKey(more) }, gone, at(135))).toEqual({
      kind: 'resolve',
      afterMs: 130 * 60_000,
    });
    expect(describeDuration(130 * 60_000)).toBe('2 h 10 min');
  });

  it('reminds in the thread after the interval while firing and unacknowledged; acknowledging stops it', () => {
    const firing = run([[finding('p3')], [finding('p3')]]);
    const group = posted(firing, at(5));
    expect(groupAction(group, firing, at(5 + 239))).toEqual({ kind: 'none' });
    expect(groupAction(group, firing, at(5 + 240))).toEqual({ kind: 'remind' });
    expect(groupAction({ ...group, lastReminderAt: at(245) }, firing, at(300))).toEqual({ kind: 'none' });
    const acked = acknowledge(firing, 'U0BOB');
    expect(acked.map((a) => [a.state, a.acknowledgedBy])).toEqual([['acknowledged', 'U0BOB']]);
    // The message shows who acknowledged (an update), then no reminder however long it lasts.
    expect(groupAction(group, acked, at(5 + 240))).toEqual({ kind: 'update' });
    const still = evaluateAlerts(acked, [finding('p3')], at(600));
    expect(still[0]?.state).toBe('acknowledged');
    expect(groupAction({ ...group, shown: shownKey(still) }, still, at(600))).toEqual({ kind: 'none' });
  });

  it('a silence holds until it ends, then the alert fires again if still found', () => {
    const firing = run([[finding('p3')], [finding('p3')]]);
    const silenced = silence(firing, 'U0BOB', at(65));
    const during = evaluateAlerts(silenced, [finding('p3')], at(60));
    expect(during.map((a) => [a.state, a.silencedBy, a.silencedUntil])).toEqual([
      ['silenced', 'U0BOB', at(65)],
    ]);
    const group = posted(during, at(5));
    expect(groupAction(group, during, at(5 + 500))).toEqual({ kind: 'none' });
    const after = evaluateAlerts(during, [finding('p3')], at(65));
    expect(after.map((a) => [a.state, a.silencedUntil])).toEqual([['firing', undefined]]);
    expect(groupAction(group, after, at(65))).toEqual({ kind: 'update' });
  });

  it('keeps the alerts of a component it could not read: no answer is not a resolve', () => {
    const firing = run([[finding('p3')], [finding('p3')]]);
    const unread = evaluateAlerts(firing, [], at(10), undefined, new Set(['p3']));
    expect(unread).toEqual(firing);
    expect(evaluateAlerts(firing, [], at(10))[0]?.state).toBe('resolved');
  });

  it('a resolved alert found again starts over as pending: a new incident, not the old one', () => {
    const resolved = run([[finding('p3')], [finding('p3')], []]);
    expect(resolved[0]?.state).toBe('resolved');
    const again = evaluateAlerts(resolved, [finding('p3')], at(20));
    expect(again.map((a) => [a.state, a.firstSeen])).toEqual([['pending', at(20)]]);
  });
});

describe('silenceUntil', () => {
  const now = new Date('2026-01-21T22:30:00Z'); // 17:30 in New York
  it('ends in one or four hours, or tomorrow at 09:00 in the pipeline’s time zone', () => {
    expect(silenceUntil('1h', now, 'America/New_York')).toEqual(new Date('2026-01-21T23:30:00Z'));
    expect(silenceUntil('4h', now, 'America/New_York')).toEqual(new Date('2026-01-22T02:30:00Z'));
    expect(silenceUntil('tomorrow', now, 'America/New_York')).toEqual(new Date('2026-01-22T14:00:00Z'));
    // Past midnight in Tokyo already: tomorrow there is the 23rd.
    expect(silenceUntil('tomorrow', now, 'Asia/Tokyo')).toEqual(new Date('2026-01-23T00:00:00Z'));
  });
});

describe('newly firing', () => {
  it('names what fires now and did not when the message was last shown: new, or back after a silence', () => {
    const firing = run([
      [finding('a'), finding('b')],
      [finding('a'), finding('b')],
    ]);
    const shown = shownKey(
      silence(
        firing.filter((x) => x.component === 'b'),
        'U0BOB',
        at(60),
      ).concat(firing.filter((x) => x.component === 'a')),
    );
    const later = run([
      [finding('a'), finding('b'), finding('c')],
      [finding('a'), finding('b'), finding('c')],
    ]);
    expect(newlyFiring(shown, later).map((x) => x.component)).toEqual(['b', 'c']);
    expect(newlyFiring(shownKey(later), later)).toEqual([]);
    expect(newlyFiring(undefined, later).map((x) => x.component)).toEqual(['a', 'b', 'c']);
  });
});
