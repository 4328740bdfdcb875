/**
 * Starts the Cloud SDK's Firestore and Pub/Sub emulators on free loopback ports for tests and
 * the offline demo. `gcloud` is a Python wrapper that forks the emulator's Java process, and
 * killing the wrapper alone leaves Java running: each emulator gets its own process group
 * (`detached`), and every signal goes to the whole group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmulatorOptions {
  /** Start the Firestore emulator. Default true. */
  firestore?: boolean;
  /** Start the Pub/Sub emulator. Default true. */
  pubsub?: boolean;
  /** Where the emulators' logs go; a fresh temp dir by default. */
  logDir?: string;
  /** How long to wait for each emulator to answer. Default 60 s. */
  readyTimeoutMs?: number;
}

export interface RunningEmulators {
  /** `127.0.0.1:PORT`, the form FIRESTORE_EMULATOR_HOST takes. */
  firestoreHost?: string;
  /** `127.0.0.1:PORT`, the form PUBSUB_EMULATOR_HOST takes. */
  pubsubHost?: string;
  /** Process group ids, for checks that nothing is left behind. */
  pgids: number[];
  logDir: string;
  /** Kill every process group and wait until the ports are closed. Idempotent. */
  stop(): Promise<void>;
}

/** Debian packages that provide `gcloud` and the two emulators (`dpkg -S` on this image). */
export const CLOUD_SDK_PACKAGES = [
  'google-cloud-cli',
  'google-cloud-cli-firestore-emulator',
  'google-cloud-cli-pubsub-emulator',
] as const;

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;

/** Whether an executable `gcloud` is on PATH. */
export function gcloudAvailable(): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? ['gcloud.cmd', 'gcloud.exe', 'gcloud'] : ['gcloud'];
  for (const dir of dirs) {
    for (const name of names) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

// Groups still running: killed synchronously if this process exits without calling stop().
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Runs on process.exit(), a normal end and an uncaught exception; must be synchronous.
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
    watchdog?.kill('SIGKILL');
  });
}

/**
 * 'exit' does not run when this process dies of a signal (Ctrl-C in a terminal does not reach
 * the emulators either: they are in their own groups) or of SIGKILL. A small detached process
 * holds an IPC channel to us and kills the groups when the channel drops, like vitest's own
 * watchdog for its workers. It ignores signals so that a Ctrl-C to the terminal's group leaves it
 * alive long enough to clean up.
 */
const WATCHDOG_SOURCE = `
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
const groups = new Set();
process.on('message', (m) => { if (m.watch) groups.add(m.watch); if (m.unwatch) groups.delete(m.unwatch); });
process.on('disconnect', () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  process.exit(0);
});
`;
let watchdog: ChildProcess | undefined;

function watch(pgid: number): void {
  liveGroups.add(pgid);
  if (!watchdog || watchdog.exitCode !== null || !watchdog.connected) {
    const env = { ...process.env };
    // A loader in NODE_OPTIONS (tsx, vitest) is not needed for plain JavaScript and slows start.
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env,
    });
    child.on('error', () => undefined);
    // Never keep this process alive for the watchdog's sake.
    child.unref();
    child.channel?.unref();
    watchdog = child;
  }
  watchdog.send({ watch: pgid }, () => undefined);
}

function unwatch(pgid: number): void {
  liveGroups.delete(pgid);
  if (!watchdog) return;
  if (liveGroups.size === 0) {
    // Killed rather than disconnected: a disconnect could overtake the last unwatch message.
    watchdog.kill('SIGKILL');
    watchdog = undefined;
  } else if (watchdog.connected) {
    watchdog.send({ unwatch: pgid }, () => undefined);
  }
}

/** A port the kernel just handed out on 127.0.0.1 (closed again at once; a small race is accepted). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * GET `path` on 127.0.0.1 answered 200 (both emulators answer `Ok` on `/`; the bot on /healthz).
 * No keep-alive, so no socket outlives the probe.
 */
export function answers(port: number, path = '/'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path, method: 'GET', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether any process of the group is still alive. Zombies are ignored: the Java process is
 * re-parented to init when the wrapper dies and may stay a zombie until init reaps it.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      entries = [];
    }
    if (entries.length > 0) {
      for (const entry of entries) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
          stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        } catch {
          continue;
        }
        // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
      }
      return false;
    }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Emulator {
  name: string;
  port: number;
  pgid: number;
  log: string;
}

