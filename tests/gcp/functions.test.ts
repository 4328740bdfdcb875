/** The Cloud Functions adapter on the real @google-cloud/functions v2 client, against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { createFunctionsAdapter, functionsClient } from '../../src/gcp/functions.js';

let config: PipelineConfig;
let sandbox: Sandbox;
let client: ReturnType<typeof functionsClient>;

const adapter = (deadlineMs?: number) =>
  createFunctionsAdapter({
    client,
    project: config.project,
    region: config.region,
    deadlineMs: deadlineMs ?? config.limits.callDeadlineMs,
  });

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'healthy' });
  client = functionsClient(sandbox.url, true);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

describe('healthy scenario', () => {
  beforeAll(() => sandbox.setScenario('healthy'));

  it('reports every orchestrator active with its trigger topic', async () => {
    const fns = adapter();
    for (const o of config.orchestrators) {
      const r = await fns.getFunction(o.name);
      if (!r.ok) throw new Error(`${o.name}: ${r.error.kind} ${r.error.message}`);
      expect(r.value).toEqual({
        name: o.name,
        state: 'ACTIVE',
        revision: sandbox.state.functions.get(o.name)!.revision,
        triggerTopic: o.topic,
        trigger: { type: 'pubsub', topic: o.topic },
        updateTime: sandbox.state.functions.get(o.name)!.updateTime.toISOString(),
        stateMessages: [],
      });
    }
  });

  it('reports the self-heal function without a trigger topic', async () => {
    const r = await adapter().getFunction(config.selfHeal!.function);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.state).toBe('ACTIVE');
    expect(r.value.triggerTopic).toBeUndefined();
    expect(r.value.trigger).toEqual({ type: 'http' });
    expect(r.value.revision).toMatch(/^self-heal-predictions-\d{5}-[a-z]{3}$/);
  });
});

describe('any trigger', () => {
  it('reads an Eventarc trigger other than Pub/Sub by its event type', async () => {
    sandbox.setScenario('healthy');
    const fn = sandbox.state.functions.get(config.selfHeal!.function)!;
    fn.eventType = 'google.cloud.storage.object.v1.finalized';
    const r = await adapter().getFunction(fn.name);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.trigger).toEqual({
      type: 'eventarc',
      eventType: 'google.cloud.storage.object.v1.finalized',
    });
    sandbox.setScenario('healthy');
  });
});

describe('jan20 scenario', () => {
  beforeAll(() => sandbox.setScenario('jan20'));

  it('shows phase5-to-phase6 stuck DEPLOYING on the missing shared module', async () => {
    const r = await adapter().getFunction('phase5-to-phase6-orchestrator');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toMatchObject({
      state: 'DEPLOYING',
      revision: 'phase5-to-phase6-orchestrator-00003-wuv',
      triggerTopic: 'nba-phase5-predictions-complete',
    });
    expect(r.value.stateMessages).toEqual([
      {
        severity: 'ERROR',
        type: 'BuildFailed',
        message: expect.stringContaining("ModuleNotFoundError: No module named 'shared'"),
      },
    ]);
  });

  it('shows the revisions the seed report names', async () => {
    const r = await adapter().getFunction('phase2-to-phase3-orchestrator');
    expect(r.ok && r.value.revision).toBe('phase2-to-phase3-orchestrator-00011-jax');
  });

  it('answers not_found for an unknown function', async () => {
    const r = await adapter().getFunction('no-such-function');
    expect(r.ok ? 'ok' : r.error.kind).toBe('not_found');
  });

  it('retries a 503 and then answers unavailable', async () => {
    sandbox.setFault('functions', { status: 503 });
    const before = sandbox.counts.functions;
    try {
      const r = await adapter().getFunction('phase5-to-phase6-orchestrator');
      expect(r.ok ? 'ok' : r.error.kind).toBe('unavailable');
      expect(sandbox.counts.functions - before).toBe(3);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('gives up on a silent server at the deadline', async () => {
    sandbox.setFault('functions', { hang: true });
    const started = performance.now();
    try {
      const r = await adapter(300).getFunction('phase5-to-phase6-orchestrator');
      expect(r.ok ? 'ok' : r.error.kind).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      sandbox.clearFaults();
    }
  });
});
