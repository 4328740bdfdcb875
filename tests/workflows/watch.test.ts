/** The watch on the Firestore alert store: flap, post once across instances, failed post retried, resolve in place. */
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertGroupView } from '../../src/domain/alerts.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { fail, ok, type Probe } from '../../src/domain/result.js';
import { createFirestoreAlertStore } from '../../src/store/firestore-alerts.js';
import {
  type AlertNotifier,
  type ReportFinding,
  runWatch,
  type WatchDeps,
} from '../../src/workflows/watch.js';
import { testFirestore, testProjectId } from '../helpers/firestore.js';

const TZ = 'America/New_York';
// 10:00 in New York on the 21st: the watch looks at the 20th and the 21st.
const t0 = new Date('2026-01-21T15:00:00Z');
const tick = (min: number) => ({ id: `t${min}`, now: new Date(t0.getTime() + min * 60_000) });

const project = testProjectId();
const dbs: Firestore[] = [testFirestore(project), testFirestore(project)];
afterAll(async () => {
  for (const db of dbs) await db.terminate();
});

/** A notifier that records what it was asked, and can fail its next posts. */
function recorder() {
  const calls: string[] = [];
  let failPosts = 0;
  const answer = <T>(what: string, value: T): Probe<T> => {
    calls.push(what);
    return ok(value);
  };
  const notifier: AlertNotifier = {
    async post(v: AlertGroupView) {
      if (failPosts > 0) {
        failPosts--;
        calls.push(`post-failed ${v.group.id}`);
        return fail('unavailable', 'Slack answered 500');
      }
      return answer(`post ${v.group.id} ${v.alerts.map((a) => a.component).join(',')}`, `ts-${calls.length}`);
    },
    async update(v) {
      return answer(`update ${v.group.id}`, true as const);
    },
    async remind(v, since) {
      return answer(`remind ${v.group.id} ${since / 60_000}min`, true as const);
    },
    async resolve(v, after) {
      return answer(`resolve ${v.group.id} after ${after / 60_000}min`, true as const);
    },
  };
  return { calls, notifier, failNextPosts: (n: number) => (failPosts = n) };
}

let n = 0;
function watchers(findings: () => Record<string, ReportFinding[]>, more: Partial<WatchDeps> = {}) {
  const collection = `watch_${n++}`;
  const rec = recorder();
  const make = (db: Firestore, i: number) => ({
    report: async (date: IsoDate) => ({ findings: findings()[date] ?? [] }),
    store: createFirestoreAlertStore(db, { collection, instanceId: `i${i}` }),
    notifier: rec.notifier,
    timeZone: TZ,
    log: () => {},
    ...more,
  });
  return { rec, instances: dbs.map(make) };
}

const missing: ReportFinding = {
  severity: 'fail',
  component: 'Players with predictions',
  kind: 'check',
  message: '26 of at least 224',
};

describe('the watch', () => {
  it('pages on the second run, once across two instances, and resolves the message in place', async () => {
    let now: Record<string, ReportFinding[]> = { '2026-01-20': [missing] };
    const { rec, instances } = watchers(() => now);
    const [a, b] = instances;
    expect((await runWatch(a!, tick(0))).map((o) => o.action)).toEqual(['none', 'none', 'none']);
    const second = await Promise.all([runWatch(a!, tick(5)), runWatch(b!, tick(5))]);
    expect(second.flat().filter((o) => o.action === 'post')).toHaveLength(1);
    await runWatch(b!, tick(10));
    expect(rec.calls).toEqual(['post 2026-01-20 Players with predictions']);
    now = {};
    await runWatch(a!, tick(135));
    expect(rec.calls.at(-1)).toBe('resolve 2026-01-20 after 130min');
  });

  it('does not page a flap, keeps alerts of what it could not read, reminds after 4 h', async () => {
    let now: Record<string, ReportFinding[]> = { '2026-01-21': [missing] };
    const { rec, instances } = watchers(() => now);
    const [a] = instances;
    await runWatch(a!, tick(0));
    now = {};
    await runWatch(a!, tick(5));
    expect(rec.calls).toEqual([]);
    now = { '2026-01-21': [missing] };
    await runWatch(a!, tick(10));
    await runWatch(a!, tick(15));
    expect(rec.calls).toEqual(['post 2026-01-21 Players with predictions']);
    // BigQuery did not answer: the check is unknown, not passing.
    now = { '2026-01-21': [{ ...missing, severity: 'unknown', message: 'no answer' }] };
    await runWatch(a!, tick(20));
    expect(rec.calls).toHaveLength(1);
    now = { '2026-01-21': [missing] };
    await runWatch(a!, tick(15 + 240));
    expect(rec.calls.at(-1)).toBe('remind 2026-01-21 240min');
  });

  it('tries a failed post again on the next run', async () => {
    const { rec, instances } = watchers(() => ({ '2026-01-20': [missing] }));
    const [a] = instances;
    await runWatch(a!, tick(0));
    rec.failNextPosts(1);
    const failed = await runWatch(a!, tick(5));
    expect(failed.find((o) => o.group === '2026-01-20')).toEqual({
      group: '2026-01-20',
      action: 'post',
      ok: false,
    });
    await runWatch(a!, tick(10));
    expect(rec.calls).toEqual(['post-failed 2026-01-20', 'post 2026-01-20 Players with predictions']);
  });

  it('groups every date in one message with groupBy pipeline', async () => {
    const crash: ReportFinding = {
      severity: 'fail',
      component: 'nba-phase3',
      kind: 'service',
      message: 'crash loop',
    };
    const { rec, instances } = watchers(() => ({ '2026-01-20': [missing], '2026-01-21': [crash] }), {
      groupBy: 'pipeline',
    });
    const [a] = instances;
    await runWatch(a!, tick(0));
    const second = await runWatch(a!, tick(5));
    expect(second).toEqual([{ group: 'pipeline', action: 'post', ok: true }]);
    expect(rec.calls).toEqual(['post pipeline Players with predictions,nba-phase3']);
  });

  it('keeps watching an open alert of a date that left the window until it resolves', async () => {
    let findings: Record<string, ReportFinding[]> = { '2026-01-20': [missing] };
    const { rec, instances } = watchers(() => findings);
    const [a] = instances;
    await runWatch(a!, tick(0));
    await runWatch(a!, tick(5));
    expect(rec.calls).toEqual(['post 2026-01-20 Players with predictions']);
    // Two days later the window is the 22nd and 23rd; the 20th is still open, and still found.
    const later = (min: number) => ({
      id: `later${min}`,
      now: new Date(t0.getTime() + 2 * 86_400_000 + min * 60_000),
    });
    const kept = await runWatch(a!, later(0));
    expect(kept.map((o) => o.group)).toEqual(['2026-01-20', '2026-01-22', '2026-01-23', 'components']);
    findings = {};
    await runWatch(a!, later(5));
    expect(rec.calls.at(-1)).toMatch(/^resolve 2026-01-20 after \d+min$/);
    // Resolved: the 20th is no longer evaluated.
    expect((await runWatch(a!, later(10))).map((o) => o.group)).toEqual([
      '2026-01-22',
      '2026-01-23',
      'components',
    ]);
  });
});
