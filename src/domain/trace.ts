/**
 * Following one date along the chain of phases (`/pipeline trace <date>`): for each phase its
 * runs in run_history, its completion marker in the logs, the data checks it owns and its
 * orchestrator's hand-off, as timed events; the phase that broke, after what and since when.
 * Pure: gathering is trace-gather.ts, formatting src/views/trace.ts.
 */
import type { DataCheck, PipelineConfig } from '../config.js';
import { componentsOf } from './components.js';
import { exceptionLine } from './exception-line.js';
import type { LogEntry, LogPage, LogSource } from './logs-query.js';
import type { IsoDate, RunRecord } from './ports.js';
import type { Probe } from './result.js';
import { type CheckResult, describeFailure, evaluateCheck, formatMinutes, type Health } from './status.js';

type Phase = PipelineConfig['phases'][number];

/** What gathering read for a date. */
export interface TraceFacts {
  /** run_history documents of the date. */
  runs: Probe<RunRecord[]>;
  /** Entries holding the date and a configured marker; absent when no phase configures one. */
  markers?: Probe<LogPage>;
  checks: Map<string, CheckResult>;
  /** The first ERROR a broken phase's component logged after its last good step, by phase id. */
  errors: Map<string, Probe<LogEntry | undefined>>;
}

export type TraceStep = 'run' | 'complete' | 'handoff' | 'check' | 'error';

export interface TraceEvent {
  step: TraceStep;
  health: Health;
  /** RFC 3339, for events that happened at a known time. */
  at?: string;
  /** One line of plain text (the view escapes it). */
  text: string;
  /** A shorter form for the sentence that says where the chain broke. */
  brief?: string;
  /** Whose logs tell more about it. */
  source?: LogSource;
}

/** `not-reached`: downstream of a broken phase, and never started for the date. */
export type PhaseOutcome = 'done' | 'running' | 'broken' | 'not-reached' | 'unknown';

export interface PhaseTrace {
  id: string;
  label: string;
  service: string;
  outcome: PhaseOutcome;
  events: TraceEvent[];
}

/** Where the chain broke: the first broken phase. */
export interface TraceBreak {
  phase: { id: string; label: string };
  /** The last step that did happen before the break. */
  after?: { text: string; at: string };
  /** What did not happen, or went wrong. */
  what: string;
  /** The first error the component logged after that step, its exception line. */
  error?: { text: string; at: string };
  /** Since when: the error's time, else the failing step's, else the last good step's. */
  since?: string;
  /** The component whose logs to read. */
  logs: LogSource;
}

export interface TraceReport {
  date: IsoDate;
  generatedAt: Date;
  timeZone: string;
  project: string;
  region: string;
  phases: PhaseTrace[];
  broke?: TraceBreak;
  /** Every phase done. */
  done: boolean;
  /** What the trace could not check, and why (a marker not configured…). */
  unchecked: string[];
}

/** One ERROR lookup of the second round: a broken phase's component since its last good step. */
export interface ErrorLookup {
  phase: string;
  source: LogSource;
  since: Date;
}

type RunState = 'finished' | 'running' | 'stuck' | 'failed' | 'none' | 'unknown' | 'unchecked';

interface Ctx {
  config: PipelineConfig;
  date: IsoDate;
  now: Date;
  facts: TraceFacts;
  unchecked: string[];
}

const ok = (
  step: TraceStep,
  at: string | undefined,
  text: string,
  brief: string,
  source?: LogSource,
): TraceEvent => ({
  step,
  health: 'ok',
  ...(at ? { at } : {}),
  text,
  brief,
  ...(source ? { source } : {}),
});

/** The newest entry of `source` that holds `marker` and the date (case-insensitively, as Logging matches). */
export function findMarker(
  entries: LogEntry[],
  source: string,
  marker: string,
  date: string,
): LogEntry | undefined {
  const m = marker.toLowerCase();
  const hits = entries.filter(
    (e) => e.source === source && e.text.toLowerCase().includes(m) && e.text.includes(date),
  );
  return hits.sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
}

const minutesBetween = (a: string, b: string) =>
  Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 60_000));

const serviceOf = (phase: Phase): LogSource => ({ kind: 'service', name: phase.service });

