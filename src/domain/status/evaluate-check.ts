/** A data check for a date: its number against the expected one (a constant or a query). */
import type { DataCheck } from '../../config.js';
import { links, type Where } from '../links.js';
import type { Probe } from '../result.js';
import { finding, lineOf, type ReportLine } from './model.js';
import { describeFailure } from './text.js';

export interface CheckResult {
  actual: Probe<number>;
  expected?: Probe<number>;
}

export function evaluateCheck(check: DataCheck, r: CheckResult | undefined, w: Where): ReportLine {
  const link = links.bigquery(w);
  const title = check.label;
  const unknown = (message: string, state = '') =>
    lineOf(title, state, [finding('unknown', title, 'check', message)], link);
  if (!r) return unknown('not run');
  if (!r.actual.ok) return unknown(describeFailure(r.actual.error));
  const actual = r.actual.value;
  const e = check.expect;
  let expected: number;
  let atLeast: boolean;
  if ('equals' in e) [expected, atLeast] = [e.equals, false];
  else if ('min' in e) [expected, atLeast] = [e.min, true];
  else {
    if (!r.expected?.ok) {
      const why = r.expected && !r.expected.ok ? describeFailure(r.expected.error) : 'not run';
      return { ...unknown(`expected: ${why}`), detail: `${actual} (expected: ${why})` };
    }
    [expected, atLeast] = [r.expected.value, 'minQuery' in e];
  }
  const good = atLeast ? actual >= expected : actual === expected;
  const text = `${actual} of ${atLeast ? 'at least ' : ''}${expected}${good ? '' : ' expected'}`;
  if (good) return lineOf(title, text, [], link);
  return { ...lineOf(title, '', [finding('fail', title, 'check', text)], link), detail: text };
}
