/**
 * Planning a heal of one date, as the seed's self-heal does it by hand: clear the stuck
 * run_history entries for the date, then trigger every phase from the earliest one whose data
 * is incomplete, in order, each waiting until its own data checks pass.
 */
import type { PipelineConfig, Trigger } from '../config.js';
import { links } from './links.js';
import type { JsonValue, Plan, PlanStep } from './plan.js';
import { makePlan } from './plan.js';
import type {
  DataChecksPort,
  IsoDate,
  RunHistoryPort,
  RunRecord,
  SchedulerJobState,
  SchedulerPort,
} from './ports.js';
import { accept, type Outcome, type Probe, refuse } from './result.js';
import { healGuard } from './self-heal-plan.js';
import { describeFailure, evaluateCheck, formatMinutes, runCheck } from './status.js';

export interface HealFacts {
  checks: Map<string, { actual: Probe<number>; expected?: Probe<number> }>;
  stuck: Probe<RunRecord[]>;
  /** The self-heal scheduler job, when configured and read: a run due during the heal is paused. */
  selfHealJob?: SchedulerJobState;
  /** Why the self-heal job could not be read, when it could not. */
  selfHealJobError?: string;
}

export interface HealPlanResult {
  /** Null when there is nothing to heal. */
  plan: Plan | null;
  /** What was found, good and bad: shown with the plan or as "nothing to heal". */
  evidence: string[];
  /** Checks that could not be evaluated (API down): the plan may be incomplete. */
  unknown: string[];
  /** For the person confirming (e.g. the self-heal job runs during the heal). */
  warnings?: string[];
}

/** Replace every `{date}` in string values of a template (deeply) with the typed date. */
export function fillTemplate(template: unknown, values: { date: IsoDate; dates?: IsoDate[] }): JsonValue {
  if (typeof template === 'string') {
    return template
      .replaceAll('{date}', values.date)
      .replaceAll('{dates}', (values.dates ?? [values.date]).join(','));
  }
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, values));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillTemplate(v, values)]));
  }
  return (template ?? null) as JsonValue;
}

/** The step that starts `phase` for `date`, as configured. */
export function triggerStep(
  phase: { id: string; label: string; service: string; trigger: Trigger },
  date: IsoDate,
  waitFor: string[],
): PlanStep {
  const t = phase.trigger;
  const trigger: JsonValue =
    t.type === 'http'
      ? { type: 'http', method: t.method, path: t.path, body: fillTemplate(t.body, { date }) }
      : { type: 'pubsub', topic: t.topic, message: fillTemplate(t.message, { date }) };
  const how = t.type === 'http' ? `${t.method} ${phase.service}${t.path}` : `publish to ${t.topic}`;
  return {
    id: `trigger-${phase.id}`,
    action: 'trigger_phase',
    label: `Trigger ${phase.label} (${phase.id}) for ${date}: ${how}`,
    destructive: false,
    undoable: false,
    params: { phase: phase.id, service: phase.service, date, trigger, waitForChecks: waitFor },
  };
}