/** A step that did not happen, or went wrong. */
const failed = (
  step: TraceStep,
  text: string,
  brief: string,
  source: LogSource,
  at?: string,
): TraceEvent => ({
  step,
  health: 'fail',
  ...(at ? { at } : {}),
  text,
  brief,
  source,
});

const unknown = (step: TraceStep, text: string): TraceEvent => ({ step, health: 'unknown', text });

/** The events of one processor's latest run of the date. */
function runEvents(ctx: Ctx, run: RunRecord, service: LogSource): { state: RunState; events: TraceEvent[] } {
  const rh = ctx.config.runHistory;
  const p = run.processor;
  const started = run.startedAt
    ? [ok('run', run.startedAt, `${p} started (run \`${run.id}\`)`, `${p} started`, service)]
    : [];
  if (run.status === rh.runningStatus) {
    const age = run.startedAt ? minutesBetween(run.startedAt, ctx.now.toISOString()) : undefined;
    const text = `${p} still running${age === undefined ? '' : ` after ${formatMinutes(age)}`}`;
    if (age !== undefined && age > rh.stuckAfterMinutes) {
      const stuck = failed('run', `${text}: stuck (over ${rh.stuckAfterMinutes} min)`, text, service);
      return { state: 'stuck', events: [...started, stuck] };
    }
    return { state: 'running', events: [...started, { step: 'run', health: 'warn', text, source: service }] };
  }
  if (run.status === rh.failedStatus) {
    const text = `${p} failed${run.error ? `: ${exceptionLine(run.error)}` : ''}`;
    return { state: 'failed', events: [...started, failed('run', text, text, service, run.finishedAt)] };
  }
  if (!run.finishedAt) {
    const ended = ok(
      'run',
      undefined,
      `${p} ended: ${run.status} (no finish time in run_history)`,
      `${p} ended`,
    );
    return { state: 'finished', events: [...started, ended] };
  }
  const took = run.startedAt ? ` after ${formatMinutes(minutesBetween(run.startedAt, run.finishedAt))}` : '';
  const ended = ok('run', run.finishedAt, `${p} finished: ${run.status}${took}`, `${p} finished`, service);
  return { state: 'finished', events: [...started, ended] };
}

const statePriority: RunState[] = ['failed', 'stuck', 'unknown', 'running', 'none', 'finished'];

/** Each configured processor's latest run of the date. */
function runStage(ctx: Ctx, phase: Phase, where: string): { state: RunState; events: TraceEvent[] } {
  const processors = phase.trace?.processors ?? [];
  if (processors.length === 0) {
    ctx.unchecked.push(
      `${phase.id}: its runs in run_history (no processor names at ${where}.trace.processors)`,
    );
    return { state: 'unchecked', events: [] };
  }
  const runs = ctx.facts.runs;
  if (!runs.ok)
    return { state: 'unknown', events: [unknown('run', `run_history: ${describeFailure(runs.error)}`)] };
  const per = processors.map((p) => {
    const latest = runs.value
      .filter((r) => r.processor === p)
      .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0];
    if (latest) return runEvents(ctx, latest, serviceOf(phase));
    return {
      state: 'none' as const,
      events: [unknown('run', `${p}: no run in run_history for ${ctx.date}`)],
    };
  });
  const state = statePriority.find((s) => per.some((p) => p.state === s)) ?? 'none';
  return { state, events: per.flatMap((p) => p.events) };
}

/** The completion marker the phase's service logs for the date. */
function completeStage(ctx: Ctx, phase: Phase, where: string, run: RunState): TraceEvent[] {
  const marker = phase.trace?.complete;
  if (!marker) {
    ctx.unchecked.push(`${phase.id}: the completion log line (none at ${where}.trace.complete)`);
    return [];
  }
  const markers = ctx.facts.markers;
  if (!markers?.ok)
    return [
      unknown(
        'complete',
        `"${marker}" in the logs: ${markers ? describeFailure(markers.error) : 'not read'}`,
      ),
    ];
  const hit = findMarker(markers.value.entries, phase.service, marker, ctx.date);
  const source = serviceOf(phase);
  if (hit)
    return [
      ok('complete', hit.timestamp, `${phase.service} logged "${marker}"`, `${phase.id} finished`, source),
    ];
  const text = `${phase.service} did not log "${marker}" for ${ctx.date}`;
  // A run that finished (or is still going) is the better evidence: the missing line is only odd.
  if (run === 'finished' || run === 'running') return [{ step: 'complete', health: 'warn', text, source }];
  return [failed('complete', text, `${phase.id} did not finish`, source)];
}

