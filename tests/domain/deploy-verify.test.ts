/** deploy-verify's rules on fake ports: the import check reads signature kinds, thresholds come from config. */
import { describe, expect, it } from 'vitest';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { verifyDeploys } from '../../src/domain/deploy-verify.js';
import type { ErrorGroup } from '../../src/domain/ports.js';
import { ok } from '../../src/domain/result.js';
import { fakePorts, healthyService } from '../helpers/fake-ports.js';

const config = loadPipeline('config/pipeline.example.yml');
const now = new Date('2026-01-21T12:00:00Z');
const FN = 'phase5-to-phase6-orchestrator';

const importError: ErrorGroup = {
  source: FN,
  signature: 'no-module',
  count: 4,
  sample: "ModuleNotFoundError: No module named 'shared'",
  firstSeen: now.toISOString(),
  lastSeen: now.toISOString(),
};

/** The example with its import signatures renamed (ids are free text; the kind carries the meaning). */
const renamed: PipelineConfig = {
  ...config,
  crashSignatures: config.crashSignatures.map((s) =>
    s.id === 'module-not-found' ? { ...s, id: 'no-module' } : s,
  ),
};

describe('deploy-verify', () => {
  it('finds import errors by signature kind, whatever the ids are called', async () => {
    const ports = fakePorts({
      logs: { errorsSince: async (_since, sources) => ok(sources.includes(FN) ? [importError] : []) },
    });
    const r = await verifyDeploys(ports, renamed, { target: 'one', name: FN }, now);
    expect(r.verdict).toBe('FAIL');
    expect(r.reasons).toEqual([`${FN}: import errors: 4 × Missing module`]);
    // A signature of kind `other` is not an import error.
    const other: PipelineConfig = {
      ...renamed,
      crashSignatures: renamed.crashSignatures.map((s) =>
        s.id === 'no-module' ? { ...s, kind: 'other' } : s,
      ),
    };
    expect((await verifyDeploys(ports, other, { target: 'one', name: FN }, now)).verdict).toBe('PASS');
  });

  it('fails a function that crashed or ran out of memory since its update, like a service', async () => {
    const oom: ErrorGroup = {
      ...importError,
      signature: 'out-of-memory',
      count: 2,
      sample: 'Memory limit of 256 MiB exceeded',
    };
    const ports = fakePorts({
      logs: { errorsSince: async (_since, sources) => ok(sources.includes(FN) ? [oom] : []) },
    });
    const r = await verifyDeploys(ports, config, { target: 'one', name: FN }, now);
    expect(r.verdict).toBe('FAIL');
    expect(r.reasons).toEqual([`${FN}: crash logs: 2 × Out of memory`]);
    const checks = r.targets[0]!.checks;
    expect(checks.find((c) => c.label === 'Import errors')!.health).toBe('ok');
    expect(checks.find((c) => c.label === 'Crash logs')!.health).toBe('fail');
  });

  it("takes a service's 5xx thresholds from its component, and says when all traffic is on an older revision", async () => {
    const svc = 'nba-phase6-export';
    const ports = fakePorts({
      monitoring: { ...fakePorts().monitoring, serverErrorShare: async (names) => ok({ [names[0]!]: 0.03 }) },
    });
    expect((await verifyDeploys(ports, config, { target: 'one', name: svc }, now)).targets[0]!.health).toBe(
      'warn',
    );
    const strict: PipelineConfig = {
      ...config,
      components: config.components.map((c) =>
        c.kind === 'service' && c.name === svc ? { ...c, serverErrorPercent: { fail: 2, warn: 1 } } : c,
      ),
    };
    expect((await verifyDeploys(ports, strict, { target: 'one', name: svc }, now)).verdict).toBe('FAIL');
    const older = fakePorts({
      cloudRun: {
        getService: async (name) =>
          ok({ ...healthyService(name), servingShares: [{ revision: `${name}-00009-old`, percent: 100 }] }),
        listRevisions: async () => ok([]),
      },
    });
    const r = await verifyDeploys(older, config, { target: 'one', name: svc }, now);
    expect(r.targets[0]!.checks.find((c) => c.label === 'Traffic')!.detail).toBe(
      '100% on 00009-old, not on the latest 00010-abc',
    );
  });
});
