/**
 * The bot as a process, started the way `npm start` and Cloud Run start it: configuration
 * errors stop it before it listens, SIGTERM lets a command in flight finish and exits 0, a bot
 * whose YAML `endpoints` point at a sandbox started separately reads that sandbox's state, and
 * the terminal demo answers `/pipeline status`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { componentsOf, loadPipeline } from '../../src/config.js';
import { serviceNames } from '../../src/domain/status.js';
import { createDriver } from '../../src/local/driver.js';
import { type FakeSlack, startFakeSlack } from '../../src/local/fake-slack.js';
import { seedRunHistory } from '../../src/sandbox/firestore-seed.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { blockText } from '../helpers/e2e.js';
import { firestoreHost, pubsubHost, testFirestore, testProjectId } from '../helpers/firestore.js';

const root = resolve(import.meta.dirname, '../..');
const example = join(root, 'config/pipeline.example.yml');
const SECRET = 'process-test-signing-secret';

/** A spawned process with everything it printed, and its exit. */
interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Exit code, or 128 + signal number when killed by a signal. */
  exited: Promise<number>;
  /** Resolves once stdout matches `pattern`; rejects with the output when the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

const running: Proc[] = [];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      // Its own process group: tsx's node child goes too.
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {}
      await p.exited;
    }
  }
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * `node --import tsx <script>`, as `npm start` and `npm run sandbox` run it, with only the
 * variables given (plus PATH and HOME): no Slack or emulator settings leak in. Not the `tsx`
 * CLI: it relays SIGTERM to its child and SIGKILLs it when the child has not acknowledged the
 * signal within about 60 ms, which a bot busy with a report easily misses (exit 143, no drain).
 */
function run(script: string, env: Record<string, string | undefined>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    detached: true,
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number>((resolveExit) => {
    child.on('exit', (code, signal) => {
      for (const l of listeners) l();
      resolveExit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
    });
  });
  const proc: Proc = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 60_000) {
      return new Promise((resolveMatch, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`${pattern} not printed within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`),
          );
        }, timeoutMs);
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            clearTimeout(timer);
            listeners.delete(check);
            resolveMatch(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
  running.push(proc);
  return proc;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bot-process-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The example YAML with its project replaced and, when given, every endpoint at `sandboxUrl`. */
function pipelineYaml(opts: {
  project?: string;
  sandboxUrl?: string;
  edit?: (text: string) => string;
}): string {
  let text = readFileSync(example, 'utf8');
  if (opts.project) text = text.replace(/^project: .*$/m, `project: ${opts.project}`);
  if (opts.sandboxUrl) {
    const apis = ['cloudRun', 'functions', 'scheduler', 'logging', 'monitoring', 'bigquery'];
    text += `\nendpoints:\n${apis.map((a) => `  ${a}: ${opts.sandboxUrl}`).join('\n')}\n`;
  }
  if (opts.edit) text = opts.edit(text);
  const file = join(tempDir(), 'pipeline.yml');
  writeFileSync(file, text);
  return file;
}

async function waitForHealthz(port: number, proc: Proc, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) {
      throw new Error(
        `the bot exited (${proc.child.exitCode})\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
      );
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {}
    if (Date.now() > until) {
      throw new Error(
        `/healthz did not answer within ${timeoutMs} ms\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
      );
    }
    await sleep(200);
  }
}

function botEnv(fake: FakeSlack, port: number, config: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-process-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    PIPELINE_CONFIG: config,
    FIRESTORE_EMULATOR_HOST: firestoreHost(),
    LOG_LEVEL: 'info',
  };
}

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
});

describe('a bot process pointed at a sandbox started separately', () => {
  let db: Firestore;
  beforeAll(() => {
    // Fail early with a clear message when the global setup did not run.
    firestoreHost();
  });

  it('SIGTERM during a command lets it finish, reading the separate sandbox, then exits 0', async () => {
    const project = testProjectId();
    db = testFirestore(project);
    cleanups.push(() => db.terminate());
    const config = loadPipeline(example, project);
    const sandbox: Sandbox = await startSandbox({
      config,
      scenario: 'jan20',
      onScenario: (state) => seedRunHistory(db, config.runHistory.collection, state.runHistory),
    });
    cleanups.push(() => sandbox.close());
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

    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const port = await freePort();
    const bot = run('src/main.ts', botEnv(fake, port, pipelineYaml({ project, sandboxUrl: sandbox.url })));
    await waitForHealthz(port, bot);
    sandbox.resetCounts();

    const driver = createDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SECRET,
      fakeSlack: fake,
    });
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
    const sb = run('src/sandbox/main.ts', {
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

    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const port = await freePort();
    const bot = run('src/main.ts', botEnv(fake, port, pipelineYaml({ project, sandboxUrl })));
    await waitForHealthz(port, bot);
    const driver = createDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SECRET,
      fakeSlack: fake,
    });
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
    // Every scheduler job's line, named by the job.
    expect(text).toMatch(/self-heal-predictions[^\n]*permission denied/);
    expect(text).toMatch(/nba-phase6-daily-export[^\n]*permission denied/);
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
  it('answers /pipeline status typed on stdin, and exits cleanly at end of input', async () => {
    const demo = run('src/main.ts', {
      // The demo's web console listens on PORT; the terminal reads stdin.
      PORT: String(await freePort()),
      DEMO_TERMINAL: '1',
      // Reuse the global setup's emulators instead of starting new ones; a project of its own.
      FIRESTORE_EMULATOR_HOST: firestoreHost(),
      PUBSUB_EMULATOR_HOST: pubsubHost(),
      GOOGLE_CLOUD_PROJECT: testProjectId(),
    });
    demo.child.stdin.write('/pipeline status 2026-01-20\n');
    await demo.waitForStdout(/Cloud Run services[\s\S]*nba-phase3-analytics-processors/);
    await demo.waitForStdout(/Players with predictions/);
    expect(demo.stdout()).toContain('Offline demo');
    expect(demo.stdout()).toMatch(/nba-phase4-precompute-processors.*00049/);
    demo.child.stdin.end();
    expect(await demo.exited, demo.stderr()).toBe(0);
  });
});
