/**
 * Recent ERROR log groups: the findings they put on their component's own line (a crash
 * signature fails it, other errors warn), and the Errors section listing every group.
 */
import type { CrashSignature, SignatureKind } from '../../config.js';
import { links, type Where } from '../links.js';
import type { ErrorGroup } from '../ports.js';
import type { Probe } from '../result.js';
import { type Finding, type FindingKind, finding, type ReportLine, type Severity } from './model.js';
import { ago, describeFailure, formatMinutes } from './text.js';

/** What a signature's kind means for the component that logs it. */
const severityOf: Record<SignatureKind, Severity> = {
  crash: 'fail',
  'out-of-memory': 'fail',
  'import-error': 'fail',
  other: 'warn',
};

export function signatureOf(g: ErrorGroup, signatures: CrashSignature[]): CrashSignature | undefined {
  return g.signature ? signatures.find((s) => s.id === g.signature) : undefined;
}

/** Whether a group was logged by a revision that matters (a group that names none always does). */
export const fromRelevantRevision = (g: ErrorGroup, relevant: (revision: string) => boolean): boolean =>
  !g.revisions?.length || g.revisions.some(relevant);

/**
 * The findings of `component`'s own error groups. `relevant` drops groups from revisions that
 * no longer matter (a revision rolled back from), when the groups say which revision logged them.
 */
export function logFindings(
  component: string,
  kind: FindingKind,
  groups: ErrorGroup[],
  signatures: CrashSignature[],
  minutes: number,
  relevant: (revision: string) => boolean = () => true,
): Finding[] {
  const window = formatMinutes(minutes);
  return groups
    .filter((g) => g.source === component)
    .filter((g) => fromRelevantRevision(g, relevant))
    .map((g) => {
      const sig = signatureOf(g, signatures);
      const what = sig ? sig.label : g.count === 1 ? 'error' : 'errors';
      return finding(
        sig ? severityOf[sig.kind] : 'warn',
        component,
        kind,
        `${g.count}× ${what} in the last ${window}`,
      );
    });
}

/**
 * The Errors section: one line per group, largest first. Its findings are on the components'
 * lines; a group no component line counts (`counted`: logged by a revision that no longer
 * serves) is listed as past, not red, so the section never says more than the verdict.
 */
export function errorLines(
  errors: Probe<ErrorGroup[]>,
  signatures: CrashSignature[],
  w: Where,
  now: Date,
  counted: (g: ErrorGroup) => boolean = () => true,
): ReportLine[] {
  if (!errors.ok) {
    const message = describeFailure(errors.error);
    return [
      {
        health: 'unknown',
        title: 'Cloud Logging',
        detail: message,
        link: links.logs(w),
        findings: [finding('unknown', 'Cloud Logging', 'api', message)],
      },
    ];
  }
  return [...errors.value]
    .sort((a, b) => b.count - a.count)
    .map((g) => {
      const sig = signatureOf(g, signatures);
      const live = counted(g);
      return {
        health: live ? (sig ? severityOf[sig.kind] : 'warn') : 'ok',
        title: `${g.source}${sig ? ` · ${sig.label}` : ''}`,
        detail: `${g.count}× · last ${ago(g.lastSeen, now)}${live ? '' : ' · from a revision no longer serving'} · \`${g.sample.slice(0, 200)}\``,
        link: links.logs(w, g.source),
      };
    });
}
