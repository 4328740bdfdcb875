/** The sandbox with every API module it ships. Add a module: import it and list it in `modules`. */
import { bigqueryRoutes } from './bigquery.js';
import { cloudRunRoutes } from './cloud-run.js';
import { functionsRoutes } from './functions.js';
import { loggingRoutes } from './logging.js';
import { monitoringRoutes } from './monitoring.js';
import { schedulerRoutes } from './scheduler.js';
import { type RouteModule, type Sandbox, type SandboxOptions, startSandboxWith } from './server.js';

export const modules: RouteModule[] = [
  bigqueryRoutes,
  cloudRunRoutes,
  functionsRoutes,
  loggingRoutes,
  monitoringRoutes,
  schedulerRoutes,
];

export function startSandbox(
  options: Omit<SandboxOptions, 'modules'> & { modules?: RouteModule[] },
): Promise<Sandbox> {
  return startSandboxWith({ ...options, modules: options.modules ?? modules });
}

export type { Sandbox } from './server.js';
