/** The status report both `/pipeline status` and the status buttons show. */
import type { IsoDate } from '../domain/ports.js';
import { buildStatusReport, type StatusReport } from '../domain/status.js';
import type { Deps } from './deps.js';

/** The report for `date`, shared by concurrent callers and cached briefly. */
export function getStatus(deps: Deps, date: IsoDate, fresh: boolean): Promise<StatusReport> {
  return deps.statusCache.get(
    date,
    () => buildStatusReport(deps.ports, deps.config, date, deps.clock.now()),
    { fresh },
  );
}
