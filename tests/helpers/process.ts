/**
 * The bot (or the sandbox) as a process of its own, for the tests that start it the way
 * `npm start`, `npm run sandbox` and Cloud Run do. Every process and temp folder is registered
 * here and removed after each test.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { afterEach } from 'vitest';
import { createDriver, type Driver } from '../../devstack/src/local/driver.js';
import { freePort } from '../../devstack/src/local/emulators.js';
import { type FakeSlack, startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import { seedRunHistory } from '../../devstack/src/sandbox/firestore-seed.js';
import { type Sandbox, startSandbox } from '../../devstack/src/sandbox/index.js';
import { loadPipeline, type PipelineConfig } from '../../src/config.js';
import { firestoreHost, testFirestore, testProjectId } from './firestore.js';

export const root = resolve(import.meta.dirname, '../..');
export const example = join(root, 'config/pipeline.example.yml');
export const SECRET = 'process-test-signing-secret';

/** A spawned process with everything it printed, and its exit. */
export interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Exit code, or 128 + signal number when killed by a signal. */
  exited: Promise<number>;
  /** Resolves once stdout matches `pattern`; rejects with the output when the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

const running: Proc[] = [];
export const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** SIGKILL every process group still running (tsx's node child goes too). */
export async function killAll(): Promise<void> {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {}
      await p.exited;
    }
  }
}

afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * `node --import tsx <script>`, as `npm start` and `npm run sandbox` run it, with only the
 * variables given (plus PATH and HOME): no Slack or emulator settings leak in. Not the `tsx`
 * CLI: it relays SIGTERM to its child and SIGKILLs it when the child has not acknowledged the
 * signal within about 60 ms, which a bot busy with a report easily misses (exit 143, no drain).
 */
export function run(script: string, env: Record<string, string | undefined>): Proc {
  return runNode(['--import', 'tsx', script], env);
}

/** `node <args>` (this Node, 22) in `cwd`, with only the variables given plus PATH and HOME. */
export function runNode(args: string[], env: Record<string, string | undefined>, cwd = root): Proc {
  const child = spawn(process.execPath, args, {
    cwd,
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

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bot-process-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The example YAML with its project replaced and, when given, every endpoint at `sandboxUrl`. */
export function pipelineYaml(opts: {
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

export async function waitForHealthz(port: number, proc: Proc, timeoutMs = 60_000): Promise<void> {
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

export function botEnv(fake: FakeSlack, port: number, config: string): Record<string, string> {
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

/**
 * A fake Slack and a bot process that `start` runs with the environment it needs for `yaml`,
 * once its /healthz answers, with a driver sending it signed requests.
 */
export async function botAgainstFakeSlack(
  yaml: string,
  start: (env: Record<string, string>) => Proc,
): Promise<{ fake: FakeSlack; port: number; bot: Proc; driver: Driver }> {
  const fake = await startFakeSlack();
  cleanups.push(() => fake.close());
  const port = await freePort();
  const bot = start(botEnv(fake, port, yaml));
  await waitForHealthz(port, bot);
  const driver = createDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SECRET,
    fakeSlack: fake,
  });
  return { fake, port, bot, driver };
}

/**
 * A project of its own on the Firestore emulator and the example pipeline's sandbox in the jan20
 * scenario, its run_history seeded there (as a process started apart would find it); both closed
 * after the test.
 */
export async function seededSandbox(): Promise<{
  project: string;
  db: Firestore;
  config: PipelineConfig;
  sandbox: Sandbox;
}> {
  const project = testProjectId();
  const db = testFirestore(project);
  cleanups.push(() => db.terminate());
  const config = loadPipeline(example, project);
  const sandbox = await startSandbox({
    config,
    scenario: 'jan20',
    onScenario: (state) => seedRunHistory(db, config.runHistory.collection, state.runHistory),
  });
  cleanups.push(() => sandbox.close());
  return { project, db, config, sandbox };
}

export { freePort };