type Handoff = NonNullable<NonNullable<Phase['trace']>['handoff']>;

/** The orchestrator's lines for the date: the message it took (when configured), then its trigger. */
function handoffEvents(ctx: Ctx, h: Handoff, entries: LogEntry[]): TraceEvent[] {
  const fn: LogSource = { kind: 'function', name: h.function };
  const trigger = componentsOf(ctx.config, 'function').find((f) => f.name === h.function)?.trigger;
  const topic = trigger?.type === 'pubsub' ? ` from ${trigger.topic}` : '';
  const find = (marker: string) => findMarker(entries, h.function, marker, ctx.date);
  const got = h.received ? find(h.received) : undefined;
  const none = `${h.function} took no message${topic}`;
  const received = !h.received
    ? []
    : got
      ? [
          ok(
            'handoff',
            got.timestamp,
            `${h.function} took the message${topic}`,
            `${h.function} took the message`,
            fn,
          ),
        ]
      : [failed('handoff', `${none} for ${ctx.date}`, none, fn)];
  const sent = find(h.trigger);
  const handed = sent
    ? ok('handoff', sent.timestamp, `${h.function} logged "${h.trigger}"`, `${h.function} handed off`, fn)
    : failed(
        'handoff',
        `${h.function} did not hand off: no "${h.trigger}" for ${ctx.date}`,
        `${h.function} did not hand off`,
        fn,
      );
  return [...received, handed];
}

/** The orchestrator's hand-off to the next phase, once the phase has finished. */
function handoffStage(ctx: Ctx, phase: Phase, where: string, finished: boolean): TraceEvent[] {
  const h = phase.trace?.handoff;
  if (!h) {
    if (phase !== ctx.config.phases.at(-1))
      ctx.unchecked.push(`${phase.id}: the hand-off to the next phase (none at ${where}.trace.handoff)`);
    return [];
  }
  if (!finished) return [unknown('handoff', `${h.function}: not reached (${phase.id} has not finished)`)];
  const markers = ctx.facts.markers;
  if (!markers?.ok)
    return [unknown('handoff', `${h.function}: ${markers ? describeFailure(markers.error) : 'not read'}`)];
  return handoffEvents(ctx, h, markers.value.entries);
}

function checkEvents(ctx: Ctx, phase: Phase): TraceEvent[] {
  const w = { project: ctx.config.project, region: ctx.config.region };
  const owned = ctx.config.dataChecks.filter((c: DataCheck) => c.phase === phase.id);
  if (owned.length === 0)
    ctx.unchecked.push(`${phase.id}: its data (no data check has \`phase: ${phase.id}\`)`);
  return owned.map((c) => {
    const line = evaluateCheck(c, ctx.facts.checks.get(c.id), w);
    const text = `${c.label}: ${line.detail}`;
    return { step: 'check', health: line.health, text, brief: text, source: serviceOf(phase) };
  });
}

/** The first error a broken phase's component logged, as one more event. */
function errorEvent(ctx: Ctx, phase: Phase, source: LogSource | undefined): TraceEvent[] {
  const probe = ctx.facts.errors.get(phase.id);
  if (!probe || !source) return [];
  if (!probe.ok) return [unknown('error', `${source.name}'s errors: ${describeFailure(probe.error)}`)];
  if (!probe.value) return [];
  const line = exceptionLine(probe.value.text);
  return [failed('error', `${source.name} logged: ${line}`, line, source, probe.value.timestamp)];
}

/** A step downstream of a break that never started: what it did not log is no news. */
const notReachedEvent = (e: TraceEvent): TraceEvent =>
  e.health === 'fail' && e.step === 'complete'
    ? { step: e.step, health: 'unknown', text: `${e.text} (not reached)` }
    : e;

