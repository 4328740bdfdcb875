/**
 * The bot as a process, started the way `npm start` and Cloud Run start it: configuration
 * errors stop it before it listens, SIGTERM lets a command in flight finish and exits 0, a bot
 * whose YAML `endpoints` point at a sandbox started separately reads that sandbox's state, and
 * the terminal demo answers `/pipeline status`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { componentsOf } from '../../src/config.js';
import { serviceNames } from '../../src/domain/status.js';
import { blockText } from '../helpers/e2e.js';
import { firestoreHost, pubsubHost, testProjectId } from '../helpers/firestore.js';
import {
  botAgainstFakeSlack,
  freePort,
  pipelineYaml,
  root,
  run,
  SECRET,
  seededSandbox,
} from '../helpers/process.js';

describe('configuration errors stop the process before it listens', () => {
  it('a broken pipeline YAML: non-zero exit, the file and the key path named', async () => {
    const file = pipelineYaml({ edit: (t) => t.replace(/^region: .*$/m, 'region: "US West"') });
    const port = await freePort();
    const p = run('src/main.ts', {
      SLACK_BOT_TOKEN: 'xoxb-process-test',
      SLACK_SIGNING_SECRET: SECRET,
      PORT: String(port),
      PIPELINE_CONFIG: file,
    });
    const code = await p.exited;
    expect(code, p.stderr()).not.toBe(0);
    expect(p.stderr()).toContain(file);
    expect(p.stderr()).toMatch(/^\s*- region: a region such as us-west2$/m);
    expect(p.stdout()).not.toContain('bot started');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('a missing environment variable: non-zero exit naming it', async () => {
    const p = run('src/main.ts', {
      SLACK_BOT_TOKEN: 'xoxb-process-test',
      PORT: String(await freePort()),
    });
    const code = await p.exited;
    expect(code, p.stderr()).not.toBe(0);
    expect(p.stderr()).toMatch(/SLACK_SIGNING_SECRET: required/);
    expect(p.stderr()).not.toMatch(/SLACK_BOT_TOKEN:/);
    expect(p.stdout()).not.toContain('bot started');
  });
});

describe('production refuses to start half-configured (exit 78, never the demo)', () => {
  async function refused(env: Record<string, string>, message: RegExp): Promise<void> {
    const port = await freePort();
    const p = run('src/main.ts', { PORT: String(port), ...env });
    const code = await p.exited;
    expect(code, p.stderr()).toBe(78);
    expect(p.stderr()).toMatch(message);
    expect(p.stdout()).not.toMatch(/Offline demo|Console:|bot started/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }

  it('on Cloud Run with no Slack credentials at all', async () => {
    await refused(
      { K_SERVICE: 'pipeline-bot' },
      /on Cloud Run[\s\S]*SLACK_BOT_TOKEN: required[\s\S]*SLACK_SIGNING_SECRET: required/,
    );
  });

  it('with NODE_ENV=production and only a bot token', async () => {
    await refused(
      { NODE_ENV: 'production', SLACK_BOT_TOKEN: 'xoxb-process-test' },
      /NODE_ENV=production[\s\S]*SLACK_SIGNING_SECRET: required/,
    );
  });

  it('the production entry point with no Slack credentials points at `npm start`', async () => {
    await refused({}, /no Slack credentials[\s\S]*The offline demo is `npm start`/);
  });

  it('with SANDBOX=1', async () => {
    await refused(
      {
        K_SERVICE: 'pipeline-bot',
        SLACK_BOT_TOKEN: 'xoxb-process-test',
        SLACK_SIGNING_SECRET: SECRET,
        SANDBOX: '1',
      },
      /SANDBOX: the sandbox never runs/,
    );
  });

  it('with an invalid pipeline YAML', async () => {
    const file = pipelineYaml({ edit: (t) => t.replace(/^region: .*$/m, 'region: "US West"') });
    await refused(
      {
        K_SERVICE: 'pipeline-bot',
        SLACK_BOT_TOKEN: 'xoxb-process-test',
        SLACK_SIGNING_SECRET: SECRET,
        PIPELINE_CONFIG: file,
      },
      /- region: a region such as us-west2/,
    );
  });

  it('with an endpoint that is plain http://', async () => {
    const file = pipelineYaml({ sandboxUrl: 'http://127.0.0.1:9' });
    await refused(
      {
        NODE_ENV: 'production',
        SLACK_BOT_TOKEN: 'xoxb-process-test',
        SLACK_SIGNING_SECRET: SECRET,
        PIPELINE_CONFIG: file,
      },
      /endpoints\.cloudRun: http:\/\/127\.0\.0\.1:9 is plain http:\/\//,
    );
  });

  it('with alerts that nothing would drive (no alerts.scheduler, no WATCH_INTERVAL_SECONDS)', async () => {
    const file = pipelineYaml({
      edit: (t) => {
        const undriven = t.replace(/^ {2}scheduler:\n(?: {4}.*\n)+/m, '');
        expect(undriven).not.toBe(t);
        return undriven;
      },
    });
    await refused(
      {
        K_SERVICE: 'pipeline-bot',
        SLACK_BOT_TOKEN: 'xoxb-process-test',
        SLACK_SIGNING_SECRET: SECRET,
        PIPELINE_CONFIG: file,
      },
      /alerts\.scheduler: [^\n]*nothing would run the watch/,
    );
  });
});

describe('a bot process pointed at a sandbox started separately', () => {
  let _db: Firestore;
  beforeAll(() => {
    // Fail early with a clear message when the global setup did not run.
    firestoreHost();
  });

  it('SIGTERM during a command lets it finish, reading the separate sandbox, then exits 0', async () => {
    const seeded = await seededSandbox();
    const { project, config, sandbox } = seeded;
    _db = seeded.db;
    // A state no scenario has: a canary revision of phase 2 taking 70% of the traffic.
    const svc = sandbox.state.services.get('nba-phase2-raw-processors')!;
    const previous = svc.latestReadyRevision;
    const canary = 'nba-phase2-raw-processors-00777-zzz';
    svc.revisions.push({ name: canary, createTime: new Date(), ready: { state: 'CONDITION_SUCCEEDED' } });
    svc.latestCreatedRevision = canary;
    svc.latestReadyRevision = canary;
    svc.traffic = [
      { latest: false, revision: canary, percent: 70 },
      { latest: false, revision: previous, percent: 30 },
    ];
    // Slow enough that SIGTERM arrives while the command is still working.
    sandbox.setFault('cloudRun', { latencyMs: 1500 });

    const { fake, bot, driver } = await botAgainstFakeSlack(
      pipelineYaml({ project, sandboxUrl: sandbox.url }),
      (env) => run('src/main.ts', env),
    );
    sandbox.resetCounts();

    const mark = fake.mark();
    const delivery = await driver.command('/pipeline status 2026-01-20');
    expect(delivery.status).toBe(200);
    const termAt = Date.now();
    bot.child.kill('SIGTERM');
    // A second one (a supervisor relaying it, an impatient operator) must not cut the drain short.
    await sleep(200);
    bot.child.kill('SIGTERM');

    expect(await bot.exited, `stdout:\n${bot.stdout()}\nstderr:\n${bot.stderr()}`).toBe(0);
    const replies = fake.calls('response_url').filter((c) => c.seq > mark);
    expect(replies, fake.describeCalls()).toHaveLength(1);
    const reply = replies[0]!;
    // The reply was made after SIGTERM: the drain, not a race won before the signal.
    expect(reply.at).toBeGreaterThanOrEqual(termAt);
    const text = blockText(reply.body.blocks);
    expect(text).toMatch(
      /nba-phase2-raw-processors[^\n]*00777-zzz · 70% traffic · traffic split: 00777-zzz 70%, 00105-4g2 30%/,
    );
    expect(text).toMatch(/nba-phase4-precompute-processors[^\n]*latest revision 00049-\w+ is not ready/);
    // Each service, and each Cloud Run Job's latest execution (the same Admin API).
    expect(sandbox.counts.cloudRun).toBe(serviceNames(config).length + componentsOf(config, 'job').length);
    expect(bot.stdout()).toContain('"shutting down"');
  });

  it('`npm run sandbox` in its own process: the bot reads the scenario and faults it was given', async () => {
    const project = testProjectId();
    const file = pipelineYaml({ project });
    const sb = run('devstack/src/sandbox/main.ts', {
      PIPELINE_CONFIG: file,
      SANDBOX_SCENARIO: 'healthy',
      FIRESTORE_EMULATOR_HOST: firestoreHost(),
    });
    const sandboxUrl = (await sb.waitForStdout(/ at (http:\/\/127\.0\.0\.1:\d+)\n/))[1]!;
    // Tell it, over its control API, to refuse the scheduler: a state the bot can only see by asking it.
    const fault = await fetch(`${sandboxUrl}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api: 'scheduler', status: 403 }),
    });
    expect(fault.status).toBe(200);

    const { fake, bot, driver } = await botAgainstFakeSlack(pipelineYaml({ project, sandboxUrl }), (env) =>
      run('src/main.ts', env),
    );
    const mark = fake.mark();
    expect((await driver.command('/pipeline status 2026-01-20')).status).toBe(200);
    const reply = await fake.waitForCall('response_url', undefined, { since: mark, timeoutMs: 30_000 });
    const text = blockText(reply.body.blocks);
    // healthy: every service on its revision 00012 with all traffic, the data complete …
    for (const s of ['nba-phase2-raw-processors', 'nba-phase3-analytics-processors']) {
      expect(text).toMatch(new RegExp(`${s}[^\\n]*00012-\\w+ · 100% traffic`));
    }
    expect(text).toMatch(/Players with predictions[^\n]*224 of at least 224/);
    // … and the scheduler refused, as that process was told.
    expect(text).toMatch(/self-heal-predictions[^\n]*permission denied/);
    const state = (await (await fetch(`${sandboxUrl}/_sandbox/state`)).json()) as {
      scenario: string;
      counts: Record<string, number>;
    };
    expect(state.scenario).toBe('healthy');
    expect(state.counts.cloudRun).toBeGreaterThanOrEqual(4);

    bot.child.kill('SIGTERM');
    sb.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(await sb.exited, sb.stderr()).toBe(0);
  });
});

describe('the terminal demo', () => {
  it('`npm start` with no credentials: the console answers, and /pipeline status typed on stdin; exits cleanly at end of input', async () => {
    // What `npm start` runs (package.json), with no Slack variable at all.
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    expect(scripts.start).toBe('node --import tsx devstack/src/start.ts');
    const demo = run('devstack/src/start.ts', {
      // The demo's web console listens on PORT; the terminal reads stdin.
      PORT: String(await freePort()),
      DEMO_TERMINAL: '1',
      // Reuse the global setup's emulators instead of starting new ones; a project of its own.
      FIRESTORE_EMULATOR_HOST: firestoreHost(),
      PUBSUB_EMULATOR_HOST: pubsubHost(),
      GOOGLE_CLOUD_PROJECT: testProjectId(),
    });
    const [, consoleUrl] = await demo.waitForStdout(/Console: (http:\/\/127\.0\.0\.1:\d+\/console)\n/);
    const page = await fetch(consoleUrl!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    demo.child.stdin.write('/pipeline status 2026-01-20\n');
    await demo.waitForStdout(/Cloud Run services[\s\S]*nba-phase3-analytics-processors/);
    await demo.waitForStdout(/Players with predictions/);
    expect(demo.stdout()).toContain('Offline demo');
    expect(demo.stdout()).toMatch(/nba-phase4-precompute-processors.*00049/);
    demo.child.stdin.end();
    expect(await demo.exited, demo.stderr()).toBe(0);
  });
});
