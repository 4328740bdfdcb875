/**
 * The `incident` scenario's timeline (issue 12, offline): healthy, then a fault the watch pages on
 * (yesterday's data checks fail), then recovered, by a step, by its delay on the sandbox's clock,
 * or at once when a heal's processor runs refill the data. The control endpoint refuses what it
 * does not know; `SANDBOX_TIMELINE` is parsed strictly.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildGooglePorts } from '../../../src/app.js';
import { loadEnv, loadPipeline, type PipelineConfig } from '../../../src/config.js';
import { addDays, todayIn } from '../../../src/domain/dates.js';
import type { IsoDate } from '../../../src/domain/ports.js';
import { buildStatusReport } from '../../../src/domain/status.js';
import { createMemoryRunHistory } from '../../../src/store/memory-run-history.js';
import { alertFindings } from '../../../src/workflows/watch.js';
import { pointAt } from '../../src/local/stack.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import {
  buildScenario,
  INCIDENT_FAULT_AFTER_MS,
  INCIDENT_RECOVERY_AFTER_MS,
  missingPhaseRows,
  SEED_DATE,
  scenarioNames,
} from '../../src/sandbox/scenarios.js';
import { parseTimelineSetting, type TimelineView } from '../../src/sandbox/timeline.js';

/** 10:00 in New York on 4 March: the watch reads the 4th ("yesterday") and the 3rd… the 5th and the 4th. */
const START = new Date('2026-03-05T15:00:00Z');
let now = START;
const clock = () => now;
const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
let config: PipelineConfig;
const opened: Sandbox[] = [];

beforeAll(() => {
  config = loadPipeline('config/pipeline.example.yml');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  now = START;
});

async function open(timeline?: Parameters<typeof startSandbox>[0]['timeline']): Promise<Sandbox> {
  const sandbox = await startSandbox({
    config,
    scenario: 'incident',
    now: clock,
    processorDelayMs: 0,
    ...(timeline ? { timeline } : {}),
  });
  opened.push(sandbox);
  return sandbox;
}

