/**
 * `/backfill <target> <dates> [--force] [--dry-run]`: parsing, and the plan. A target of type
 * job becomes one `run_job` step (a Cloud Run Job execution with the dates in its args); a
 * target of type phase becomes one `trigger_phase` step per date, as a heal triggers it. Dates
 * whose data check already passes are skipped unless `--force`.
 */
import type { BackfillTarget, PipelineConfig } from '../config.js';
import { splitFlags, tokenize, usage } from './command-args.js';
import { addDays, DATE_USAGE, daysBetween, parseDate } from './dates.js';
import { fillTemplate, triggerStep } from './heal-plan.js';
import { links } from './links.js';
import { makePlan, type Plan, type PlanStep } from './plan.js';
import type { ExecutionState, IsoDate } from './ports.js';
import { accept, type Outcome, type Probe, refuse } from './result.js';
import { evaluateCheck, formatMinutes } from './status.js';

export interface BackfillCommand {
  target: BackfillTarget;
  /** Sorted, no duplicates, at least one, at most `backfill.maxDays`. */
  dates: IsoDate[];
  force: boolean;
  dryRun: boolean;
}

const RANGE = /^(.*?)\.\.(.*)$/;

/** Refusal for a list longer than the limit; `what` says how long it is. */
const tooMany = (what: string, max: number) =>
  refuse(
    'too_many_dates',
    `${what}: a backfill covers at most ${max} days (\`backfill.maxDays\`). Split it into smaller backfills.`,
  );

/** parseDate refusing the future (nothing to backfill there yet). */
function pastDate(text: string, timeZone: string, now: Date): Outcome<IsoDate> {
  const d = parseDate(text, timeZone, now, 0);
  if (d.ok || d.reason.code !== 'future_date') return d;
  return refuse(
    'future_date',
    `\`${text.trim().slice(0, 40)}\` is in the future: there is nothing to backfill yet.`,
  );
}

/** One item of the date list: a date or an inclusive range `A..B`. */
function parseItem(item: string, timeZone: string, now: Date, maxDays: number): Outcome<IsoDate[]> {
  const m = RANGE.exec(item);
  if (!m) {
    const d = pastDate(item, timeZone, now);
    return d.ok ? accept([d.value]) : d;
  }
  const [, fromText = '', toText = ''] = m;
  if (!fromText || !toText) {
    return refuse(
      'bad_range',
      `\`${item.slice(0, 40)}\` is not a range: give both ends, e.g. \`2026-01-18..2026-01-20\`.`,
    );
  }
  const from = pastDate(fromText, timeZone, now);
  if (!from.ok) return from;
  const to = pastDate(toText, timeZone, now);
  if (!to.ok) return to;
  const span = daysBetween(from.value, to.value);
  if (span < 0) {
    return refuse(
      'reversed_range',
      `\`${item.slice(0, 40)}\` runs backwards: write the earlier date first (\`${to.value}..${from.value}\`).`,
    );
  }
  // Checked before expanding, so a range of years never becomes a list.
  if (span + 1 > maxDays) return tooMany(`\`${item.slice(0, 40)}\` is ${span + 1} days`, maxDays);
  return accept(Array.from({ length: span + 1 }, (_, i) => addDays(from.value, i)));
}

/**
 * Parse `/backfill` text. Dates: one date, a comma list, a range `A..B` (inclusive), or a
 * mix (`2026-01-10,2026-01-14..2026-01-16`); words separated by spaces count as list items.
 * Dates are in the pipeline's time zone and may not be in the future. Never throws.
 */
export function parseBackfillArgs(
  text: string,
  config: PipelineConfig,
  timeZone: string,
  now: Date,
): Outcome<BackfillCommand> {
  const t = tokenize(text);
  if (!t.ok) return t;
  const f = splitFlags(t.value, ['force', 'dry-run'] as const);
  if (!f.ok) return f;
  const targets = config.backfill.targets;
  const known = targets.map((x) => `\`${x.id}\``).join(', ');
  const [targetText, ...dateWords] = f.value.args;
  if (targets.length === 0) {
    return refuse(
      'no_targets',
      'No backfill targets are configured (`backfill.targets` in the pipeline YAML).',
    );
  }
  if (targetText === undefined)
    return refuse('missing_target', `Which target? Known: ${known}.\n${usage.backfill}`);
  const target = targets.find((x) => x.id === targetText.toLowerCase());
  if (!target) {
    return refuse(
      'unknown_target',
      `\`${targetText.slice(0, 60)}\` is not a backfill target. Known: ${known}.`,
    );
  }
  const items = dateWords.join(',').split(',').filter(Boolean);
  if (items.length === 0) {
    return refuse(
      'missing_dates',
      `Which dates? Use ${DATE_USAGE}, a comma list or a range.\n${usage.backfill}`,
    );
  }
  const max = config.backfill.maxDays;
  const dates = new Set<IsoDate>();
  for (const item of items) {
    const d = parseItem(item, timeZone, now, max);
    if (!d.ok) return d;
    for (const x of d.value) dates.add(x);
    if (dates.size > max) return tooMany(`That is ${dates.size} or more dates`, max);
  }
  return accept({
    target,
    dates: [...dates].sort(),
    force: f.value.flags.has('force'),
    dryRun: f.value.flags.has('dry-run'),
  });
}

