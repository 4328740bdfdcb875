/** The Cloud Scheduler adapter on the real @google-cloud/scheduler client, against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { createSchedulerAdapter, schedulerClient } from '../../src/gcp/scheduler.js';

let config: PipelineConfig;
let sandbox: Sandbox;
let client: ReturnType<typeof schedulerClient>;
let job: string;

const adapter = (deadlineMs?: number) =>
  createSchedulerAdapter({
    client,
    project: config.project,
    region: config.region,
    deadlineMs: deadlineMs ?? config.limits.callDeadlineMs,
  });

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  job = config.selfHeal!.schedulerJob;
  sandbox = await startSandbox({ config, scenario: 'jan20' });
  client = schedulerClient(sandbox.url, true);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

describe('reading a job', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('reports the self-heal job as configured, with its last and next run', async () => {
    const sim = sandbox.state.schedulerJobs.get(job)!;
    const r = await adapter().getJob(job);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual({
      name: job,
      state: 'ENABLED',
      schedule: '45 12 * * *',
      timeZone: 'America/New_York',
      lastAttemptTime: sim.lastAttemptTime!.toISOString(),
      lastStatus: { code: 0, message: '' },
      nextRunTime: sim.nextRunTime!.toISOString(),
    });
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(r.value.lastAttemptTime!));
    expect(local).toBe('12:45');
  });

  it('carries a failed attempt status', async () => {
    sandbox.state.schedulerJobs.get(job)!.status = { code: 13, message: 'HTTP 500' };
    const r = await adapter().getJob(job);
    expect(r.ok && r.value.lastStatus).toEqual({ code: 13, message: 'HTTP 500' });
  });

  it('answers not_found for an unknown job', async () => {
    const r = await adapter().getJob('no-such-job');
    expect(r.ok ? 'ok' : r.error.kind).toBe('not_found');
  });

  it('retries a 503 and then answers unavailable', async () => {
    sandbox.setFault('scheduler', { status: 503 });
    const before = sandbox.counts.scheduler;
    try {
      const r = await adapter().getJob(job);
      expect(r.ok ? 'ok' : r.error.kind).toBe('unavailable');
      expect(sandbox.counts.scheduler - before).toBe(3);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('gives up on a silent server at the deadline', async () => {
    sandbox.setFault('scheduler', { hang: true });
    const started = performance.now();
    try {
      const r = await adapter(300).getJob(job);
      expect(r.ok ? 'ok' : r.error.kind).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      sandbox.clearFaults();
    }
  });
});

describe('changing a job', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('pauses and resumes, and a second pause or resume still succeeds', async () => {
    const scheduler = adapter();
    const paused = await scheduler.pause(job);
    expect(paused.ok && paused.value.state).toBe('PAUSED');
    expect(sandbox.state.schedulerJobs.get(job)!.state).toBe('PAUSED');
    const read = await scheduler.getJob(job);
    expect(read.ok && read.value.state).toBe('PAUSED');
    const again = await scheduler.pause(job);
    expect(again.ok && again.value.state).toBe('PAUSED');

    const resumed = await scheduler.resume(job);
    expect(resumed.ok && resumed.value.state).toBe('ENABLED');
    expect(sandbox.state.schedulerJobs.get(job)!.state).toBe('ENABLED');
    if (resumed.ok) expect(Date.parse(resumed.value.nextRunTime!)).toBeGreaterThan(Date.now());
    const twice = await scheduler.resume(job);
    expect(twice.ok && twice.value.state).toBe('ENABLED');
  });

  it('refuses to pause a disabled job', async () => {
    sandbox.state.schedulerJobs.get(job)!.state = 'DISABLED';
    try {
      const r = await adapter().pause(job);
      expect(r.ok ? 'ok' : r.error.kind).toBe('invalid');
    } finally {
      sandbox.state.schedulerJobs.get(job)!.state = 'ENABLED';
    }
  });

  it('runs the job now, recording the attempt', async () => {
    const before = sandbox.state.schedulerJobs.get(job)!.lastAttemptTime!.toISOString();
    const startedAt = new Date(Date.now() - 1000).toISOString();
    const r = await adapter().run(job);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.state).toBe('ENABLED');
    expect(r.value.lastAttemptTime).not.toBe(before);
    expect(r.value.lastAttemptTime! >= startedAt).toBe(true);
    const read = await adapter().getJob(job);
    expect(read.ok && read.value.lastAttemptTime).toBe(r.value.lastAttemptTime);
  });

  it('does not retry a run that failed', async () => {
    sandbox.setFault('scheduler', { status: 503 });
    const before = sandbox.counts.scheduler;
    try {
      const r = await adapter().run(job);
      expect(r.ok ? 'ok' : r.error.kind).toBe('unavailable');
      expect(sandbox.counts.scheduler - before).toBe(1);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('answers not_found when pausing an unknown job', async () => {
    const r = await adapter().pause('no-such-job');
    expect(r.ok ? 'ok' : r.error.kind).toBe('not_found');
  });
});
