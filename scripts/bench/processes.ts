/**
 * The processes the bench starts besides the stand-ins: the compiled bot (as the Dockerfile runs
 * it, plus the bench's probe), the bare reference server and the load client. Each is started in
 * a process group of its own and stopped with its group; all listen on 127.0.0.1 only.
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { answers } from '../../devstack/src/local/emulators.js';
import type { LoadRequest, Sent } from './load-client.js';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Kill a process group, ignoring one already gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: gone already
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  killGroup(child.pid, 'SIGTERM');
  const code = await Promise.race([exited, sleep(graceMs).then(() => 'late' as const)]);
  if (code !== 'late') {
    // Whatever the process left in its group goes too.
    killGroup(child.pid, 'SIGKILL');
    return code;
  }
  killGroup(child.pid, 'SIGKILL');
  await exited;
  return null;
}

/**
 * `npm run build` into a folder of the bench's own (dist/ of the tree is left alone): the
 * compiled product, package.json (for `"type": "module"`) and the tree's node_modules. tsc emits
 * even when it finds type errors (no `noEmitOnError`): those are returned, not thrown, so a
 * colleague's unfinished edit elsewhere in the tree does not stop the measurement.
 */
export async function buildProduct(): Promise<{ dir: string; typeErrors: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-build-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const typeErrors = await new Promise<string>((resolveBuild) => {
    execFile(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')],
      { cwd: root, maxBuffer: 10_000_000 },
      (error, stdout) => resolveBuild(error ? stdout || error.message : ''),
    );
  });
  if (!existsSync(join(dir, 'dist/main.js'))) {
    remove();
    throw new Error(`the build emitted no dist/main.js:\n${typeErrors.slice(0, 2000)}`);
  }
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, typeErrors, remove };
}

/**
 * The node flags of the image's CMD (Dockerfile), so the bench runs the bot as the image does;
 * BENCH_NODE_FLAGS (space-separated, may be empty) replaces them to compare others.
 */
export function imageNodeFlags(): string[] {
  const override = process.env.BENCH_NODE_FLAGS;
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  const args = cmd ? (JSON.parse(cmd) as string[]) : ['node', 'dist/main.js'];
  return args.slice(1, args.indexOf('dist/main.js'));
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  samples: number;
}

export interface ProbeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  forcedGc: boolean;
}

export interface BotProcess {
  pid: number;
  port: number;
  /** Milliseconds from spawn to the first 200 from /healthz. */
  readyMs: number;
  spawnedAt: number;
  /** Resident set size as the OS counts it (/proc/PID/status VmRSS), in bytes. */
  rss(): number;
  probe<T>(request: Record<string, unknown>): Promise<T>;
  onLogLine(listener: (line: string) => void): void;
  stderr(): string;
  /** SIGTERM to the group, up to 10 s to drain, then SIGKILL; resolves with the exit code (null if killed). */
  stop(): Promise<number | null>;
}

/** VmRSS of `pid` in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/**
 * Start `node <image flags> --import bot-probe.mjs dist/main.js` in `buildDir` with only `env`
 * (plus PATH and HOME), and wait for /healthz, polled every 5 ms from the spawn.
 */
export async function startBot(buildDir: string, env: Record<string, string>): Promise<BotProcess> {
  const port = Number(env.PORT);
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [...imageNodeFlags(), '--import', here('./bot-probe.mjs'), 'dist/main.js'],
    {
      cwd: buildDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let err = '';
  let partial = '';
  const lineListeners: ((line: string) => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of lineListeners) l(line);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (err.length < 20_000) err += chunk;
  });
  child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
    if (m.id === undefined) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.result);
  });
  child.once('exit', (code, signal) => {
    const error = new Error(`the bot exited (${signal ?? `code ${code}`})\n${err.slice(-2000)}`);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  });
  const stop = () => stopChild(child, 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the bot exited before /healthz answered (${child.exitCode})\n${err.slice(-3000)}`);
    }
    if (await answers(port, '/healthz')) break;
    if (performance.now() - spawnedAt > 60_000) {
      await stop();
      throw new Error(`the bot's /healthz did not answer within 60 s\n${err.slice(-3000)}`);
    }
    await sleep(5);
  }
  const readyMs = performance.now() - spawnedAt;
  const pid = child.pid ?? 0;
  return {
    pid,
    port,
    readyMs,
    spawnedAt,
    rss: () => rssOf(pid),
    probe: <T>(req: Record<string, unknown>) =>
      new Promise<T>((resolveProbe, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolveProbe as (v: unknown) => void, reject });
        child.send({ id, request: req });
      }),
    onLogLine: (l) => lineListeners.push(l),
    stderr: () => err,
    stop,
  };
}

/** A process of plain Node (no tsx) running one of the bench's self-contained scripts. */
function forkPlain(file: string, env: Record<string, string> = {}): ChildProcess {
  return fork(here(file), [], {
    execArgv: [],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

export interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<unknown>;
}

export async function startBareServer(secret: string): Promise<BareServer> {
  const child = forkPlain('./bare-server.ts', { BENCH_SECRET: secret });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (m: { port: number }) => resolvePort(m.port));
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    pid: child.pid ?? 0,
    stop: () => stopChild(child, 2000),
  };
}

export interface LoadClient {
  /** Send every body at once, signed, to `url`; resolves with each one's status and time. */
  send(url: string, secret: string, bodies: string[]): Promise<Sent[]>;
  stop(): Promise<unknown>;
}

export async function startLoadClient(): Promise<LoadClient> {
  const child = forkPlain('./load-client.ts');
  const pending = new Map<number, (sent: Sent[]) => void>();
  let nextId = 1;
  await new Promise<void>((resolveReady, reject) => {
    child.once('message', () => resolveReady());
    child.once('exit', (code) => reject(new Error(`the load client exited (${code})`)));
  });
  child.on('message', (m: { id: number; sent: Sent[] }) => {
    pending.get(m.id)?.(m.sent);
    pending.delete(m.id);
  });
  return {
    send: (url, secret, bodies) =>
      new Promise<Sent[]>((resolveSent) => {
        const id = nextId++;
        pending.set(id, resolveSent);
        const message: LoadRequest = { id, url, secret, bodies };
        child.send(message);
      }),
    stop: () => stopChild(child, 2000),
  };
}