export interface BackfillPlanResult {
  /** Null when every date is already complete. */
  plan: Plan | null;
  toRun: IsoDate[];
  skipped: { date: IsoDate; why: string }[];
  /** From the job's recent succeeded executions; absent when there are none to go by. */
  expectedMs?: number;
}

/** Executions averaged for the duration estimate. */
const HISTORY = 5;

/**
 * Per-date average of the recent succeeded executions (their run time over their task count,
 * one task per date), times `dates`. Undefined without history.
 */
export function expectedDurationMs(history: ExecutionState[], dates: number): number | undefined {
  const usable = history
    .filter(
      (x) =>
        x.outcome === 'succeeded' && x.taskCount > 0 && x.completionTime && (x.startTime ?? x.createTime),
    )
    .slice(0, HISTORY);
  let ms = 0;
  let tasks = 0;
  for (const x of usable) {
    const took = Date.parse(x.completionTime!) - Date.parse((x.startTime ?? x.createTime)!);
    if (!Number.isFinite(took) || took < 0) continue;
    ms += took;
    tasks += x.taskCount;
  }
  return tasks > 0 ? Math.round((ms / tasks) * dates) : undefined;
}

/** "about 3 min", "about 45 s", "about 2 h 5 min". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `about ${Math.max(1, Math.round(ms / 1000))} s`;
  return `about ${formatMinutes(Math.round(ms / 60_000))}`;
}

const listDates = (dates: readonly string[], max = 6) =>
  dates.length <= max ? dates.join(', ') : `${dates.slice(0, max).join(', ')} and ${dates.length - max} more`;

export function planBackfill(
  config: PipelineConfig,
  target: BackfillTarget,
  dates: IsoDate[],
  checks: Map<IsoDate, { actual: Probe<number>; expected?: Probe<number> }>,
  history: ExecutionState[],
  force: boolean,
): Outcome<BackfillPlanResult> {
  const check = config.dataChecks.find((c) => c.id === target.check);
  if (!check) return refuse('bad_config', `Target ${target.id} names an unknown data check ${target.check}.`);
  if (dates.length === 0) return refuse('missing_dates', 'No dates to backfill.');
  const w = { project: config.project, region: config.region };
  const evidence: string[] = [];
  const toRun: IsoDate[] = [];
  const skipped: { date: IsoDate; why: string }[] = [];
  for (const date of dates) {
    const line = evaluateCheck(check, checks.get(date), w);
    if (line.health === 'ok' && !force) {
      skipped.push({ date, why: `complete: ${line.detail}` });
      evidence.push(`✓ ${date} ${check.label}: ${line.detail} (skipped)`);
      continue;
    }
    toRun.push(date);
    const why =
      line.health === 'ok'
        ? `${line.detail} (complete, run anyway: --force)`
        : line.health === 'unknown'
          ? `could not check (${line.detail}): will run`
          : line.detail;
    evidence.push(
      `${line.health === 'ok' ? '✓' : line.health === 'unknown' ? '?' : '✗'} ${date} ${check.label}: ${why}`,
    );
  }
  if (toRun.length === 0) return accept({ plan: null, toRun, skipped });

  const run = target.run;
  const expectedMs = run.type === 'job' ? expectedDurationMs(history, toRun.length) : undefined;
  const first = toRun[0]!;
  let steps: PlanStep[];
  if (run.type === 'job') {
    const args = run.args.map((a) => fillTemplate(a, { date: first, dates: toRun }) as string);
    steps = [
      {
        id: 'run-job',
        action: 'run_job',
        label: `Run Cloud Run job ${run.job} for ${toRun.length} ${toRun.length === 1 ? 'date' : 'dates'} (${listDates(toRun)})`,
        destructive: false,
        undoable: false,
        params: {
          job: run.job,
          args,
          dates: toRun,
          target: target.id,
          check: check.id,
          link: links.job(w, run.job),
        },
      },
    ];
  } else {
    const phase = config.phases.find((p) => p.id === run.phase);
    if (!phase?.trigger) {
      return refuse(
        'bad_config',
        `Target ${target.id} runs phase ${run.phase}, which has no trigger configured.`,
      );
    }
    const trigger = phase.trigger;
    steps = toRun.map((date) => ({
      ...triggerStep({ ...phase, trigger }, date, [check.id]),
      id: `trigger-${phase.id}-${date}`,
    }));
  }
  const plan = makePlan({
    kind: 'backfill',
    title: `Backfill ${target.label} (${target.id})`,
    subject: target.id,
    summary: [
      `${toRun.length} ${toRun.length === 1 ? 'date' : 'dates'} to run: ${listDates(toRun)}`,
      skipped.length > 0
        ? `${skipped.length} skipped (already complete): ${listDates(skipped.map((s) => s.date))}`
        : 'none skipped',
      ...(expectedMs === undefined ? [] : [`expected duration ${formatDuration(expectedMs)}`]),
    ],
    evidence,
    steps,
  });
  return accept({ plan, toRun, skipped, ...(expectedMs === undefined ? {} : { expectedMs }) });
}
