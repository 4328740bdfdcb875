/** A BigQuery table's freshness: how long ago it was last written, against its rule. */
import type { ComponentOf } from '../../config.js';
import { links, type Where } from '../links.js';
import type { TableInfo } from '../ports.js';
import type { Probe } from '../result.js';
import { type Finding, finding, lineOf, type ReportLine, unreadLine } from './model.js';
import { ago, formatMinutes } from './text.js';

export function evaluateTable(c: ComponentOf<'table'>, p: Probe<TableInfo>, w: Where, now: Date): ReportLine {
  const link = links.bigquery(w);
  if (!p.ok) {
    return unreadLine(c.name, 'table', p.error, link);
  }
  const at = p.value.lastModifiedTime;
  const rule = `allowed ${formatMinutes(c.maxAgeMinutes)}`;
  if (!at) return lineOf(c.name, '', [finding('fail', c.name, 'table', `never written (${rule})`)], link);
  const age = Math.floor((now.getTime() - Date.parse(at)) / 60_000);
  const findings: Finding[] = [];
  if (age > c.maxAgeMinutes) {
    findings.push(finding('fail', c.name, 'table', `stale: last written ${ago(at, now)} (${rule})`));
  } else if (c.warnAgeMinutes !== undefined && age > c.warnAgeMinutes) {
    findings.push(
      finding(
        'warn',
        c.name,
        'table',
        `last written ${ago(at, now)} (warn after ${formatMinutes(c.warnAgeMinutes)})`,
      ),
    );
  }
  const state = findings.length > 0 ? '' : `written ${ago(at, now)} · ${rule}`;
  return lineOf(c.name, state, findings, link);
}
