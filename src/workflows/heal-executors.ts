/**
 * The step executors of a heal plan (src/domain/heal-plan.ts): clear stuck run_history
 * documents (snapshotted first, undoable), and trigger a phase then wait until its data checks pass.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { DataCheck, PipelineConfig } from '../config.js';
import type { JsonValue, PlanStep } from '../domain/plan.js';
import type {
  DataChecksPort,
  IsoDate,
  RunHistoryControl,
  RunHistorySnapshot,
  TriggerPort,
} from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { evaluateCheck, formatMinutes, type ReportLine } from '../domain/status.js';
import type { StepExecutor } from './engine.js';

export interface HealExecutorDeps {
  runHistory: RunHistoryControl;
  triggers: TriggerPort;
  dataChecks: DataChecksPort;
  config: PipelineConfig;
  /** Between two evaluations of a triggered phase's checks. Default 2 s. */
  pollMs?: number;
  /** How long a triggered phase may take until its checks pass. Default 15 min. */
  waitMs?: number;
}

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a YYYY-MM-DD date');

const clearParams = z.object({
  collection: z.string(),
  ids: z.array(z.string().min(1)).min(1),
  date,
});

const triggerParams = z.object({
  phase: z.string(),
  service: z.string(),
  date,
  trigger: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('http'),
      method: z.enum(['POST', 'PUT']),
      path: z.string().startsWith('/'),
      body: z.record(z.string(), z.unknown()),
    }),
    z.object({ type: z.literal('pubsub'), topic: z.string(), message: z.record(z.string(), z.unknown()) }),
  ]),
  waitForChecks: z.array(z.string()).default([]),
});

