/**
 * Google clients load when a port is first called: a bot that has only started has loaded none
 * of their libraries, a status report loads the ones it reads, and Pub/Sub (triggers only)
 * stays unloaded until a phase is triggered.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline } from '../../src/config.js';
import { lazyPort, loadOnce } from '../../src/gcp/lazy.js';

describe('lazyPort', () => {
  it('loads on the first call only, for every method, and is never a thenable', async () => {
    let loads = 0;
    const port = lazyPort(async () => {
      loads++;
      return { a: async (x: number) => x + 1, b: async () => 'b' };
    });
    expect(loads).toBe(0);
    expect((port as unknown as { then?: unknown }).then).toBeUndefined();
    expect(await Promise.resolve(port)).toBe(port);
    expect(await Promise.all([port.a(1), port.b(), port.a(2)])).toEqual([2, 'b', 3]);
    expect(loads).toBe(1);
  });

  it('tries again after a failed load', async () => {
    let attempts = 0;
    const load = loadOnce(async () => {
      attempts++;
      if (attempts === 1) throw new Error('not yet');
      return 42;
    });
    await expect(load()).rejects.toThrow('not yet');
    expect(await load()).toBe(42);
    expect(await load()).toBe(42);
    expect(attempts).toBe(2);
  });
});

/** Run in a process of its own, so no other test's imports count: which libraries are loaded when. */
const SCRIPT = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const libraries = ['@google-cloud/run', '@google-cloud/functions', '@google-cloud/scheduler',
  '@google-cloud/logging', '@google-cloud/monitoring', '@google-cloud/bigquery', '@google-cloud/pubsub'];
const loaded = () => libraries.filter((l) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + l + '/')));
const { buildGoogle } = await import('./src/app.ts');
const { loadPipeline } = await import('./src/config.ts');
const { createMemoryRunHistory } = await import('./src/store/memory-run-history.ts');
const url = process.env.SANDBOX_URL;
const base = loadPipeline('config/pipeline.example.yml');
const config = { ...base, endpoints: { cloudRun: url, functions: url, scheduler: url, logging: url, monitoring: url, bigquery: url } };
const side = buildGoogle(config, true, { runHistory: createMemoryRunHistory(() => [], config.runHistory) });
const atStart = loaded();
const service = await side.ports.cloudRun.getService('nba-phase2-raw-processors');
const afterCloudRun = loaded();
await Promise.all([
  side.ports.functions.getFunction('phase2-to-phase3-orchestrator'),
  side.ports.scheduler.getJob('self-heal-predictions'),
  side.ports.logs.errorsSince(new Date(Date.now() - 3600000), ['nba-phase2-raw-processors']),
  side.ports.monitoring.serverErrorShare(['nba-phase2-raw-processors'], new Date(Date.now() - 3600000)),
  side.ports.tables.getTable('nba_predictions.player_prop_predictions'),
]);
console.log(JSON.stringify({ atStart, afterCloudRun, afterReads: loaded(), serviceOk: service.ok }));
process.exit(0);
`;

describe('buildGoogle', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ config: loadPipeline('config/pipeline.example.yml'), scenario: 'jan20' });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('loads each client library on its first call, and Pub/Sub not for reads', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
        { env: { ...process.env, SANDBOX_URL: sandbox.url }, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(r.atStart).toEqual([]);
    expect(r.serviceOk).toBe(true);
    expect(r.afterCloudRun).toEqual(['@google-cloud/run']);
    expect(r.afterReads).toEqual([
      '@google-cloud/run',
      '@google-cloud/functions',
      '@google-cloud/scheduler',
      '@google-cloud/logging',
      '@google-cloud/monitoring',
      '@google-cloud/bigquery',
    ]);
  }, 90_000);
});