function evaluatePhase(ctx: Ctx, phase: Phase, i: number, upstreamBroken: boolean): PhaseTrace {
  const where = `phases.${i}`;
  const run = runStage(ctx, phase, where);
  const complete = completeStage(ctx, phase, where, run.state);
  // Finished: its completion line is logged, or its run finished and the logs do not say otherwise.
  const finished =
    complete.some((e) => e.health === 'ok') ||
    (run.state === 'finished' && !complete.some((e) => e.health === 'fail'));
  // Orchestrators hand on what finished, whatever its data: the checks come after.
  const handoff = handoffStage(ctx, phase, where, finished);
  const events = [...run.events, ...complete, ...handoff, ...checkEvents(ctx, phase)];
  const trace = { id: phase.id, label: phase.label, service: phase.service };
  const started = finished || !['none', 'unchecked', 'unknown'].includes(run.state);
  if (upstreamBroken && !started)
    return { ...trace, outcome: 'not-reached', events: events.map(notReachedEvent) };
  const failing = events.find((e) => e.health === 'fail');
  const outcome: PhaseOutcome = failing
    ? 'broken'
    : finished
      ? 'done'
      : run.state === 'running'
        ? 'running'
        : 'unknown';
  const all = failing ? [...events, ...errorEvent(ctx, phase, failing.source)] : events;
  return { ...trace, outcome, events: all };
}

/**
 * The last good timed step before `phase`'s first failure (in it, or in the phases before). For a
 * hand-off or a data check that is the phase's run or completion: what the chain hangs on.
 */
function lastGood(phases: PhaseTrace[], index: number): { text: string; at: string } | undefined {
  const events = phases[index]!.events;
  const failing = events.find((e) => e.health === 'fail');
  const before = events.slice(0, failing ? events.indexOf(failing) : events.length);
  const afterPhase = failing?.step === 'check' || failing?.step === 'handoff';
  const mine = afterPhase ? before.filter((e) => e.step === 'run' || e.step === 'complete') : before;
  const candidates = [...phases.slice(0, index).flatMap((p) => p.events), ...mine];
  const good = candidates.filter((e) => e.health === 'ok' && e.at).at(-1);
  return good ? { text: good.brief ?? good.text, at: good.at! } : undefined;
}

function breakOf(phases: PhaseTrace[]): TraceBreak | undefined {
  const index = phases.findIndex((p) => p.outcome === 'broken');
  const phase = phases[index];
  const failing = phase?.events.find((e) => e.health === 'fail');
  if (!phase || !failing) return undefined;
  const error = phase.events.find((e) => e.step === 'error' && e.health === 'fail' && e.at);
  const after = lastGood(phases, index);
  const since = error?.at ?? failing.at ?? after?.at;
  return {
    phase: { id: phase.id, label: phase.label },
    ...(after ? { after } : {}),
    what: failing.brief ?? failing.text,
    ...(error?.at ? { error: { text: error.brief ?? error.text, at: error.at } } : {}),
    ...(since ? { since } : {}),
    logs: failing.source ?? { kind: 'service', name: phase.service },
  };
}

export function evaluateTrace(
  config: PipelineConfig,
  facts: TraceFacts,
  date: IsoDate,
  now: Date,
): TraceReport {
  const ctx: Ctx = { config, date, now, facts, unchecked: [] };
  const phases: PhaseTrace[] = [];
  for (const [i, p] of config.phases.entries()) {
    phases.push(
      evaluatePhase(
        ctx,
        p,
        i,
        phases.some((q) => q.outcome === 'broken'),
      ),
    );
  }
  const broke = breakOf(phases);
  return {
    date,
    generatedAt: now,
    timeZone: config.timeZone,
    project: config.project,
    region: config.region,
    phases,
    ...(broke ? { broke } : {}),
    done: phases.every((p) => p.outcome === 'done'),
    unchecked: ctx.unchecked,
  };
}

/**
 * The second round of reads: for each broken phase, the first ERROR its failing component logged
 * after the last good step before the failure (else after `windowStart`).
 */
export function errorLookups(
  config: PipelineConfig,
  facts: TraceFacts,
  date: IsoDate,
  now: Date,
  windowStart: Date,
): ErrorLookup[] {
  const report = evaluateTrace(config, { ...facts, errors: new Map() }, date, now);
  return report.phases.flatMap((p, i) => {
    const source = p.events.find((e) => e.health === 'fail')?.source;
    if (p.outcome !== 'broken' || !source) return [];
    const after = lastGood(report.phases, i);
    return [{ phase: p.id, source, since: after ? new Date(after.at) : windowStart }];
  });
}
