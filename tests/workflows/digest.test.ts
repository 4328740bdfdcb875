/** The daily digest on the Firestore alert store: due at its time, once across instances, retried after a failed post. */
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/domain/digest.js';
import type { IsoDate } from '../../src/domain/ports.js';
import type { AuditEntry, GuardedRequest } from '../../src/domain/requests.js';
import { fail, ok } from '../../src/domain/result.js';
import { createFirestoreAlertStore } from '../../src/store/firestore-alerts.js';
import { digestMessage } from '../../src/views/digest.js';
import { type DigestDeps, runDigest } from '../../src/workflows/digest.js';
import { blockText } from '../helpers/e2e.js';
import { testFirestore, testProjectId } from '../helpers/firestore.js';

const TZ = 'America/New_York';
const project = testProjectId();
const dbs: Firestore[] = [testFirestore(project), testFirestore(project)];
afterAll(async () => {
  for (const db of dbs) await db.terminate();
});

const heal = {
  plan: { kind: 'heal', subject: '2026-01-20', title: 'Heal 2026-01-20' },
  state: 'succeeded',
  requester: 'U0ALICE',
  approver: 'U0BOB',
} as unknown as GuardedRequest;
const failedHeal = {
  ...heal,
  state: 'failed',
  plan: { ...heal.plan, subject: '2026-01-19' },
} as GuardedRequest;
const approve: AuditEntry = {
  requestId: 'r1',
  kind: 'heal',
  subject: '2026-01-20',
  action: 'approve',
  actor: 'U0BOB',
  at: new Date('2026-01-21T13:00:00Z'),
  planHash: 'h',
  outcome: 'approved',
};

let n = 0;
function digesters() {
  const collection = `digest_${n++}`;
  const posted: Digest[] = [];
  let failNext = false;
  const make = (db: Firestore, i: number): DigestDeps => ({
    report: async (date) => ({
      verdict: date === '2026-01-20' ? 'fail' : 'ok',
      counts: { fail: date === '2026-01-20' ? 3 : 0, warn: 0, unknown: 0 },
    }),
    store: createFirestoreAlertStore(db, { collection, instanceId: `i${i}` }),
    requests: { list: async () => [heal, failedHeal] },
    audit: { list: async () => [approve] },
    post: async (d) => {
      if (failNext) {
        failNext = false;
        return fail('unavailable', 'Slack answered 500');
      }
      posted.push(d);
      return ok(`ts-${posted.length}`);
    },
    timeZone: TZ,
    digestAt: '09:00',
    log: () => {},
  });
  return { posted, instances: dbs.map(make), failNextPost: () => (failNext = true) };
}

describe('the daily digest', () => {
  it('is not due before its time, then is posted once across two instances and runs', async () => {
    const { posted, instances } = digesters();
    const [a, b] = instances;
    // 08:59 in New York.
    expect(await runDigest(a!, new Date('2026-01-21T13:59:00Z'))).toBe('not_due');
    const at = new Date('2026-01-21T14:01:00Z');
    const outcomes = await Promise.all([runDigest(a!, at), runDigest(b!, at)]);
    expect(outcomes.sort()).toEqual(['posted', 'taken']);
    expect(await runDigest(b!, new Date('2026-01-21T20:00:00Z'))).toBe('taken');
    expect(posted).toHaveLength(1);
    const d = posted[0]!;
    expect(d.day).toBe('2026-01-21');
    expect(d.verdicts.map((v) => [v.date, v.verdict])).toEqual([
      ['2026-01-20', 'fail'],
      ['2026-01-21', 'ok'],
    ]);
    expect(d.healed).toEqual([
      { subject: '2026-01-20', title: 'Heal 2026-01-20', requester: 'U0ALICE', approver: 'U0BOB' },
    ]);
    // The next day is another digest.
    expect(await runDigest(a!, new Date('2026-01-22T14:01:00Z'))).toBe('posted');
  });

  it('releases the day when Slack refused the post: the next run posts it', async () => {
    const { posted, instances, failNextPost } = digesters();
    failNextPost();
    const at = new Date('2026-01-21T14:01:00Z');
    expect(await runDigest(instances[0]!, at)).toBe('failed');
    expect(await runDigest(instances[1]!, new Date(at.getTime() + 60_000))).toBe('posted');
    expect(posted).toHaveLength(1);
  });

  it('says what healed and who did it, what is open, and the last day’s actions', () => {
    const text = blockText(
      digestMessage(
        {
          day: '2026-01-21' as IsoDate,
          verdicts: [
            { date: '2026-01-20' as IsoDate, verdict: 'fail', counts: { fail: 3, warn: 1, unknown: 0 } },
            { date: '2026-01-21' as IsoDate, error: 'report timed out' },
          ],
          healed: [
            { subject: '2026-01-20', title: 'Heal 2026-01-20', requester: 'U0ALICE', approver: 'U0BOB' },
          ],
          open: [],
          actions: [approve],
        },
        (d) => d.toISOString().slice(11, 16),
      ),
    );
    expect(text).toContain('2026-01-20* · fail · 3 failing, 1 warnings');
    expect(text).toContain('2026-01-21* · no verdict: report timed out');
    expect(text).toContain('Heal 2026-01-20 · asked by <@U0ALICE>, approved by <@U0BOB>');
    expect(text).toContain('No open alerts');
    expect(text).toContain('13:00 heal 2026-01-20 · *approve* by <@U0BOB> → approved');
  });
});
