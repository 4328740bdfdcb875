/** A dead-letter subscription: its backlog against its thresholds, and whether it is growing. */
import type { ComponentOf } from '../../config.js';
import { links, type Where } from '../links.js';
import type { BacklogSample } from '../ports.js';
import { type Finding, finding, lineOf, type ReportLine } from './model.js';
import { formatMinutes } from './text.js';

/** `samples`: oldest first, possibly over a longer window than this component's. */
export function evaluateDeadLetter(
  c: ComponentOf<'deadLetter'>,
  samples: BacklogSample[],
  w: Where,
  now: Date,
): ReportLine {
  const link = links.subscription(w, c.name);
  const from = now.getTime() - c.growing.windowMinutes * 60_000;
  const inWindow = samples.filter((s) => Date.parse(s.at) >= from);
  const last = inWindow.at(-1)?.value ?? samples.at(-1)?.value ?? 0;
  const first = inWindow[0]?.value ?? last;
  const findings: Finding[] = [];
  const window = formatMinutes(c.growing.windowMinutes);
  if (inWindow.length >= 2 && last > first) {
    findings.push(
      finding(c.growing.severity, c.name, 'deadLetter', `growing: ${first} → ${last} in the last ${window}`),
    );
  }
  if (c.backlog.fail !== undefined && last >= c.backlog.fail) {
    findings.push(finding('fail', c.name, 'deadLetter', `backlog at or above ${c.backlog.fail}`));
  } else if (last >= c.backlog.warn && last > 0 && findings.length === 0) {
    findings.push(finding('warn', c.name, 'deadLetter', `backlog ${last} (warn from ${c.backlog.warn})`));
  }
  return lineOf(c.name, `${last} undelivered`, findings, link);
}
