/** The sandbox with every API module it ships. Add a module: import it and list it in `modules`. */
import { type RouteModule, type Sandbox, type SandboxOptions, startSandboxWith } from './server.js';

export const modules: RouteModule[] = [];

export function startSandbox(options: Omit<SandboxOptions, 'modules'> & { modules?: RouteModule[] }): Promise<Sandbox> {
  return startSandboxWith({ ...options, modules: options.modules ?? modules });
}

export type { Sandbox } from './server.js';
