/** The status report both `/pipeline status` and the status buttons show. */
import type { IsoDate } from '../domain/ports.js';
import { buildStatusReport, type StatusReport } from '../domain/status.js';
import type { Deps } from './deps.js';

/**
 * The report for `date`, shared by concurrent callers and cached briefly. `fresh` wants one
 * whose reads began after the person asked (`askedAt`, default now) or one in flight: under a
 * burst of `--fresh`, each command takes the first report begun after it was sent rather than
 * starting its own (before, 100 of them started up to 31 reports, one after another).
 */
export function getStatus(
  deps: Deps,
  date: IsoDate,
  fresh: boolean,
  askedAt: Date = deps.clock.now(),
): Promise<StatusReport> {
  return deps.statusCache.get(
    date,
    () => buildStatusReport(deps.ports, deps.config, date, deps.clock.now()),
    {
      fresh,
      notBefore: askedAt.getTime(),
    },
  );
}
