/**
 * Alert groups in Firestore: one document per group holding its message's state and its alerts
 * by fingerprint, so one transaction reads and writes a whole group. An evaluation carries a tick
 * id (the scheduler's run, or the timer's slot): a second instance evaluating the same tick, or a
 * retried delivery of it, finds the tick done and does nothing; a post claimed by one instance is
 * not claimed again until that claim is stale.
 */
import { createHash } from 'node:crypto';
import { type DocumentData, type Firestore, Timestamp } from '@google-cloud/firestore';
import {
  type AlertGroup,
  type AlertGroupView,
  type AlertPolicy,
  type AlertRecord,
  acknowledge,
  defaultAlertPolicy,
  evaluateAlerts,
  type Finding,
  type GroupAction,
  groupAction,
  silence,
} from '../domain/alerts.js';

export interface EvaluationResult extends AlertGroupView {
  /** What this instance must do in Slack now; `none` when another evaluation of the tick did it. */
  action: GroupAction;
}

export interface AlertStore {
  /** Apply one evaluation of one group's findings, exactly once per tick. */
  evaluate(
    groupId: string,
    findings: Finding[],
    tick: { id: string; now: Date },
    /** Components the evaluation could not read (their alerts stay as they are). */
    undecided?: ReadonlySet<string>,
  ): Promise<EvaluationResult>;
  /** The group's message was posted (or updated) showing `shown`. */
  recordShown(groupId: string, shown: string, ts?: string): Promise<void>;
  recordReminder(groupId: string, at: Date): Promise<void>;
  recordResolved(groupId: string, at: Date): Promise<void>;
  /** The post failed: release the claim so the next tick tries again. */
  releaseClaim(groupId: string): Promise<void>;
  acknowledge(groupId: string, user: string): Promise<AlertGroupView | undefined>;
  silence(groupId: string, user: string, until: Date): Promise<AlertGroupView | undefined>;
  get(groupId: string): Promise<AlertGroupView | undefined>;
  /** Groups still open, newest first. */
  open(limit: number): Promise<AlertGroupView[]>;
  /**
   * Take the daily digest of `day` for this instance: false when it was posted already, or another
   * instance is posting it. A failed post releases it (`releaseDigest`) for the next run.
   */
  claimDigest(day: string, now: Date): Promise<boolean>;
  recordDigest(day: string, ts: string): Promise<void>;
  releaseDigest(day: string): Promise<void>;
}

export interface FirestoreAlertStoreOptions {
  collection?: string;
  instanceId: string;
  policy?: AlertPolicy;
  /** A post claimed longer ago than this was lost (its instance died): claim it again. */
  claimStaleMs?: number;
  /** Days a resolved group is kept, then deleted by Firestore's TTL on `deleteAt`. */
  retainDays?: number;
}

const DAY_MS = 86_400_000;
const ts = (d: Date) => Timestamp.fromDate(d);
const date = (v: unknown) => (v instanceof Timestamp ? v.toDate() : undefined);

/** Group ids are dates or names; a hash makes them valid document ids whatever they hold. */
const docId = (groupId: string) => createHash('sha256').update(groupId).digest('hex').slice(0, 40);

