/**
 * The trigger adapter against the sandbox's processors (HTTP, through the real Cloud Run client
 * for the URL) and the Pub/Sub emulator (the real PubSub client), and the push wiring that
 * carries a published message to the sandbox.
 */
import type { PubSub } from '@google-cloud/pubsub';
import { GoogleAuth, PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { pushSubscriptionName, wirePubSubPush } from '../../devstack/src/sandbox/processors.js';
import { SEED_DATE } from '../../devstack/src/sandbox/scenarios.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import type { HttpTrigger, PubSubTrigger } from '../../src/domain/ports.js';
import { cloudRunClients, createCloudRunAdapter } from '../../src/gcp/cloud-run.js';
import {
  createTriggerAdapter,
  idTokenSource,
  offlineIdToken,
  pubsubClient,
  type TriggerDeps,
} from '../../src/gcp/triggers.js';
import { testProjectId, testSubscriberClient } from '../helpers/firestore.js';

const PHASE2 = 'nba-phase2-raw-processors';
const PHASE3 = 'nba-phase3-analytics-processors';
const phase3Trigger: HttpTrigger = {
  type: 'http',
  method: 'POST',
  path: '/process-date-range',
  body: { start_date: SEED_DATE, end_date: SEED_DATE, backfill_mode: true },
};
const phase2Trigger: PubSubTrigger = {
  type: 'pubsub',
  topic: 'nba-phase2-reprocess',
  message: { processor: 'bdl_boxscores', game_date: SEED_DATE, source: 'gcs' },
};

let config: PipelineConfig;
let sandbox: Sandbox;
let clients: ReturnType<typeof cloudRunClients>;
let pubsub: PubSub;
const project = testProjectId();

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20', processorDelayMs: 50 });
  clients = cloudRunClients(sandbox.url, true);
  // The module's own factory: PUBSUB_EMULATOR_HOST is set by the global setup.
  pubsub = pubsubClient(project, true);
});

afterAll(async () => {
  const [subs] = await pubsub.getSubscriptions();
  await Promise.all(subs.map((s) => s.delete()));
  await pubsub.close();
  await clients?.services.close();
  await clients?.revisions.close();
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.setScenario('jan20');
  sandbox.clearFaults();
  sandbox.resetCounts();
});

function adapter(over: Partial<TriggerDeps> = {}) {
  const cloudRun = createCloudRunAdapter({
    ...clients,
    project: config.project,
    region: config.region,
    deadlineMs: 5000,
  });
  return createTriggerAdapter({
    cloudRun,
    idTokens: idTokenSource(true),
    pubsub,
    project,
    deadlineMs: 2000,
    ...over,
  });
}

const uri = (service: string) => sandbox.state.services.get(service)!.uri;

