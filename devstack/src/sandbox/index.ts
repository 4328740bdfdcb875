/** The sandbox with every API module it ships. Add a module: import it and list it in `modules`. */
import { bigqueryRoutes } from './bigquery.js';
import { cloudRunRoutes } from './cloud-run.js';
import { functionsRoutes } from './functions.js';
import { loggingRoutes } from './logging.js';
import { monitoringRoutes } from './monitoring.js';
import { processorRoutes, processorRoutesWith } from './processors.js';
import { runJobsRoutes } from './run-jobs.js';
import { schedulerRoutes } from './scheduler.js';
import { type RouteModule, type Sandbox, type SandboxOptions, startSandboxWith } from './server.js';

export const modules: RouteModule[] = [
  bigqueryRoutes,
  // Before cloudRunRoutes: both serve `…/operations/{id}`, and this one only matches its own.
  runJobsRoutes,
  cloudRunRoutes,
  functionsRoutes,
  loggingRoutes,
  monitoringRoutes,
  processorRoutes,
  schedulerRoutes,
];

export function startSandbox(
  options: Omit<SandboxOptions, 'modules'> & {
    modules?: RouteModule[];
    /** Delay between a processor accepting a trigger and its data appearing (default 150 ms). */
    processorDelayMs?: number;
  },
): Promise<Sandbox> {
  const { processorDelayMs, ...rest } = options;
  const chosen =
    processorDelayMs === undefined
      ? modules
      : modules.map((m) => (m === processorRoutes ? processorRoutesWith({ delayMs: processorDelayMs }) : m));
  return startSandboxWith({ ...rest, modules: options.modules ?? chosen });
}

export type { Sandbox } from './server.js';
