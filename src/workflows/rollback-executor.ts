/**
 * `update_traffic`: the split is read again and kept as the snapshot just before the write,
 * so undo restores what was really there (not what the plan saw minutes earlier).
 */
import { z } from 'zod';
import type { JsonValue } from '../domain/plan.js';
import type { CloudRunControl, CloudRunPort, TrafficTarget } from '../domain/ports.js';
import { fail, ok } from '../domain/result.js';
import { splitOf } from '../domain/rollback-plan.js';
import type { StepExecutor } from './engine.js';

const target = z.union([
  z.object({ latest: z.literal(true), percent: z.number().int().min(0).max(100) }),
  z.object({ revision: z.string().regex(/^[a-z0-9-]+$/), percent: z.number().int().min(0).max(100) }),
]);
const params = z.object({ service: z.string().regex(/^[a-z0-9-]+$/), after: z.array(target).min(1) });
const split = z.array(target).min(1);

export function rollbackExecutors(deps: {
  cloudRun: CloudRunPort & CloudRunControl;
}): Record<string, StepExecutor> {
  return {
    update_traffic: {
      async snapshot(step) {
        const p = params.safeParse(step.params);
        if (!p.success) return fail('invalid', 'update_traffic: bad params');
        const svc = await deps.cloudRun.getService(p.data.service);
        if (!svc.ok) return svc;
        return ok(splitOf(svc.value) as unknown as JsonValue);
      },
      async run(step) {
        const p = params.safeParse(step.params);
        if (!p.success) return fail('invalid', 'update_traffic: bad params');
        const r = await deps.cloudRun.updateTraffic(p.data.service, p.data.after as TrafficTarget[]);
        if (!r.ok) return r;
        return ok({ servingShares: r.value.servingShares } as unknown as JsonValue);
      },
      async undo(step, data) {
        const p = params.safeParse(step.params);
        const before = split.safeParse(data.snapshot);
        if (!p.success || !before.success) return fail('invalid', 'update_traffic: nothing to restore');
        return deps.cloudRun.updateTraffic(p.data.service, before.data as TrafficTarget[]);
      },
    },
  };
}