const snapshotSchema = z.array(
  z.object({
    id: z.string(),
    exists: z.boolean(),
    data: z.record(z.string(), z.unknown()).optional(),
    updateTime: z.string().optional(),
  }),
);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): Probe<T> {
  const r = schema.safeParse(value);
  if (r.success) return ok(r.data);
  const issue = r.error.issues[0];
  return fail(
    'invalid',
    `${what}: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
  );
}

/** "0.4 s", "45 s", "15 min". */
export function formatWait(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return formatMinutes(Math.round(ms / 60_000));
}

export function healExecutors(deps: HealExecutorDeps): Record<string, StepExecutor> {
  return {
    clear_run_history: clearRunHistory(deps),
    trigger_phase: triggerPhase(deps),
  };
}

type Snapshots = RunHistorySnapshot[];

function clearRunHistory(deps: HealExecutorDeps): StepExecutor {
  const { runHistory, config } = deps;

  const params = (step: PlanStep): Probe<z.infer<typeof clearParams>> => {
    const p = parse(clearParams, step.params, `step ${step.id}`);
    if (!p.ok) return p;
    // The adapter is bound to the configured collection: a plan made for another must not run on it.
    if (p.value.collection !== config.runHistory.collection) {
      return fail(
        'invalid',
        `step ${step.id} is for ${p.value.collection}, not ${config.runHistory.collection}`,
      );
    }
    return p;
  };

  /** The snapshot docs that existed, and what each is now. */
  async function compare(
    snaps: Snapshots,
  ): Promise<Probe<{ snap: RunHistorySnapshot; now?: RunHistorySnapshot }[]>> {
    const existed = snaps.filter((s) => s.exists);
    if (existed.length === 0) return ok([]);
    const now = await runHistory.snapshot(existed.map((s) => s.id));
    if (!now.ok) return now;
    const byId = new Map(now.value.filter((d) => d.exists).map((d) => [d.id, d]));
    return ok(existed.map((snap) => ({ snap, ...(byId.has(snap.id) ? { now: byId.get(snap.id)! } : {}) })));
  }

  return {
    async snapshot(step) {
      const p = params(step);
      if (!p.ok) return p;
      const snap = await runHistory.snapshot(p.value.ids);
      return snap.ok ? ok(snap.value as unknown as JsonValue) : snap;
    },

    async run(step, _request, ctx) {
      const p = params(step);
      if (!p.ok) return p;
      if (ctx.snapshot === undefined) return fail('invalid', 'no snapshot was taken, so nothing is deleted');
      const snaps = parse(snapshotSchema, ctx.snapshot, 'snapshot');
      if (!snaps.ok) return snaps;
      // The snapshot may come from an earlier attempt whose delete applied but whose answer was
      // lost: a document gone now is one that attempt deleted. deleteIfUnchanged is all or none
      // and fails on a vanished document, so only the ones still there are passed to it.
      const state = await compare(snaps.value as Snapshots);
      if (!state.ok) return fail(state.error.kind, `could not re-read run_history: ${state.error.message}`);
      const present = state.value.filter((d) => d.now);
      const gone = state.value.filter((d) => !d.now).map((d) => d.snap.id);
      if (ctx.signal.aborted) return fail('error', 'stopped before deleting anything');
      const deleted = await runHistory.deleteIfUnchanged(
        present.map((d) => ({
          id: d.snap.id,
          ...(d.snap.updateTime ? { updateTime: d.snap.updateTime } : {}),
        })),
      );
      if (!deleted.ok) return deleted;
      const cleared = present.length + gone.length;
      const detail = `cleared ${cleared}${gone.length > 0 ? ` (${gone.length} already gone)` : ''}`;
      return ok({ detail, deleted: present.map((d) => d.snap.id), alreadyGone: gone });
    },

    async undo(_step, data) {
      if (data.snapshot === undefined) return fail('invalid', 'no snapshot to restore from');
      const snaps = parse(snapshotSchema, data.snapshot, 'snapshot');
      if (!snaps.ok) return snaps;
      const state = await compare(snaps.value as Snapshots);
      if (!state.ok) return fail(state.error.kind, `could not re-read run_history: ${state.error.message}`);
      // Only documents that are gone are written back. One still at its snapshot's update time was
      // never deleted (a failed, all-or-none delete); one rewritten since holds a newer run that
      // must not be overwritten with the old stuck state.
      const missing = state.value.filter((d) => !d.now);
      const rewritten = state.value.filter((d) => d.now && d.now.updateTime !== d.snap.updateTime);
      const restored = await runHistory.restore(
        missing.map((d) => ({ id: d.snap.id, data: d.snap.data ?? {} })),
      );
      if (!restored.ok) return restored;
      const kept = rewritten.map((d) => d.snap.id);
      return ok({
        detail: `restored ${restored.value}${kept.length > 0 ? `; left ${kept.join(', ')} (written again since)` : ''}`,
        restored: missing.map((d) => d.snap.id),
        kept,
      });
    },
  };
}

function triggerPhase(deps: HealExecutorDeps): StepExecutor {
  const { triggers, dataChecks, config } = deps;
  const pollMs = deps.pollMs ?? 2000;
  const waitMs = deps.waitMs ?? 15 * 60_000;
  const where = { project: config.project, region: config.region };

  async function evaluate(check: DataCheck, day: IsoDate): Promise<ReportLine> {
    const e = check.expect;
    const expectedSql = 'equalsQuery' in e ? e.equalsQuery : 'minQuery' in e ? e.minQuery : undefined;
    const [actual, expected] = await Promise.all([
      dataChecks.scalar(check.sql, day, check.id),
      expectedSql ? dataChecks.scalar(expectedSql, day, `${check.id}_expected`) : undefined,
    ]);
    return evaluateCheck(check, expected ? { actual, expected } : { actual }, where);
  }

  const describe = (check: DataCheck, line: ReportLine): string =>
    line.health === 'unknown'
      ? `${check.id} unknown (${line.detail})`
      : `${check.id} ${line.detail.replace(/ expected$/, '')}`;

  const prepare = (step: PlanStep): Probe<{ p: z.infer<typeof triggerParams>; checks: DataCheck[] }> => {
    const parsed = parse(triggerParams, step.params, `step ${step.id}`);
    if (!parsed.ok) return parsed;
    const checks: DataCheck[] = [];
    for (const id of parsed.value.waitForChecks) {
      const check = config.dataChecks.find((c) => c.id === id);
      if (!check) return fail('invalid', `step ${step.id} waits for an unknown data check ${id}`);
      checks.push(check);
    }
    return ok({ p: parsed.value, checks });
  };

  // No undo: a started phase cannot be unstarted (the plan marks the step not undoable).
  return {
    /** The phase's data checks already pass: the trigger before the takeover did its work. */
    async alreadyDone(step) {
      const prepared = prepare(step);
      if (!prepared.ok) return prepared;
      const { p, checks } = prepared.value;
      // Nothing to tell by: trigger again, under the same idempotency key.
      if (checks.length === 0) return ok(undefined);
      const lines = await Promise.all(checks.map((c) => evaluate(c, p.date as IsoDate)));
      if (!lines.every((l) => l.health === 'ok')) return ok(undefined);
      return ok({ detail: checks.map((c, i) => describe(c, lines[i]!)).join(', ') });
    },

    async run(step, request, ctx) {
      const prepared = prepare(step);
      if (!prepared.ok) return prepared;
      const { p, checks } = prepared.value;
      if (ctx.signal.aborted) return fail('error', `stopped before triggering ${p.phase}`);

      const started = await triggers.trigger({
        service: p.service,
        date: p.date,
        trigger: p.trigger,
        idempotencyKey: `${request.id}:${step.id}`,
      });
      if (!started.ok)
        return fail(started.error.kind, `could not trigger ${p.phase}: ${started.error.message}`);
      if (checks.length === 0) return ok({ detail: `${started.value.detail}; no data checks to wait for` });

      const t0 = Date.now();
      const deadline = t0 + waitMs;
      for (;;) {
        const lines = await Promise.all(checks.map((c) => evaluate(c, p.date as IsoDate)));
        const summary = checks.map((c, i) => describe(c, lines[i]!));
        if (lines.every((l) => l.health === 'ok')) {
          return ok({
            detail: `${started.value.detail}; ${summary.join(', ')} after ${formatWait(Date.now() - t0)}`,
          });
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          const failing = checks.flatMap((c, i) =>
            lines[i]!.health === 'ok' ? [] : [describe(c, lines[i]!)],
          );
          return fail(
            'timeout',
            `${p.phase} did not complete in ${formatWait(waitMs)}: ${failing.join(', ')}`,
          );
        }
        try {
          await sleep(Math.min(pollMs, left), undefined, { signal: ctx.signal });
        } catch {
          return fail('error', `stopped while waiting for ${p.phase}: ${summary.join(', ')}`);
        }
      }
    },
  };
}
