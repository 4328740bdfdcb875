/**
 * The log lines a phase's run writes for a date, from the configured markers (`phases[].trace`):
 * the service's completion line, then its orchestrator taking the topic message and starting the
 * next phase, or, when the orchestrator is not ACTIVE, the error it dies with instead.
 */
import type { PipelineConfig } from '../../../src/config.js';
import type { SandboxState, SimLogEntry } from './state.js';

const SECOND = 1000;

/** Entries of one phase finishing `date` at `at`, in the order they are logged. */
export function phaseMarkers(
  state: SandboxState,
  config: PipelineConfig,
  phaseId: string,
  date: string,
  at: Date,
): SimLogEntry[] {
  const phase = config.phases.find((p) => p.id === phaseId);
  const t = phase?.trace;
  if (!phase || !t) return [];
  const service = state.services.get(phase.service);
  const entries: SimLogEntry[] = [];
  if (t.complete && service) {
    entries.push({
      timestamp: at,
      severity: 'INFO',
      resourceType: 'cloud_run_revision',
      source: service.name,
      revision: service.latestReadyRevision,
      text: `${t.complete} for ${date}`,
    });
  }
  const h = t.handoff;
  const fn = h && state.functions.get(h.function);
  if (!h || !fn) return entries;
  const logged = (offset: number, severity: SimLogEntry['severity'], text: string): SimLogEntry => ({
    timestamp: new Date(at.getTime() + offset * SECOND),
    severity,
    resourceType: 'cloud_function',
    source: fn.name,
    revision: fn.revision,
    text,
  });
  if (h.received)
    entries.push(
      logged(1, 'INFO', `${h.received} from ${fn.topic || 'its trigger'}: {"game_date": "${date}"}`),
    );
  if (fn.state === 'ACTIVE') entries.push(logged(2, 'INFO', `${h.trigger} for ${date}`));
  else entries.push(logged(2, 'ERROR', fn.stateMessages[0]?.message ?? `${fn.name} is ${fn.state}`));
  return entries;
}

/** The markers of `phaseIds` for `date`, recognised by source and date (to take them out of a scenario). */
export function isMarkerOf(
  config: PipelineConfig,
  phaseIds: string[],
  date: string,
  e: SimLogEntry,
): boolean {
  const sources = config.phases
    .filter((p) => phaseIds.includes(p.id))
    .flatMap((p) => [p.service, ...(p.trace?.handoff ? [p.trace.handoff.function] : [])]);
  return e.severity === 'INFO' && sources.includes(e.source) && e.text.includes(date);
}