async function startOne(
  name: 'firestore' | 'pubsub',
  logDir: string,
  readyTimeoutMs: number,
): Promise<Emulator> {
  const port = await freePort();
  const hostPort = `${HOST}:${port}`;
  const args =
    name === 'firestore'
      ? ['emulators', 'firestore', 'start', `--host-port=${hostPort}`]
      : [
          'beta',
          'emulators',
          'pubsub',
          'start',
          `--host-port=${hostPort}`,
          `--data-dir=${join(logDir, 'pubsub-data')}`,
        ];
  if (name === 'pubsub') mkdirSync(join(logDir, 'pubsub-data'), { recursive: true });
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  let exited: string | undefined;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('gcloud', args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      // Never wait on an interactive prompt (e.g. a component install).
      env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
    });
  } finally {
    closeSync(fd);
  }
  // Listen before anything can throw: an unhandled 'error' event (ENOENT) would crash the process.
  child.once('error', (error) => {
    exited = error.message;
  });
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `code ${code}`;
  });
  const pgid = child.pid;
  if (pgid === undefined) {
    throw new Error(`could not start the ${name} emulator (gcloud did not spawn); log: ${log}`);
  }
  watch(pgid);
  // Let this process end even if stop() is never called: the exit hook kills the group.
  child.unref();

  const started = Date.now();
  while (!(await answers(port))) {
    const elapsed = Date.now() - started;
    if (exited !== undefined || elapsed > readyTimeoutMs) {
      const why =
        exited !== undefined ? `gcloud exited (${exited})` : `no answer within ${readyTimeoutMs / 1000} s`;
      await stopGroups([{ name, port, pgid, log }]);
      throw new Error(
        `the ${name} emulator did not start on ${hostPort}: ${why}. Last lines of ${log}:\n${tail(log)}`,
      );
    }
    await sleep(100);
  }
  return { name, port, pgid, log };
}

async function stopGroups(emulators: Emulator[]): Promise<void> {
  for (const e of emulators) killGroup(e.pgid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  let pending = emulators;
  while (pending.length > 0 && Date.now() < deadline) {
    await sleep(100);
    const next: Emulator[] = [];
    for (const e of pending) if (groupAlive(e.pgid) || (await portOpen(e.port))) next.push(e);
    pending = next;
  }
  for (const e of pending) killGroup(e.pgid, 'SIGKILL');
  // After SIGKILL the kernel closes the sockets promptly; still confirm before returning.
  const hardDeadline = Date.now() + STOP_GRACE_MS;
  while (pending.length > 0 && Date.now() < hardDeadline) {
    await sleep(50);
    const next: Emulator[] = [];
    for (const e of pending) if (groupAlive(e.pgid) || (await portOpen(e.port))) next.push(e);
    pending = next;
  }
  for (const e of emulators) if (!pending.includes(e)) unwatch(e.pgid);
  if (pending.length > 0) {
    throw new Error(
      `emulator process groups still alive after SIGKILL: ${pending.map((e) => e.pgid).join(', ')}`,
    );
  }
}

/**
 * Start the requested emulators (both by default) in parallel and wait until each answers.
 * Throws with a readable message when the Cloud SDK is missing or an emulator does not come up.
 */
export async function startEmulators(opts: EmulatorOptions = {}): Promise<RunningEmulators> {
  const wantFirestore = opts.firestore ?? true;
  const wantPubsub = opts.pubsub ?? true;
  if (!gcloudAvailable()) {
    throw new Error(
      'the Firestore and Pub/Sub emulators need the Google Cloud SDK with its emulator components, and `gcloud` ' +
        `is not on PATH. On Debian/Ubuntu: apt-get install ${CLOUD_SDK_PACKAGES.join(' ')} ` +
        '(or `gcloud components install cloud-firestore-emulator pubsub-emulator beta`); the emulators also need Java.',
    );
  }
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'emulators-'));
  mkdirSync(logDir, { recursive: true });
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  installExitHook();

  const names = [
    ...(wantFirestore ? ['firestore' as const] : []),
    ...(wantPubsub ? ['pubsub' as const] : []),
  ];
  const results = await Promise.allSettled(names.map((name) => startOne(name, logDir, readyTimeoutMs)));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    await stopGroups(running);
    throw failed[0];
  }

  let stopping: Promise<void> | undefined;
  const firestore = running.find((e) => e.name === 'firestore');
  const pubsub = running.find((e) => e.name === 'pubsub');
  return {
    ...(firestore ? { firestoreHost: `${HOST}:${firestore.port}` } : {}),
    ...(pubsub ? { pubsubHost: `${HOST}:${pubsub.port}` } : {}),
    pgids: running.map((e) => e.pgid),
    logDir,
    stop() {
      stopping ??= stopGroups(running);
      return stopping;
    },
  };
}