async function until(fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('HTTP triggers', () => {
  it('POSTs the JSON body to the service URL with an ID token for that URL', async () => {
    const audiences: string[] = [];
    const sent: { url: string; init: RequestInit }[] = [];
    const triggers = adapter({
      idTokens: async (audience) => {
        audiences.push(audience);
        return offlineIdToken(audience);
      },
      fetch: (url, init) => {
        sent.push({ url: String(url), init: init ?? {} });
        return fetch(url, init);
      },
    });
    const r = await triggers.trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
    expect(r).toEqual({ ok: true, value: { detail: `POST ${PHASE3}/process-date-range answered 200` } });

    expect(audiences).toEqual([uri(PHASE3)]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(`${uri(PHASE3)}/process-date-range`);
    const headers = new Headers(sent[0]!.init.headers);
    expect(headers.get('authorization')).toBe(`Bearer ${offlineIdToken(uri(PHASE3))}`);
    expect(headers.get('content-type')).toBe('application/json');
    // The sandbox checks the token's audience like Cloud Run: authorized means it matched.
    expect(sandbox.state.processorCalls).toMatchObject([
      {
        service: PHASE3,
        path: '/process-date-range',
        body: phase3Trigger.body,
        authorized: true,
        status: 200,
      },
    ]);
  });

  it('reads the service URL once and reuses it', async () => {
    const triggers = adapter();
    for (let i = 0; i < 3; i++) {
      const r = await triggers.trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
      expect(r.ok).toBe(true);
    }
    expect(sandbox.counts.cloudRun).toBe(1);
    expect(sandbox.counts.processors).toBe(3);
  });

  it('reports a 500 from the processor as a failure and does not retry it', async () => {
    sandbox.setFault('processors', { status: 500 });
    const r = await adapter().trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('unavailable');
    expect(r.error.message).toMatch(
      new RegExp(`^POST ${PHASE3}/process-date-range answered 500: .*sandbox fault injected into processors`),
    );
    expect(r.error.message.length).toBeLessThan(300);
    expect(sandbox.counts.processors).toBe(1);
  });

  it('times out within its deadline when the processor never answers', async () => {
    const triggers = adapter({ deadlineMs: 400 });
    // Warm the URL cache so only the hanging call is timed.
    await triggers.trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
    sandbox.setFault('processors', { hang: true });
    sandbox.resetCounts();
    const started = Date.now();
    const r = await triggers.trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
    const took = Date.now() - started;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('timeout');
    expect(r.error.message).toMatch(/no answer within 0.4 s; the phase may still have started/);
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(1500);
    expect(sandbox.counts.processors).toBe(1);
  });

  it('is denied when the token is for another audience', async () => {
    const r = await adapter({ idTokens: async () => offlineIdToken('https://elsewhere.a.run.app') }).trigger({
      service: PHASE3,
      date: SEED_DATE,
      trigger: phase3Trigger,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('denied');
    expect(r.error.message).toMatch(/answered 401: .*audience/);
  });

  it('fails without calling anything when no ID token can be had', async () => {
    const r = await adapter({
      idTokens: async () => {
        throw new Error('Cannot fetch ID token in this environment');
      },
    }).trigger({ service: PHASE3, date: SEED_DATE, trigger: phase3Trigger });
    expect(r).toMatchObject({
      ok: false,
      error: { kind: 'denied', message: expect.stringMatching(/no ID token/) },
    });
    expect(sandbox.counts.processors).toBe(0);
  });

  it('fails when the service does not exist', async () => {
    const r = await adapter().trigger({
      service: 'no-such-service',
      date: SEED_DATE,
      trigger: phase3Trigger,
    });
    expect(r).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    expect(sandbox.counts.processors).toBe(0);
  });
});

describe('Pub/Sub triggers', () => {
  it('publishes the JSON message to the topic', async () => {
    const [topic] = await pubsub.createTopic(phase2Trigger.topic);
    const [sub] = await topic.createSubscription('trigger-test-pull');
    const r = await adapter().trigger({ service: PHASE2, date: SEED_DATE, trigger: phase2Trigger });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.detail).toMatch(/^published to nba-phase2-reprocess \(message \S+\)$/);

    const subscriber = testSubscriberClient();
    try {
      let received: { data: unknown; id: string } | undefined;
      await until(async () => {
        const [res] = await subscriber.pull({ subscription: sub.name, maxMessages: 10 });
        const m = res.receivedMessages?.[0];
        if (m?.message?.data) {
          received = {
            data: JSON.parse(Buffer.from(m.message.data).toString('utf8')),
            id: m.message.messageId ?? '',
          };
          await subscriber.acknowledge({ subscription: sub.name, ackIds: [m.ackId!] });
        }
        return received !== undefined;
      });
      expect(received!.data).toEqual(phase2Trigger.message);
      expect(r.value.detail).toContain(`(message ${received!.id})`);
    } finally {
      await subscriber.close();
      await sub.delete();
    }
  });

  it('fails as not_found when the topic does not exist', async () => {
    const r = await adapter().trigger({
      service: PHASE2,
      date: SEED_DATE,
      trigger: { ...phase2Trigger, topic: 'no-such-topic' },
    });
    expect(r).toMatchObject({
      ok: false,
      error: { kind: 'not_found', message: 'topic no-such-topic does not exist' },
    });
  });

  it('reaches the sandbox processor through the push wiring, and wiring twice changes nothing', async () => {
    const wired = await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
    expect(wired).toEqual([
      {
        topic: 'nba-phase2-reprocess',
        subscription: pushSubscriptionName(PHASE2),
        endpoint: `${sandbox.url}/_svc/${PHASE2}/_pubsub`,
      },
    ]);
    expect(await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url })).toEqual(wired);

    const boxscores = () =>
      new Set(
        sandbox.state.tables
          .get('nba_raw.bdl_player_boxscores')!
          .rows.filter((row) => row.game_date === SEED_DATE)
          .map((row) => row.game_id),
      ).size;
    expect(boxscores()).toBe(4);
    const r = await adapter().trigger({ service: PHASE2, date: SEED_DATE, trigger: phase2Trigger });
    expect(r.ok).toBe(true);
    await until(() => boxscores() === 7);
    expect(sandbox.state.processorCalls).toMatchObject([
      { service: PHASE2, path: '/_pubsub', body: phase2Trigger.message, authorized: true },
    ]);
  });

  it('re-points an existing push subscription at a new sandbox URL', async () => {
    await wirePubSubPush({ pubsub, config, sandboxUrl: 'http://127.0.0.1:9' });
    const wired = await wirePubSubPush({ pubsub, config, sandboxUrl: sandbox.url });
    const [meta] = await pubsub.subscription(wired[0]!.subscription).getMetadata();
    expect(meta.pushConfig?.pushEndpoint).toBe(`${sandbox.url}/_svc/${PHASE2}/_pubsub`);
  });
});

describe('ID tokens', () => {
  it('offline: a JWT-shaped, unsigned token whose aud is the audience', async () => {
    const token = await idTokenSource(true)('https://svc-abc-uw.a.run.app');
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'none', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
      aud: 'https://svc-abc-uw.a.run.app',
    });
    expect(signature).toBeTruthy();
  });

  it('production path: one IdTokenClient per audience, its token reused until it expires', async () => {
    // An ADC client that can mint ID tokens (like the metadata server's), with no network.
    const minted: string[] = [];
    class FakeProvider extends PassThroughClient {
      async fetchIdToken(audience: string): Promise<string> {
        minted.push(audience);
        const exp = Math.floor(Date.now() / 1000) + 3600;
        const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${part({ alg: 'RS256' })}.${part({ aud: audience, exp, n: minted.length })}.sig`;
      }
    }
    const tokens = idTokenSource(false, new GoogleAuth({ authClient: new FakeProvider() }));
    const a1 = await tokens('https://a.run.app');
    const a2 = await tokens('https://a.run.app');
    const b1 = await tokens('https://b.run.app');
    expect(a2).toBe(a1);
    expect(b1).not.toBe(a1);
    expect(minted).toEqual(['https://a.run.app', 'https://b.run.app']);
  });
});