export function createFirestoreAlertStore(db: Firestore, opts: FirestoreAlertStoreOptions): AlertStore {
  const groups = db.collection(opts.collection ?? 'alert_groups');
  const policy = opts.policy ?? defaultAlertPolicy;
  const claimStaleMs = opts.claimStaleMs ?? 120_000;
  const retainDays = opts.retainDays ?? 30;

  /** Read a group in a transaction, let `change` decide, write what it returns. */
  async function update<T>(
    groupId: string,
    change: (current: StoredGroup | undefined) => { next?: StoredGroup; result: T },
  ): Promise<T> {
    const ref = groups.doc(docId(groupId));
    return db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const { next, result } = change(snap.exists ? fromDoc(snap.data()!) : undefined);
      if (next) tx.set(ref, toDoc(next, retainDays));
      return result;
    });
  }

  const onGroup = (groupId: string, edit: (g: StoredGroup) => StoredGroup | undefined) =>
    update(groupId, (current) => {
      const next = current && edit(current);
      return { ...(next ? { next } : {}), result: next ? view(next) : current && view(current) };
    });

  return {
    evaluate(groupId, findings, tick, undecided) {
      return update(groupId, (current) => {
        if (current?.lastTick === tick.id) {
          return { result: { ...view(current), action: { kind: 'none' } as GroupAction } };
        }
        const alerts = evaluateAlerts(current?.alerts ?? [], findings, tick.now, policy, undecided);
        let group: AlertGroup = current?.group ?? { id: groupId, state: 'resolved', openedAt: tick.now };
        let action = groupAction(group, alerts, tick.now, policy);
        let claim = current?.claim;
        if (action.kind === 'post') {
          const claimed = claim && tick.now.getTime() - claim.at.getTime() < claimStaleMs;
          if (claimed) action = { kind: 'none' };
          else {
            claim = { by: opts.instanceId, at: tick.now };
            const { ts: _t, lastReminderAt: _r, resolvedAt: _d, shown: _s, ...fresh } = group;
            group = { ...fresh, state: 'open', openedAt: tick.now };
          }
        }
        const next: StoredGroup = {
          group,
          alerts: alerts.filter((a) => a.state !== 'resolved' || group.state === 'open'),
          lastTick: tick.id,
          ...(claim ? { claim } : {}),
        };
        return { next, result: { ...view(next), action } };
      });
    },
    async recordShown(groupId, shown, posted) {
      await onGroup(groupId, (g) => {
        const { claim: _c, ...rest } = g;
        return { ...rest, group: { ...g.group, shown, ...(posted ? { ts: posted } : {}) } };
      });
    },
    async recordReminder(groupId, at) {
      await onGroup(groupId, (g) => ({ ...g, group: { ...g.group, lastReminderAt: at } }));
    },
    async recordResolved(groupId, at) {
      await onGroup(groupId, (g) => ({
        ...g,
        group: { ...g.group, state: 'resolved', resolvedAt: at },
        alerts: g.alerts.filter((a) => a.state !== 'resolved'),
      }));
    },
    async releaseClaim(groupId) {
      await onGroup(groupId, (g) => {
        const { claim: _c, ...rest } = g;
        return { ...rest, group: { ...g.group, state: g.group.ts ? g.group.state : 'resolved' } };
      });
    },
    acknowledge(groupId, user) {
      return onGroup(groupId, (g) => ({ ...g, alerts: acknowledge(g.alerts, user) }));
    },
    silence(groupId, user, until) {
      return onGroup(groupId, (g) => ({ ...g, alerts: silence(g.alerts, user, until) }));
    },
    async get(groupId) {
      const snap = await groups.doc(docId(groupId)).get();
      return snap.exists ? view(fromDoc(snap.data()!)) : undefined;
    },
    claimDigest(day, now) {
      const ref = groups.doc(docId(`digest:${day}`));
      return db.runTransaction(async (tx) => {
        const d = (await tx.get(ref)).data();
        const claimedAt = date(d?.claimedAt);
        if (d?.ts || (claimedAt && now.getTime() - claimedAt.getTime() < claimStaleMs)) return false;
        tx.set(ref, {
          digest: day,
          claimedBy: opts.instanceId,
          claimedAt: ts(now),
          deleteAt: ts(new Date(now.getTime() + retainDays * DAY_MS)),
        });
        return true;
      });
    },
    async recordDigest(day, posted) {
      await groups.doc(docId(`digest:${day}`)).set({ ts: posted }, { merge: true });
    },
    async releaseDigest(day) {
      await groups.doc(docId(`digest:${day}`)).delete();
    },
    async open(limit) {
      const snap = await groups.where('state', '==', 'open').orderBy('openedAt', 'desc').limit(limit).get();
      return snap.docs.map((d) => view(fromDoc(d.data())));
    },
  };
}

interface StoredGroup {
  group: AlertGroup;
  alerts: AlertRecord[];
  lastTick?: string;
  claim?: { by: string; at: Date };
}

const view = (g: StoredGroup): AlertGroupView => ({ group: g.group, alerts: g.alerts });

const alertDates = ['firstSeen', 'lastSeen', 'silencedUntil', 'resolvedAt'] as const;
const groupDates = ['openedAt', 'lastReminderAt', 'resolvedAt'] as const;

function datesToDoc<T extends object>(o: T, keys: readonly string[]): DocumentData {
  const out: DocumentData = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = keys.includes(k) && v instanceof Date ? ts(v) : v;
  }
  return out;
}

function datesFromDoc<T>(d: DocumentData, keys: readonly string[]): T {
  const out: DocumentData = { ...d };
  for (const k of keys) {
    const v = date(d[k]);
    if (v) out[k] = v;
    else delete out[k];
  }
  return out as T;
}

function toDoc(g: StoredGroup, retainDays: number): DocumentData {
  const alerts: DocumentData = {};
  for (const a of g.alerts) alerts[docId(a.fingerprint)] = datesToDoc(a, alertDates);
  return {
    ...datesToDoc(g.group, groupDates),
    alerts,
    ...(g.lastTick ? { lastTick: g.lastTick } : {}),
    ...(g.claim ? { claim: { by: g.claim.by, at: ts(g.claim.at) } } : {}),
    // Kept `retainDays` after it resolved or, while open, after its alerts were last seen.
    deleteAt: ts(new Date(lastActivity(g).getTime() + retainDays * DAY_MS)),
  };
}

function lastActivity(g: StoredGroup): Date {
  if (g.group.resolvedAt) return g.group.resolvedAt;
  return new Date(Math.max(g.group.openedAt.getTime(), ...g.alerts.map((a) => a.lastSeen.getTime())));
}

function fromDoc(d: DocumentData): StoredGroup {
  const { alerts, lastTick, claim, deleteAt: _d, ...group } = d;
  const claimAt = date(claim?.at);
  return {
    group: datesFromDoc<AlertGroup>(group, groupDates),
    alerts: Object.values((alerts ?? {}) as Record<string, DocumentData>).map((a) =>
      datesFromDoc<AlertRecord>(a, alertDates),
    ),
    ...(typeof lastTick === 'string' ? { lastTick } : {}),
    ...(claimAt && typeof claim?.by === 'string' ? { claim: { by: claim.by, at: claimAt } } : {}),
  };
}
