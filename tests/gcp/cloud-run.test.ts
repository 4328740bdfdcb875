/** The Cloud Run adapter on the real @google-cloud/run clients, against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { serviceNames } from '../../src/domain/status.js';
import { cloudRunClients, createCloudRunAdapter } from '../../src/gcp/cloud-run.js';

const PHASE2 = 'nba-phase2-raw-processors';
const PHASE3 = 'nba-phase3-analytics-processors';
const PHASE4 = 'nba-phase4-precompute-processors';

let config: PipelineConfig;
let sandbox: Sandbox;
let clients: ReturnType<typeof cloudRunClients>;

const adapter = (over: { deadlineMs?: number; project?: string; rolloutDeadlineMs?: number } = {}) =>
  createCloudRunAdapter({
    ...clients,
    project: over.project ?? config.project,
    region: config.region,
    deadlineMs: over.deadlineMs ?? config.limits.callDeadlineMs,
    ...(over.rolloutDeadlineMs ? { rolloutDeadlineMs: over.rolloutDeadlineMs } : {}),
  });

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'healthy' });
  clients = cloudRunClients(sandbox.url, true);
});

afterAll(async () => {
  await clients?.services.close();
  await clients?.revisions.close();
  await sandbox?.close();
});

describe('healthy scenario', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('reports every configured service ready with 100% on its latest revision', async () => {
    const run = adapter();
    for (const phase of config.phases) {
      const r = await run.getService(phase.service);
      if (!r.ok) throw new Error(`${phase.service}: ${r.error.kind} ${r.error.message}`);
      const s = r.value;
      expect(s.name).toBe(phase.service);
      expect(s.ready.state).toBe('true');
      expect(s.latestReadyRevision).toMatch(new RegExp(`^${phase.service}-\\d{5}-[a-z]{3}$`));
      expect(s.latestCreatedRevision).toBe(s.latestReadyRevision);
      expect(s.traffic).toEqual([{ latest: true, percent: 100 }]);
      expect(s.servingShares).toEqual([{ revision: s.latestReadyRevision, percent: 100 }]);
      expect(s.uri).toBe(`${sandbox.url}/_svc/${phase.service}`);
      expect(s.updateTime).toBe(sandbox.state.services.get(phase.service)!.updateTime.toISOString());
    }
  });

  it('lists revisions newest first', async () => {
    const r = await adapter().listRevisions(PHASE3);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((v) => v.name)).toEqual(
      [...sandbox.state.services.get(PHASE3)!.revisions].reverse().map((v) => v.name),
    );
    expect(r.value.every((v) => v.ready.state === 'true' && v.service === PHASE3)).toBe(true);
    expect(r.value[0]!.createTime! > r.value[1]!.createTime!).toBe(true);
  });

  it('pages through the service list with the client itself', async () => {
    const before = sandbox.counts.cloudRun;
    const names: string[] = [];
    const parent = `projects/${config.project}/locations/${config.region}`;
    for await (const s of clients.services.listServicesAsync({ parent, pageSize: 1 }))
      names.push(s.name ?? '');
    expect(names.map((n) => n.split('/').at(-1)).sort()).toEqual(serviceNames(config).sort());
    expect(sandbox.counts.cloudRun - before).toBe(serviceNames(config).length);
  });
});

describe('jan20 scenario', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('shows phase 3 on its new ready revision 00092', async () => {
    const r = await adapter().getService(PHASE3);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.latestCreatedRevision).toMatch(/^nba-phase3-analytics-processors-00092-[a-z]{3}$/);
    expect(r.value.latestReadyRevision).toBe(r.value.latestCreatedRevision);
    expect(r.value.ready.state).toBe('true');
    expect(r.value.servingShares).toEqual([{ revision: r.value.latestCreatedRevision, percent: 100 }]);
  });

  it('shows phase 4 with 00049 failing the health check and traffic pinned to 00048', async () => {
    const run = adapter();
    const r = await run.getService(PHASE4);
    if (!r.ok) throw new Error(r.error.message);
    const s = r.value;
    expect(s.latestCreatedRevision).toMatch(/^nba-phase4-precompute-processors-00049-[a-z]{3}$/);
    expect(s.latestReadyRevision).toMatch(/^nba-phase4-precompute-processors-00048-[a-z]{3}$/);
    expect(s.ready).toEqual({
      state: 'false',
      reason: 'REVISION_FAILED',
      message: expect.stringContaining('HealthChecker.__init__()'),
    });
    expect(s.traffic).toEqual([{ latest: false, revision: s.latestReadyRevision, percent: 100 }]);
    expect(s.servingShares).toEqual([{ revision: s.latestReadyRevision, percent: 100 }]);

    const revs = await run.listRevisions(PHASE4);
    if (!revs.ok) throw new Error(revs.error.message);
    expect(revs.value.map((v) => [v.name, v.ready.state])).toEqual([
      [s.latestCreatedRevision, 'false'],
      [s.latestReadyRevision, 'true'],
    ]);
    expect(revs.value[0]!.ready).toEqual({
      state: 'false',
      reason: 'HEALTH_CHECK_CONTAINER_ERROR',
      message: expect.stringContaining('HealthChecker'),
    });
  });

  it('shows the revision the seed report names for phase 2', async () => {
    const r = await adapter().getService(PHASE2);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.latestReadyRevision).toBe('nba-phase2-raw-processors-00105-4g2');
  });

  it('answers not_found for an unknown service, its revisions, and another project', async () => {
    const run = adapter();
    const service = await run.getService('no-such-service');
    expect(service.ok ? 'ok' : service.error.kind).toBe('not_found');
    const revisions = await run.listRevisions('no-such-service');
    expect(revisions.ok ? 'ok' : revisions.error.kind).toBe('not_found');
    const elsewhere = await adapter({ project: 'some-other-project' }).getService(PHASE4);
    expect(elsewhere.ok ? 'ok' : elsewhere.error.kind).toBe('not_found');
  });

  it('retries a 503 and then answers unavailable', async () => {
    sandbox.setFault('cloudRun', { status: 503 });
    const before = sandbox.counts.cloudRun;
    try {
      const r = await adapter().getService(PHASE4);
      expect(r.ok ? 'ok' : r.error.kind).toBe('unavailable');
      // Three attempts from `guarded`, none from gax on top of them.
      expect(sandbox.counts.cloudRun - before).toBe(3);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('recovers when a 503 is transient', async () => {
    sandbox.setFault('cloudRun', { status: 503, times: 1 });
    try {
      const r = await adapter().getService(PHASE4);
      expect(r.ok).toBe(true);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('gives up on a silent server at the deadline', async () => {
    sandbox.setFault('cloudRun', { hang: true });
    const started = performance.now();
    try {
      const r = await adapter({ deadlineMs: 300 }).getService(PHASE4);
      expect(r.ok ? 'ok' : r.error.kind).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      sandbox.clearFaults();
    }
    const after = await adapter().getService(PHASE4);
    expect(after.ok).toBe(true);
  });
});

describe('traffic updates', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('splits traffic between two revisions and getService shows it', async () => {
    const run = adapter();
    const [older, newer] = sandbox.state.services.get(PHASE3)!.revisions.map((r) => r.name);
    const r = await run.updateTraffic(PHASE3, [
      { revision: older!, percent: 90 },
      { revision: newer!, percent: 10 },
    ]);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.traffic).toEqual([
      { latest: false, revision: older, percent: 90 },
      { latest: false, revision: newer, percent: 10 },
    ]);
    expect(r.value.servingShares).toEqual([
      { revision: older, percent: 90 },
      { revision: newer, percent: 10 },
    ]);
    // The operation's result (raw protobuf: enum numbers, Long seconds) reads like a plain get.
    const fresh = await run.getService(PHASE3);
    expect(fresh).toEqual(r);
    expect(sandbox.state.services.get(PHASE3)!.traffic).toEqual([
      { latest: false, revision: older, percent: 90 },
      { latest: false, revision: newer, percent: 10 },
    ]);
  });

  it('moves traffic back to the latest revision', async () => {
    const run = adapter();
    const r = await run.updateTraffic(PHASE3, [{ latest: true, percent: 100 }]);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.traffic).toEqual([{ latest: true, percent: 100 }]);
    expect(r.value.servingShares).toEqual([{ revision: r.value.latestReadyRevision, percent: 100 }]);
    expect(await run.getService(PHASE3)).toEqual(r);
  });

  it('refuses to send traffic to a revision that is not ready, and changes nothing', async () => {
    const run = adapter();
    const svc = sandbox.state.services.get(PHASE4)!;
    const before = structuredClone(svc.traffic);
    const r = await run.updateTraffic(PHASE4, [{ revision: svc.latestCreatedRevision, percent: 100 }]);
    expect(r.ok ? 'ok' : r.error).toEqual({
      kind: 'invalid',
      message: expect.stringContaining('is not ready'),
    });
    expect(sandbox.state.services.get(PHASE4)!.traffic).toEqual(before);
  });

  it('refuses an unknown revision and a split that does not add up', async () => {
    const run = adapter();
    const unknown = await run.updateTraffic(PHASE4, [{ revision: `${PHASE4}-00999-zzz`, percent: 100 }]);
    expect(unknown.ok ? 'ok' : unknown.error.kind).toBe('invalid');
    const calls = sandbox.counts.cloudRun;
    const short = await run.updateTraffic(PHASE4, [{ latest: true, percent: 90 }]);
    expect(short.ok ? 'ok' : short.error).toEqual({
      kind: 'invalid',
      message: expect.stringContaining('add up to 100'),
    });
    expect(sandbox.counts.cloudRun).toBe(calls);
  });

  it('refuses a change when the service changed after it was read', async () => {
    const run = adapter();
    const svc = sandbox.state.services.get(PHASE3)!;
    const before = structuredClone(svc.traffic);
    const services = clients.services as unknown as { updateService: (...args: unknown[]) => unknown };
    const original = services.updateService;
    services.updateService = function (this: unknown, ...args: unknown[]) {
      // Someone else's deploy lands between our read and our write.
      svc.updateTime = new Date(svc.updateTime.getTime() + 1000);
      return original.apply(this, args);
    };
    try {
      const r = await run.updateTraffic(PHASE3, [{ revision: svc.revisions[0]!.name, percent: 100 }]);
      expect(r.ok ? 'ok' : r.error.message).toMatch(/etag/);
      expect(svc.traffic).toEqual(before);
    } finally {
      services.updateService = original;
    }
  });

  it('does not retry a failed change', async () => {
    const run = adapter();
    const svc = sandbox.state.services.get(PHASE4)!;
    // Fail only the PATCH: the fault is set once the read has been answered.
    const services = clients.services as unknown as { updateService: (...args: unknown[]) => unknown };
    const original = services.updateService;
    services.updateService = function (this: unknown, ...args: unknown[]) {
      sandbox.setFault('cloudRun', { status: 503 });
      return original.apply(this, args);
    };
    const before = sandbox.counts.cloudRun;
    try {
      const r = await run.updateTraffic(PHASE4, [{ revision: svc.latestReadyRevision, percent: 100 }]);
      expect(r.ok ? 'ok' : r.error.kind).toBe('unavailable');
      // One read, one PATCH.
      expect(sandbox.counts.cloudRun - before).toBe(2);
    } finally {
      services.updateService = original;
      sandbox.clearFaults();
    }
  });
});
