/** A Cloud Run service's line: revision readiness, traffic, 5xx share and its crash logs. */
import type { ComponentOf, CrashSignature } from '../../config.js';
import { links, type Where } from '../links.js';
import type { ErrorGroup, ServiceState } from '../ports.js';
import type { Probe } from '../result.js';
import { logFindings } from './evaluate-errors.js';
import { type Finding, finding, lineOf, type ReportLine, unreadLine } from './model.js';
import { shortRevision } from './text.js';

export interface ServiceContext {
  w: Where;
  /** 5xx share (0..1) over the last hour; null: no traffic; undefined: not read. */
  share?: number | null | undefined;
  errors: ErrorGroup[];
  signatures: CrashSignature[];
  recentErrorsMinutes: number;
}

/** 5xx share against a component's thresholds (percent). */
export function serverErrorFinding(
  component: string,
  kind: 'service' | 'function',
  share: number | null | undefined,
  limits: { fail: number; warn: number },
): Finding[] {
  if (typeof share !== 'number') return [];
  const percent = share * 100;
  if (percent >= limits.fail) {
    return [finding('fail', component, kind, `${Math.round(percent)}% 5xx in the last hour`)];
  }
  if (percent > limits.warn) {
    return [finding('warn', component, kind, `${percent.toFixed(1)}% 5xx in the last hour`)];
  }
  return [];
}

/** Where traffic goes, in words; a finding when it is not all on the latest ready revision. */
function trafficFinding(s: ServiceState, rev: (r: string | undefined) => string): Finding[] {
  const onLatest = s.servingShares.find((x) => x.revision === s.latestReadyRevision)?.percent ?? 0;
  if (onLatest >= 100 || s.servingShares.length === 0) return [];
  const [only] = s.servingShares;
  if (s.servingShares.length === 1 && only) {
    return [
      finding(
        'warn',
        s.name,
        'service',
        `all traffic on older revision ${rev(only.revision)} (latest ready: ${rev(s.latestReadyRevision)})`,
      ),
    ];
  }
  const split = s.servingShares.map((x) => `${rev(x.revision)} ${x.percent}%`).join(', ');
  return [finding('warn', s.name, 'service', `traffic split: ${split}`)];
}

/** The revisions whose errors are the service's problem now: those serving, and the one just deployed. */
export function liveRevisions(s: ServiceState): Set<string | undefined> {
  return new Set([...s.servingShares.map((x) => x.revision), s.latestCreatedRevision]);
}

export function evaluateService(
  c: ComponentOf<'service'>,
  p: Probe<ServiceState>,
  ctx: ServiceContext,
): ReportLine {
  const link = links.service(ctx.w, c.name);
  const share = serverErrorFinding(c.name, 'service', ctx.share, c.serverErrorPercent);
  if (!p.ok) {
    // Which revisions serve is unknown: every error group of the service counts.
    const logs = logFindings(c.name, 'service', ctx.errors, ctx.signatures, ctx.recentErrorsMinutes);
    return unreadLine(c.name, 'service', p.error, link, [...share, ...logs]);
  }
  const s = p.value;
  const rev = (r: string | undefined) => shortRevision(c.name, r);
  const findings: Finding[] = [];
  const stale = s.latestCreatedRevision && s.latestCreatedRevision !== s.latestReadyRevision;
  if (stale) {
    findings.push(
      finding('fail', c.name, 'service', `latest revision ${rev(s.latestCreatedRevision)} is not ready`),
    );
  }
  if (s.ready.state !== 'true') {
    // The condition message repeats the revision name: keep the part after it.
    const why = s.ready.message?.replace(/^Revision '[^']+' is not ready and cannot serve traffic\.\s*/, '');
    const text = why || s.ready.reason || 'Ready is not true';
    findings.push(finding('fail', c.name, 'service', stale ? text : `not ready: ${text}`));
  }
  findings.push(...trafficFinding(s, rev));
  findings.push(...share);
  // Errors of the revisions that serve or were just deployed; not of one rolled back from.
  const live = liveRevisions(s);
  findings.push(
    ...logFindings(c.name, 'service', ctx.errors, ctx.signatures, ctx.recentErrorsMinutes, (r) =>
      live.has(r),
    ),
  );
  const onLatest = s.servingShares.find((x) => x.revision === s.latestReadyRevision)?.percent ?? 0;
  return lineOf(c.name, `${rev(s.latestReadyRevision)} · ${onLatest}% traffic`, findings, link);
}
