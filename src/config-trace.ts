/**
 * What `/pipeline trace <date>` reads for each phase (`phases[].trace` in the YAML): the
 * run_history processor names of its runs, the log line its service writes when a date is done,
 * and the orchestrator that hands the date on to the next phase. Every part is optional: the trace
 * uses what is configured and says what it could not check.
 */
import { z } from 'zod';
import { resourceName } from './config-components.js';

/**
 * Text a component logs at a step of the chain. The entry must also hold the date as
 * `YYYY-MM-DD`: the trace matches both, each as a quoted string of the Logging query language.
 */
const markerText = z
  .string()
  .min(3, 'at least 3 characters of the log line')
  .max(200)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a marker is one line of text
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'one line of text, without control characters');

export const phaseTraceSchema = z.strictObject({
  /** run_history processor names (the `processor` field) of this phase's runs. */
  processors: z.array(z.string().min(1).max(200)).default([]),
  /** Logged by the phase's service when it has finished a date, e.g. `Processing complete`. */
  complete: markerText.optional(),
  /** The function (a Pub/Sub-triggered orchestrator) that starts the next phase. */
  handoff: z
    .strictObject({
      function: resourceName,
      /** Logged when it takes the topic message for a date (optional). */
      received: markerText.optional(),
      /** Logged when it starts the next phase for a date, e.g. `Triggering Phase 4`. */
      trigger: markerText,
    })
    .optional(),
});

export type PhaseTrace = z.infer<typeof phaseTraceSchema>;

/** What the check reads of the parsed YAML (structural: config.ts imports this module). */
interface TraceDocument {
  components: readonly { kind: string; name: string }[];
  phases: readonly { trace?: PhaseTrace | undefined }[];
}

/** A hand-off names a function component; a processor belongs to one phase only. */
export function checkTrace(config: TraceDocument): string[] {
  const problems: string[] = [];
  const functions = config.components.filter((c) => c.kind === 'function').map((c) => c.name);
  const owner = new Map<string, number>();
  config.phases.forEach((p, i) => {
    const fn = p.trace?.handoff?.function;
    if (fn && !functions.includes(fn)) {
      problems.push(
        `  - phases.${i}.trace.handoff.function: a function component (${functions.join(', ') || 'none declared'})`,
      );
    }
    for (const processor of p.trace?.processors ?? []) {
      const first = owner.get(processor);
      if (first !== undefined && first !== i) {
        problems.push(
          `  - phases.${i}.trace.processors: ${processor} is already a processor of phases.${first}`,
        );
      }
      owner.set(processor, first ?? i);
    }
  });
  return problems;
}
