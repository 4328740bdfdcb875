/**
 * Scenarios that change over time: a timeline of stages (a fault appears, is healed, goes away),
 * each applied to the state when it begins. A stage begins when it is stepped to
 * (`POST /_sandbox/timeline`), when its delay after the previous stage has passed, or when the
 * fault of the stage before it is mended (a heal through the bot). Time is the sandbox's `now()`
 * only: the server moves the timeline on before it answers any request, so a fake clock drives it
 * as well as the wall clock, and nothing runs between requests that nobody could observe.
 */
import type { SandboxState, SimTimeline } from './state.js';

/**
 * When stages begin by themselves: `manual` only when stepped (the default: tests step them),
 * `auto` after each stage's own delay, or the delays in ms before each next stage (entry 0: the
 * second stage); a missing or null entry leaves that stage to a step.
 */
export type TimelineTiming = 'manual' | 'auto' | readonly (number | null)[];

/** Sets when each stage begins by itself, from the scenario's defaults and `timing`. */
export function configureTimeline(timeline: SimTimeline, timing: TimelineTiming): void {
  timeline.delaysMs = timeline.stages.map((stage, i) => {
    if (i === 0 || timing === 'manual') return undefined;
    if (timing === 'auto') return stage.afterMs;
    return timing[i - 1] ?? undefined;
  });
}

function enter(state: SandboxState, timeline: SimTimeline, at: Date, how: SimTimeline['how']): void {
  const stage = timeline.stages[timeline.current + 1];
  if (!stage) return;
  stage.apply(state, at);
  timeline.current++;
  timeline.since = at;
  timeline.how = how;
}

/**
 * Begins every stage that is due at `now`, in order: a stage whose fault is mended moves on at
 * once; one whose delay has passed begins at the moment it was due (so the next delay counts
 * from there). Returns whether anything changed.
 */
export function advanceTimeline(state: SandboxState, now: Date): boolean {
  const timeline = state.timeline;
  if (!timeline) return false;
  let changed = false;
  while (timeline.current + 1 < timeline.stages.length) {
    const current = timeline.stages[timeline.current]!;
    const delay = timeline.delaysMs[timeline.current + 1];
    const due = delay === undefined ? undefined : new Date(timeline.since.getTime() + delay);
    if (current.mended?.(state)) enter(state, timeline, now, 'mended');
    else if (due && due <= now) enter(state, timeline, due, 'timer');
    else break;
    changed = true;
  }
  return changed;
}

export type StepResult =
  | { ok: true; timeline: SimTimeline }
  | { ok: false; code: 400; status: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION'; message: string };

const invalid = (message: string): StepResult => ({
  ok: false,
  code: 400,
  status: 'INVALID_ARGUMENT',
  message,
});
const precondition = (message: string): StepResult => ({
  ok: false,
  code: 400,
  status: 'FAILED_PRECONDITION',
  message,
});

/**
 * The control API's step: `{"to": "next"}` begins the next stage, `{"to": "<stage>"}` every stage up
 * to that one (already there: nothing to do). Stages only move forward: switching the scenario
 * again starts it over. Anything else is refused, naming what is accepted.
 */
export function stepTimeline(state: SandboxState, body: unknown, now: Date): StepResult {
  const usage = 'expected {"to": "next"} or {"to": "<stage>"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid(`the body is not a JSON object: ${usage}`);
  }
  const extra = Object.keys(body).filter((k) => k !== 'to');
  if (extra.length > 0) return invalid(`unknown field ${JSON.stringify(extra[0])}: ${usage}`);
  const to = (body as { to?: unknown }).to;
  if (typeof to !== 'string' || to === '') return invalid(`missing "to": ${usage}`);
  const timeline = state.timeline;
  if (!timeline) return precondition(`scenario ${state.scenario} has no timeline`);
  const names = timeline.stages.map((s) => s.name);
  const last = timeline.stages.length - 1;
  let target: number;
  if (to === 'next') {
    if (timeline.current === last) {
      return precondition(
        `the timeline is at its last stage (${names[last]}): switch the scenario to start over`,
      );
    }
    target = timeline.current + 1;
  } else {
    target = names.indexOf(to);
    if (target < 0)
      return invalid(`unknown stage ${JSON.stringify(to.slice(0, 40))}: one of ${names.join(', ')}`);
    if (target < timeline.current) {
      return precondition(
        `stage ${to} is behind the timeline (at ${names[timeline.current]}): switch the scenario to start over`,
      );
    }
  }
  while (timeline.current < target) enter(state, timeline, now, 'step');
  return { ok: true, timeline };
}

/** The timeline as the control API and the console's sandbox panel show it. */
export interface TimelineView {
  stage: string;
  index: number;
  description: string;
  since: string;
  how: SimTimeline['how'];
  stages: { name: string; description: string }[];
  /** The next stage and when it begins by itself (`inMs` on the sandbox's clock); null at the last. */
  next: { name: string; at: string | null; inMs: number | null } | null;
}

export function describeTimeline(timeline: SimTimeline, now: Date): TimelineView {
  const stage = timeline.stages[timeline.current]!;
  const following = timeline.stages[timeline.current + 1];
  const delay = timeline.delaysMs[timeline.current + 1];
  const at = delay === undefined ? undefined : new Date(timeline.since.getTime() + delay);
  return {
    stage: stage.name,
    index: timeline.current,
    description: stage.description,
    since: timeline.since.toISOString(),
    how: timeline.how,
    stages: timeline.stages.map((s) => ({ name: s.name, description: s.description })),
    next: following
      ? {
          name: following.name,
          at: at ? at.toISOString() : null,
          inMs: at ? Math.max(0, at.getTime() - now.getTime()) : null,
        }
      : null,
  };
}

/**
 * `SANDBOX_TIMELINE`: `auto` (each stage's own delay), `manual` (only when stepped), or the seconds
 * before each next stage, comma-separated (`10,300`; `-` leaves one to a step). Unset: `fallback`.
 */
export function parseTimelineSetting(
  text: string | undefined,
  fallback: TimelineTiming = 'auto',
): { ok: true; value: TimelineTiming } | { ok: false; message: string } {
  const value = text?.trim() ?? '';
  if (value === '') return { ok: true, value: fallback };
  if (value === 'auto' || value === 'manual') return { ok: true, value };
  const parts = value.split(',').map((p) => p.trim());
  const delays = parts.map((p) =>
    p === '-' ? null : /^\d+(\.\d+)?$/.test(p) ? Number(p) * 1000 : Number.NaN,
  );
  if (parts.length > 20 || delays.some((d) => d !== null && !(Number.isFinite(d) && d <= 86_400_000))) {
    return {
      ok: false,
      message: `SANDBOX_TIMELINE: auto, manual, or the seconds before each next stage (e.g. 10,300; - for only when stepped), got ${JSON.stringify(value.slice(0, 60))}`,
    };
  }
  return { ok: true, value: delays };
}
