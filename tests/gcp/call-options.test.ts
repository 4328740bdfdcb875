/**
 * The gax-based adapters leave nothing behind a finished call: gax 6.17 on REST arms an
 * `AbortSignal.timeout` per call when it is given a finite timeout, and Node keeps that signal
 * (and through its listener the call's parser, settings and closures) alive until it fires. The
 * deadline is `guarded`'s signal instead, which still cancels a call it gives up on.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { cloudRunClients, createCloudRunAdapter } from '../../src/gcp/cloud-run.js';
import { createFunctionsAdapter, functionsClient } from '../../src/gcp/functions.js';
import { createLogsAdapter, loggingClient } from '../../src/gcp/logging.js';
import { createMonitoringAdapter, monitoringClient } from '../../src/gcp/monitoring.js';
import { attemptOptions } from '../../src/gcp/proto-values.js';
import { createRunJobsAdapter, runJobsClients } from '../../src/gcp/run-jobs.js';
import { createSchedulerAdapter, schedulerClient } from '../../src/gcp/scheduler.js';

let config: PipelineConfig;
let sandbox: Sandbox;

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20' });
});

afterAll(async () => {
  await sandbox?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('attemptOptions', () => {
  it('gives gax the signal and no finite timeout or retry of its own', () => {
    const signal = new AbortController().signal;
    const options = attemptOptions(signal, 8000);
    expect(options.signal).toBe(signal);
    expect(options.retry).toBeNull();
    expect(Number.isFinite(options.timeout)).toBe(false);
  });
});

describe('a finished call arms no timer', () => {
  const common = () => ({ project: config.project, region: config.region, deadlineMs: 8000 });

  it('for every gax-based read of a status report', async () => {
    const run = cloudRunClients(sandbox.url, true);
    const jobs = runJobsClients(sandbox.url, true);
    const functions = functionsClient(sandbox.url, true);
    const scheduler = schedulerClient(sandbox.url, true);
    const logging = loggingClient(sandbox.url, config.project, true);
    const monitoring = monitoringClient(sandbox.url, true);
    const reads = {
      'Cloud Run getService': () =>
        createCloudRunAdapter({ ...run, ...common() }).getService('nba-phase2-raw-processors'),
      'Cloud Run Jobs listExecutions': () =>
        createRunJobsAdapter({ ...jobs, ...common() }).listExecutions('nba-raw-backfill', 1),
      'Functions getFunction': () =>
        createFunctionsAdapter({ client: functions, ...common() }).getFunction(
          'phase2-to-phase3-orchestrator',
        ),
      'Scheduler getJob': () =>
        createSchedulerAdapter({ client: scheduler, ...common() }).getJob('self-heal-predictions'),
      'Logging errorsSince': () =>
        createLogsAdapter({
          logging,
          project: config.project,
          signatures: config.crashSignatures,
          deadlineMs: 8000,
        }).errorsSince(new Date(Date.now() - 3_600_000), ['nba-phase2-raw-processors']),
      'Monitoring serverErrorShare': () =>
        createMonitoringAdapter({
          client: monitoring,
          project: config.project,
          deadlineMs: 8000,
        }).serverErrorShare(['nba-phase2-raw-processors'], new Date(Date.now() - 3_600_000)),
    };
    try {
      for (const [name, read] of Object.entries(reads)) {
        const timeout = vi.spyOn(AbortSignal, 'timeout');
        const r = await read();
        expect(r.ok, `${name}: ${r.ok ? '' : r.error.message}`).toBe(true);
        expect(timeout, name).not.toHaveBeenCalled();
        timeout.mockRestore();
      }
    } finally {
      await Promise.all([
        run.services.close(),
        run.revisions.close(),
        jobs.jobs.close(),
        jobs.executions.close(),
        functions.close(),
        scheduler.close(),
        monitoring.close(),
      ]);
    }
  });
});

describe('a call the deadline gives up on', () => {
  it('is cancelled on the wire, not left open', async () => {
    const requests: IncomingMessage[] = [];
    const closed: number[] = [];
    // Accepts the request and never answers, as a stuck endpoint would.
    const silent = createServer((req) => {
      requests.push(req);
      req.resume();
      req.socket.once('close', () => closed.push(Date.now()));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const run = cloudRunClients(url, true);
    try {
      const r = await createCloudRunAdapter({
        ...run,
        project: config.project,
        region: config.region,
        deadlineMs: 300,
      }).getService('nba-phase2-raw-processors');
      expect(r.ok ? 'ok' : r.error.kind).toBe('timeout');
      expect(requests).toHaveLength(1);
      for (let i = 0; i < 100 && closed.length === 0; i++) await sleep(20);
      expect(closed, 'the request was aborted when the deadline passed').toHaveLength(1);
    } finally {
      await run.services.close();
      await run.revisions.close();
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
