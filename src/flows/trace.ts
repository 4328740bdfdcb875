/** `/pipeline trace <date>` and the status report's Trace button: gather, evaluate, render. */
import type { IsoDate } from '../domain/ports.js';
import { evaluateTrace, type TraceReport } from '../domain/trace.js';
import { gatherTrace } from '../domain/trace-gather.js';
import { traceFallback, traceMessage } from '../views/trace.js';
import type { Deps } from './deps.js';
import { logSearchOf } from './logs.js';

export async function traceReply(
  deps: Deps,
  date: IsoDate,
): Promise<{ text: string; blocks: ReturnType<typeof traceMessage>; report: TraceReport }> {
  const now = deps.clock.now();
  const ports = {
    runHistory: deps.ports.runHistory,
    dataChecks: deps.ports.dataChecks,
    logSearch: logSearchOf(deps),
  };
  const facts = await gatherTrace(ports, deps.config, date, now);
  const report = evaluateTrace(deps.config, facts, date, now);
  deps.log.info('trace', { date, broke: report.broke?.phase.id, done: report.done });
  return { text: traceFallback(report), blocks: traceMessage(report), report };
}
