/** A Cloud Function's line: state, trigger against the configured one, deploy errors, 5xx, logs. */
import type { ComponentOf, CrashSignature, FunctionTrigger } from '../../config.js';
import { links, type Where } from '../links.js';
import type { DeployedTrigger, ErrorGroup, FunctionState } from '../ports.js';
import type { Probe } from '../result.js';
import { logFindings } from './evaluate-errors.js';
import { serverErrorFinding } from './evaluate-service.js';
import { type Finding, finding, lineOf, type ReportLine, unreadLine } from './model.js';
import { shortRevision } from './text.js';

export interface FunctionContext {
  w: Where;
  share?: number | null | undefined;
  errors: ErrorGroup[];
  signatures: CrashSignature[];
  recentErrorsMinutes: number;
}

/** The deployed trigger; adapters that predate `trigger` only give the topic. */
export function deployedTrigger(f: FunctionState): DeployedTrigger {
  if (f.trigger) return f.trigger;
  return f.triggerTopic ? { type: 'pubsub', topic: f.triggerTopic } : { type: 'http' };
}

export function describeTrigger(t: DeployedTrigger | FunctionTrigger): string {
  if (t.type === 'pubsub') return `topic ${t.topic}`;
  if (t.type === 'eventarc') return `event ${t.eventType}`;
  return 'HTTP';
}

/** Undefined when the deployed trigger is the configured one, else what differs. */
export function triggerMismatch(expected: FunctionTrigger, f: FunctionState): string | undefined {
  const got = deployedTrigger(f);
  const same =
    got.type === expected.type &&
    (got.type !== 'pubsub' || (expected.type === 'pubsub' && got.topic === expected.topic)) &&
    (got.type !== 'eventarc' || (expected.type === 'eventarc' && got.eventType === expected.eventType));
  return same ? undefined : `trigger ${describeTrigger(got)}, expected ${describeTrigger(expected)}`;
}

export function evaluateFunction(
  c: ComponentOf<'function'>,
  p: Probe<FunctionState>,
  ctx: FunctionContext,
): ReportLine {
  const link = links.function(ctx.w, c.name);
  const share = serverErrorFinding(c.name, 'function', ctx.share, c.serverErrorPercent);
  const logs = logFindings(c.name, 'function', ctx.errors, ctx.signatures, ctx.recentErrorsMinutes);
  if (!p.ok) {
    return unreadLine(c.name, 'function', p.error, link, [...share, ...logs]);
  }
  const f = p.value;
  const findings: Finding[] = [];
  if (f.state === 'DEPLOYING') findings.push(finding('warn', c.name, 'function', 'still deploying'));
  else if (f.state !== 'ACTIVE') findings.push(finding('fail', c.name, 'function', `state ${f.state}`));
  const mismatch = triggerMismatch(c.trigger, f);
  if (mismatch) findings.push(finding('fail', c.name, 'function', mismatch));
  const errors = f.stateMessages.filter((m) => m.severity === 'ERROR');
  if (errors.length > 0) {
    const severity = f.state === 'ACTIVE' ? 'warn' : 'fail';
    findings.push(finding(severity, c.name, 'function', errors.map((m) => m.message).join('; ')));
  }
  findings.push(...share, ...logs);
  return lineOf(c.name, `${f.state} · ${shortRevision(c.name, f.revision)}`, findings, link);
}
