/**
 * The pipeline status report: gather (status/gather.ts), then evaluate (status/evaluate.ts,
 * one evaluator per component kind); src/views/status.ts formats it. This module is the entry
 * point the commands and other domain modules import.
 */
import type { PipelineConfig } from '../config.js';
import type { IsoDate } from './ports.js';
import { evaluateStatus } from './status/evaluate.js';
import { gatherStatus, type StatusPorts } from './status/gather.js';
import type { StatusReport } from './status/model.js';

export { evaluateStatus, summarize } from './status/evaluate.js';
export { type CheckResult, evaluateCheck } from './status/evaluate-check.js';
export { evaluateSchedulerJob, evaluateSelfHeal } from './status/evaluate-scheduler.js';
export {
  functionNames,
  gatherStatus,
  onceEachQuery,
  runCheck,
  type StatusFacts,
  type StatusPorts,
  serviceNames,
} from './status/gather.js';
export * from './status/model.js';
export { ago, describeFailure, formatMinutes, shortRevision } from './status/text.js';

/** The status report for `date`: gather then evaluate. */
export async function buildStatusReport(
  ports: StatusPorts,
  config: PipelineConfig,
  date: IsoDate,
  now: Date,
): Promise<StatusReport> {
  const facts = await gatherStatus(ports, config, date, now);
  return evaluateStatus(config, facts, date, now);
}