export function planHeal(
  config: PipelineConfig,
  date: IsoDate,
  facts: HealFacts,
  now: Date,
): Outcome<HealPlanResult> {
  const w = { project: config.project, region: config.region };
  const evidence: string[] = [];
  const unknown: string[] = [];
  const failingPhases = new Set<string>();
  for (const check of config.dataChecks) {
    const line = evaluateCheck(check, facts.checks.get(check.id), w);
    if (line.health === 'unknown') unknown.push(`${check.label}: ${line.detail}`);
    else evidence.push(`${line.health === 'ok' ? '✓' : '✗'} ${check.label}: ${line.detail}`);
    if (line.health === 'fail' && check.phase) failingPhases.add(check.phase);
  }
  if (!facts.stuck.ok && unknown.length === config.dataChecks.length) {
    return refuse(
      'no_facts',
      `Cannot plan: neither BigQuery nor Firestore answered (${describeFailure(facts.stuck.error)}).`,
    );
  }
  if (!facts.stuck.ok) unknown.push(`run_history: ${describeFailure(facts.stuck.error)}`);
  const stuck = facts.stuck.ok ? facts.stuck.value.filter((r) => r.date === date) : [];
  for (const r of stuck) {
    const age = r.startedAt
      ? formatMinutes(Math.round((now.getTime() - Date.parse(r.startedAt)) / 60_000))
      : '?';
    evidence.push(`✗ stuck run: ${r.processor} (\`${r.id}\`), running for ${age}`);
  }

  const steps: PlanStep[] = [];
  if (stuck.length > 0) {
    steps.push({
      id: 'clear-run-history',
      action: 'clear_run_history',
      label: `Clear ${stuck.length} stuck ${config.runHistory.collection} ${stuck.length === 1 ? 'entry' : 'entries'} for ${date}`,
      destructive: true,
      undoable: true,
      params: {
        collection: config.runHistory.collection,
        ids: stuck.map((r) => r.id),
        processors: stuck.map((r) => r.processor),
        date,
        link: links.firestoreCollection(w, config.runHistory.collection),
      },
    });
  }
  const firstFailing = config.phases.findIndex((p) => failingPhases.has(p.id));
  if (firstFailing >= 0) {
    for (const phase of config.phases.slice(firstFailing)) {
      if (!phase.trigger) continue;
      const waitFor = config.dataChecks.filter((c) => c.phase === phase.id).map((c) => c.id);
      steps.push(triggerStep({ ...phase, trigger: phase.trigger }, date, waitFor));
    }
  }
  if (steps.length === 0) return accept({ plan: null, evidence, unknown });
  if (facts.selfHealJobError) unknown.push(`self-heal job: ${facts.selfHealJobError}`);
  // The self-heal job due during the heal would heal the same date at once: pause it around the heal.
  const guard = healGuard(config, facts.selfHealJob, now);
  if (guard) {
    steps.unshift(guard.first);
    steps.push(guard.last);
  }
  const missing = config.dataChecks.filter((c) => c.phase && failingPhases.has(c.phase)).length;
  const plan = makePlan({
    kind: 'heal',
    title: `Heal ${date}`,
    subject: date,
    summary: [
      missing > 0 ? `${missing} data ${missing === 1 ? 'check fails' : 'checks fail'}` : 'data complete',
      `${stuck.length} stuck ${stuck.length === 1 ? 'run' : 'runs'}`,
      `${steps.length} ${steps.length === 1 ? 'step' : 'steps'}`,
    ],
    evidence,
    steps,
  });
  return accept({ plan, evidence, unknown, ...(guard ? { warnings: [guard.warning] } : {}) });
}

/**
 * Read what a heal of `date` needs to know: every data check, the stuck runs and the self-heal
 * job (when configured and a scheduler port is given), concurrently.
 */
export async function gatherHealFacts(
  ports: { dataChecks: DataChecksPort; runHistory: RunHistoryPort; scheduler?: SchedulerPort },
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<HealFacts> {
  const identity = <T>(p: Promise<Probe<T>>) => p;
  const stuckBefore = new Date(now.getTime() - config.runHistory.stuckAfterMinutes * 60_000);
  const [checks, stuck, job] = await Promise.all([
    Promise.all(
      config.dataChecks.map(
        async (c) => [c.id, await runCheck(ports.dataChecks, c, date, identity)] as const,
      ),
    ),
    ports.runHistory.stuckRuns(stuckBefore),
    config.selfHeal && ports.scheduler
      ? ports.scheduler.getJob(config.selfHeal.schedulerJob)
      : Promise.resolve(undefined),
  ]);
  return {
    checks: new Map(checks),
    stuck,
    ...(job?.ok ? { selfHealJob: job.value } : {}),
    ...(job && !job.ok ? { selfHealJobError: describeFailure(job.error) } : {}),
  };
}
