/**
 * The sandbox's Cloud Run, Functions and Scheduler answers checked against the protos the
 * real client packages ship: no unknown field, no unknown enum value, well-formed times,
 * and the same message whether enums are sent as names or numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentsOf, loadPipeline, type PipelineConfig } from '../../../src/config.js';
import { functionNames, serviceNames } from '../../../src/domain/status.js';
import { decodeAsClient, loadProtos, protoProblems } from '../../../tests/helpers/proto-check.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

const runProtos = loadProtos('run');
const functionProtos = loadProtos('functions');
const schedulerProtos = loadProtos('scheduler');

let config: PipelineConfig;
let sandbox: Sandbox;
let location: string;

beforeAll(async () => {
  config = loadPipeline('config/pipeline.example.yml');
  sandbox = await startSandbox({ config, scenario: 'jan20' });
  location = `projects/${config.project}/locations/${config.region}`;
});

afterAll(async () => {
  await sandbox?.close();
});

/** Fetch as the gax clients do: enums as numbers unless `names`. */
async function call(
  path: string,
  opts: { names?: boolean; method?: string; body?: unknown; query?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(`${sandbox.url}/${path}`);
  if (!opts.names) u.searchParams.set('$alt', 'json;enum-encoding=int');
  for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
  const res = await fetch(u, {
    method: opts.method ?? 'GET',
    ...(opts.body === undefined
      ? {}
      : { body: JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Check both encodings against `typeName` and that they decode to the same message. */
async function checkBoth(root: ReturnType<typeof loadProtos>, typeName: string, path: string) {
  const ints = await call(path);
  const names = await call(path, { names: true });
  expect(ints.status, path).toBe(200);
  expect(protoProblems(root, typeName, ints.json), `${path} (enum numbers)`).toEqual([]);
  expect(protoProblems(root, typeName, names.json), `${path} (enum names)`).toEqual([]);
  expect(decodeAsClient(root, typeName, ints.json)).toEqual(decodeAsClient(root, typeName, names.json));
  return names.json;
}

describe('the checker itself', () => {
  it('fails on unknown fields, bad enum values, bad times and wrong scalar types', () => {
    const t = 'google.cloud.run.v2.Service';
    expect(protoProblems(runProtos, t, { name: 'x' })).toEqual([]);
    expect(protoProblems(runProtos, t, { nmae: 'x' })).toEqual([expect.stringContaining('no field "nmae"')]);
    expect(protoProblems(runProtos, t, { terminalCondition: { state: 'SUCCEEDED' } })).toEqual([
      expect.stringContaining('not a value of'),
    ]);
    expect(protoProblems(runProtos, t, { terminalCondition: { state: 99 } })).not.toEqual([]);
    expect(protoProblems(runProtos, t, { updateTime: '2026-01-20 10:00' })).not.toEqual([]);
    expect(protoProblems(runProtos, t, { generation: 3 })).not.toEqual([]);
    expect(protoProblems(runProtos, t, { traffic: { percent: 100 } })).not.toEqual([]);
    expect(
      protoProblems(runProtos, t, {
        terminalCondition: { reason: 'REVISION_FAILED', revisionReason: 'PENDING' },
      }),
    ).toContainEqual(expect.stringContaining('oneof reasons already set'));
    expect(
      protoProblems(runProtos, 'google.longrunning.Operation', {
        name: 'o',
        response: { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', nmae: 'x' },
      }),
    ).toEqual([expect.stringContaining('no field "nmae"')]);
  });
});

describe('Cloud Run v2', () => {
  it('serves Service and Revision messages for every service and revision', async () => {
    const list = await checkBoth(
      runProtos,
      'google.cloud.run.v2.ListServicesResponse',
      `v2/${location}/services`,
    );
    const services = list.services as { name: string }[];
    expect(services.map((s) => s.name.split('/').at(-1)).sort()).toEqual(serviceNames(config).sort());
    let revisionsSeen = 0;
    for (const s of services) {
      await checkBoth(runProtos, 'google.cloud.run.v2.Service', `v2/${s.name}`);
      const revs = await checkBoth(
        runProtos,
        'google.cloud.run.v2.ListRevisionsResponse',
        `v2/${s.name}/revisions`,
      );
      for (const r of revs.revisions as { name: string }[]) {
        await checkBoth(runProtos, 'google.cloud.run.v2.Revision', `v2/${r.name}`);
        revisionsSeen++;
      }
    }
    expect(revisionsSeen).toBeGreaterThanOrEqual(2 * services.length);
  });

  it('names revisions in full where the API does, and by short name in traffic', async () => {
    const { json } = await call(`v2/${location}/services/nba-phase4-precompute-processors`, { names: true });
    expect(json.latestCreatedRevision).toMatch(
      new RegExp(
        `^${location}/services/nba-phase4-precompute-processors/revisions/nba-phase4-precompute-processors-00049-`,
      ),
    );
    expect(json.traffic).toEqual([
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: expect.stringMatching(/^nba-phase4-precompute-processors-00048-[a-z]{3}$/),
        percent: 100,
      },
    ]);
    expect(json.terminalCondition).toMatchObject({
      type: 'Ready',
      state: 'CONDITION_FAILED',
      reason: 'REVISION_FAILED',
    });
    // What the clients ask for (`enum-encoding=int`): the same values as numbers.
    const ints = await call(`v2/${location}/services/nba-phase4-precompute-processors`);
    expect(ints.json.terminalCondition).toMatchObject({ state: 3, reason: 3 });
    expect(ints.json.traffic).toEqual([expect.objectContaining({ type: 2 })]);
  });

  it('pages the service list by pageSize', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const { json } = await call(`v2/${location}/services`, {
        query: { pageSize: '1', ...(token ? { pageToken: token } : {}) },
      });
      const page = json.services as { name: string }[];
      expect(page).toHaveLength(1);
      names.push(...page.map((s) => s.name));
      token = json.nextPageToken as string | undefined;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBe(serviceNames(config).length);
    expect(new Set(names).size).toBe(serviceNames(config).length);
  });

  it('answers a traffic PATCH with an Operation and its poll with the updated Service', async () => {
    const svc = sandbox.state.services.get('nba-phase3-analytics-processors')!;
    const older = svc.revisions[0]!.name;
    const patch = await call(`v2/${location}/services/${svc.name}`, {
      method: 'PATCH',
      query: { updateMask: 'traffic' },
      body: { traffic: [{ type: 2, revision: older, percent: 100 }] },
    });
    expect(patch.status).toBe(200);
    expect(protoProblems(runProtos, 'google.longrunning.Operation', patch.json)).toEqual([]);
    const polled = await call(`v2/${patch.json.name}`, { names: true });
    expect(protoProblems(runProtos, 'google.longrunning.Operation', polled.json)).toEqual([]);
    expect(polled.json).toMatchObject({
      done: true,
      response: { traffic: [{ revision: older, percent: 100 }] },
    });
  });

  it('answers 404 with a Google error body for unknown names and foreign locations', async () => {
    for (const path of [
      `v2/${location}/services/no-such-service`,
      `v2/${location}/services/nba-phase4-precompute-processors/revisions/no-such-revision`,
      `v2/projects/other-project/locations/${config.region}/services/nba-phase4-precompute-processors`,
      `v2/projects/${config.project}/locations/europe-west1/services`,
    ]) {
      const { status, json } = await call(path);
      expect(status, path).toBe(404);
      expect(json, path).toEqual({ error: { code: 404, message: expect.any(String), status: 'NOT_FOUND' } });
    }
  });
});

describe('Cloud Functions v2', () => {
  it('serves Function messages, with a Pub/Sub trigger only where there is a topic', async () => {
    const list = await checkBoth(
      functionProtos,
      'google.cloud.functions.v2.ListFunctionsResponse',
      `v2/${location}/functions`,
    );
    const fns = list.functions as {
      name: string;
      eventTrigger?: { pubsubTopic: string; eventType: string };
    }[];
    expect(fns).toHaveLength(functionNames(config).length);
    for (const f of fns) {
      const json = await checkBoth(functionProtos, 'google.cloud.functions.v2.Function', `v2/${f.name}`);
      expect(json).toMatchObject({ environment: 'GEN_2', serviceConfig: { revision: expect.any(String) } });
    }
    const orchestrator = config.orchestrators[0]!;
    const withTopic = fns.find((f) => f.name.endsWith(`/functions/${orchestrator.name}`));
    expect(withTopic?.eventTrigger).toMatchObject({
      pubsubTopic: `projects/${config.project}/topics/${orchestrator.topic}`,
      eventType: 'google.cloud.pubsub.topic.v1.messagePublished',
    });
    const selfHeal = fns.find((f) => f.name.endsWith(`/functions/${config.selfHeal!.function}`));
    expect(selfHeal).toBeDefined();
    expect(selfHeal?.eventTrigger).toBeUndefined();
  });
});

describe('Cloud Scheduler v1', () => {
  it('serves Job messages from get, list and the verbs', async () => {
    const list = await checkBoth(
      schedulerProtos,
      'google.cloud.scheduler.v1.ListJobsResponse',
      `v1/${location}/jobs`,
    );
    expect(list.jobs).toHaveLength(componentsOf(config, 'schedulerJob').length);
    const name = `v1/${location}/jobs/${config.selfHeal!.schedulerJob}`;
    await checkBoth(schedulerProtos, 'google.cloud.scheduler.v1.Job', name);
    for (const verb of ['pause', 'resume', 'run']) {
      const { status, json } = await call(`${name}:${verb}`, { method: 'POST', body: {} });
      expect(status, verb).toBe(200);
      expect(protoProblems(schedulerProtos, 'google.cloud.scheduler.v1.Job', json), verb).toEqual([]);
    }
    const refused = await call(`${name}:resume`, { method: 'POST', body: {} });
    expect(refused).toEqual({
      status: 400,
      json: { error: { code: 400, message: expect.any(String), status: 'FAILED_PRECONDITION' } },
    });
  });
});