async function call(sandbox: Sandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/_sandbox/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const timelineOf = async (sandbox: Sandbox) =>
  (await call(sandbox, 'GET', 'state')).body.timeline as TimelineView | null;
const step = (sandbox: Sandbox, body: unknown) => call(sandbox, 'POST', 'timeline', body);

/** What the watch would page on for `date`: the status report's failures, through the real adapters. */
async function paging(sandbox: Sandbox, date: IsoDate): Promise<string[]> {
  const ports = buildGooglePorts(pointAt(config, sandbox.url), true, {
    runHistory: createMemoryRunHistory(() => sandbox.state.runHistory, config.runHistory),
  });
  const report = await buildStatusReport(ports, config, date, now);
  return alertFindings(report.findings, date).paging.map((f) => `${f.component}: ${f.message}`);
}

const today = todayIn('America/New_York', START);
const yesterday = addDays(today, -1);

describe('SANDBOX_SCENARIO=incident', () => {
  it('is accepted by the environment and offered by the console (its list is scenarioNames)', () => {
    expect(loadEnv({ SANDBOX_SCENARIO: 'incident' }).SANDBOX_SCENARIO).toBe('incident');
    expect(scenarioNames).toContain('incident');
  });

  it('has no timeline in the other scenarios', () => {
    for (const name of scenarioNames.filter((n) => n !== 'incident')) {
      expect(buildScenario(name, config, START).timeline).toBeUndefined();
    }
  });
});

describe('the incident timeline, stepped', () => {
  it('starts healthy, pages on yesterday once the fault appears, and is clean again when recovered', {
    timeout: 60_000,
  }, async () => {
    const sandbox = await open();
    let t = await timelineOf(sandbox);
    expect(t).toMatchObject({ stage: 'healthy', index: 0, how: 'start', next: { name: 'fault', at: null } });
    expect(t!.stages.map((s) => s.name)).toEqual(['healthy', 'fault', 'recovered']);
    expect(await paging(sandbox, yesterday)).toEqual([]);
    expect(await paging(sandbox, today)).toEqual([]);

    // Manual by default: no amount of time moves it.
    later(24 * 3_600_000);
    expect((await timelineOf(sandbox))!.stage).toBe('healthy');

    const fault = await step(sandbox, { to: 'next' });
    expect(fault.status).toBe(200);
    t = fault.body.timeline as TimelineView;
    expect(t).toMatchObject({ stage: 'fault', how: 'step', since: now.toISOString() });
    expect(t.description).toContain(`Heal ${yesterday}`);
    expect((await paging(sandbox, yesterday)).sort()).toEqual([
      'Games with box scores: 4 of 7 expected',
      'Games with player analytics: 4 of 7 expected',
      'Players in the feature store: 128 of at least 224 expected',
      'Players with predictions: 128 of at least 224 expected',
    ]);
    // Only yesterday's group would alert: one message, not one per date.
    expect(await paging(sandbox, today)).toEqual([]);
    // Going to the stage it is at is answered, and changes nothing.
    expect((await step(sandbox, { to: 'fault' })).status).toBe(200);
    expect(missingPhaseRows(sandbox.state, yesterday)).toBe(4 * 3 * 32);

    const recovered = await step(sandbox, { to: 'recovered' });
    expect(recovered.body.timeline).toMatchObject({ stage: 'recovered', how: 'step', next: null });
    expect(missingPhaseRows(sandbox.state, yesterday)).toBe(0);
    expect(await paging(sandbox, yesterday)).toEqual([]);
    const last = await step(sandbox, { to: 'next' });
    expect(last.status).toBe(400);
    expect(last.body.error).toMatchObject({ status: 'FAILED_PRECONDITION' });
  });

  it('moves on as soon as a heal refills the data: the processors the heal triggers', async () => {
    const sandbox = await open();
    await step(sandbox, { to: 'fault' });
    for (const phase of config.phases) {
      const service = sandbox.state.services.get(phase.service)!;
      const trigger = phase.trigger;
      if (trigger?.type === 'pubsub') {
        const data = Buffer.from(JSON.stringify({ game_date: yesterday })).toString('base64');
        await fetch(`${service.uri}/_pubsub`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: { data, messageId: `m-${phase.id}` } }),
        });
      } else if (trigger?.type === 'http') {
        const jwt = [{ alg: 'RS256' }, { aud: service.uri }, 'sig']
          .map((p) => Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)).toString('base64url'))
          .join('.');
        const res = await fetch(`${service.uri}${trigger.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
          body: JSON.stringify({ date: yesterday }),
        });
        expect(res.status).toBe(200);
      }
    }
    expect(sandbox.state.processorCalls.map((c) => c.status)).toEqual([204, 200, 200, 200]);
    await expect.poll(() => missingPhaseRows(sandbox.state, yesterday)).toBe(0);
    const t = await timelineOf(sandbox);
    expect(t).toMatchObject({ stage: 'recovered', how: 'mended', since: now.toISOString() });
  });

  it('works on the seed date too (the demo run on 2026-01-21): 4 of its 7 games lost', () => {
    const state = buildScenario('incident', config, new Date('2026-01-21T15:00:00Z'));
    expect(missingPhaseRows(state, SEED_DATE)).toBe(0);
    state.timeline!.stages[1]!.apply(state, new Date('2026-01-21T15:00:10Z'));
    expect(missingPhaseRows(state, SEED_DATE)).toBe(4 * 3 * 32);
  });
});

describe('the incident timeline, by itself on the sandbox clock', () => {
  it('auto: the fault after its delay, recovery after the next, each counted from when the last was due', async () => {
    const sandbox = await open('auto');
    later(INCIDENT_FAULT_AFTER_MS - 1000);
    let t = await timelineOf(sandbox);
    expect(t).toMatchObject({ stage: 'healthy', next: { name: 'fault', inMs: 1000 } });
    later(1000);
    t = await timelineOf(sandbox);
    expect(t).toMatchObject({ stage: 'fault', how: 'timer', since: now.toISOString() });
    expect(t!.next).toMatchObject({ name: 'recovered', inMs: INCIDENT_RECOVERY_AFTER_MS });
    later(INCIDENT_RECOVERY_AFTER_MS + 5000);
    t = await timelineOf(sandbox);
    expect(t).toMatchObject({
      stage: 'recovered',
      how: 'timer',
      since: new Date(now.getTime() - 5000).toISOString(),
    });
    expect(missingPhaseRows(sandbox.state, yesterday)).toBe(0);
  });

  it('catches up several stages at once, and a Google API request moves it as well as the control API', async () => {
    const sandbox = await open([1000, 2000]);
    later(10_000);
    // Any request (here BigQuery's, as the watch's data checks make) brings the timeline up to date.
    const table = await fetch(
      `${sandbox.url}/bigquery/v2/projects/${config.project}/datasets/nba_raw/tables/bdl_player_boxscores`,
    );
    expect(table.status).toBe(200);
    expect(sandbox.state.timeline).toMatchObject({
      current: 2,
      how: 'timer',
      since: new Date(START.getTime() + 3000),
    });
  });

  it('a missing delay leaves that stage to a step', async () => {
    const sandbox = await open([1000, null]);
    later(3_600_000);
    expect(await timelineOf(sandbox)).toMatchObject({
      stage: 'fault',
      next: { name: 'recovered', at: null },
    });
  });

  it('starts over when the scenario is switched again', async () => {
    const sandbox = await open();
    await step(sandbox, { to: 'recovered' });
    await call(sandbox, 'POST', 'scenario', { name: 'incident' });
    expect(await timelineOf(sandbox)).toMatchObject({ stage: 'healthy', how: 'start' });
  });
});

describe('POST /_sandbox/timeline refuses what it does not know', () => {
  it.each([
    [
      'a stage that does not exist',
      { to: 'meltdown' },
      'INVALID_ARGUMENT',
      /unknown stage "meltdown": one of healthy, fault, recovered/,
    ],
    ['no "to"', {}, 'INVALID_ARGUMENT', /missing "to"/],
    ['"to" not a string', { to: 1 }, 'INVALID_ARGUMENT', /missing "to"/],
    ['an unknown field', { to: 'next', force: true }, 'INVALID_ARGUMENT', /unknown field "force"/],
    ['an array', ['next'], 'INVALID_ARGUMENT', /not a JSON object/],
    ['text, not JSON', 'next', 'INVALID_ARGUMENT', /not a JSON object/],
  ])('%s: 400 and the stage unchanged', async (_name, body, status, message) => {
    const sandbox = await open();
    const answer = await step(sandbox, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 400, status, message: expect.stringMatching(message) });
    expect((await timelineOf(sandbox))!.stage).toBe('healthy');
  });

  it('a stage behind the timeline: 400 FAILED_PRECONDITION (stages only move forward)', async () => {
    const sandbox = await open();
    await step(sandbox, { to: 'fault' });
    const answer = await step(sandbox, { to: 'healthy' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      status: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/behind/),
    });
    expect((await timelineOf(sandbox))!.stage).toBe('fault');
  });

  it('a scenario without a timeline: refused, and the state says there is none', async () => {
    const sandbox = await open();
    await call(sandbox, 'POST', 'scenario', { name: 'healthy' });
    const answer = await step(sandbox, { to: 'next' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      status: 'FAILED_PRECONDITION',
      message: 'scenario healthy has no timeline',
    });
    expect(await timelineOf(sandbox)).toBeNull();
    expect((await call(sandbox, 'GET', 'timeline')).status).toBe(404);
  });
});

describe('SANDBOX_TIMELINE', () => {
  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['auto', 'auto'],
    ['manual', 'manual'],
    ['10,300', [10_000, 300_000]],
    [' 2.5 , - ', [2500, null]],
  ])('%j is %j', (text, value) => {
    expect(parseTimelineSetting(text)).toEqual({ ok: true, value });
  });

  it.each(['soon', '-5', '10,,300', '1e3', '10;300', '999999'])(
    '%j is refused, naming the variable',
    (text) => {
      const parsed = parseTimelineSetting(text);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.message).toMatch(/^SANDBOX_TIMELINE: auto, manual, or the seconds/);
    },
  );

  it('unset falls back to what the caller says', () => {
    expect(parseTimelineSetting(undefined, 'manual')).toEqual({ ok: true, value: 'manual' });
  });
});
