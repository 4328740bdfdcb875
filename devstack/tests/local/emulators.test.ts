/**
 * Emulator lifecycle: stop() and an unexpected end of the parent leave no process behind.
 * These start their own Firestore emulators (the global ones are shared by every file).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLOUD_SDK_PACKAGES,
  gcloudAvailable,
  groupAlive,
  startEmulators,
} from '../../src/local/emulators.js';

function answers(host: string): Promise<boolean> {
  const [hostname, port] = host.split(':');
  return new Promise((done) => {
    const req = request(
      { host: hostname, port: Number(port), path: '/', agent: false, timeout: 1_000 },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

describe('startEmulators', () => {
  it('stop() kills the whole process group and closes the port', async () => {
    const emulators = await startEmulators({ pubsub: false });
    expect(emulators.pubsubHost).toBeUndefined();
    const host = emulators.firestoreHost!;
    expect(await answers(host)).toBe(true);
    expect(emulators.pgids).toHaveLength(1);
    expect(groupAlive(emulators.pgids[0]!)).toBe(true);

    await emulators.stop();
    expect(groupAlive(emulators.pgids[0]!)).toBe(false);
    expect(await answers(host)).toBe(false);
    await emulators.stop(); // idempotent
  });

  it('fails with the log tail and leaves nothing behind when an emulator does not answer in time', async () => {
    const error = await startEmulators({ firestore: false, readyTimeoutMs: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/the pubsub emulator did not start on 127\.0\.0\.1:\d+: no answer within/);
    expect(error?.message).toContain('Last lines of');
    const port = /127\.0\.0\.1:(\d+)/.exec(error!.message)![1]!;
    const running = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .some((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`127.0.0.1:${port}`);
          } catch {
            return false;
          }
        });
    expect(await eventually(() => !running(), 10_000)).toBe(true);
  });

  it('names the Debian packages when gcloud is not on PATH', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(gcloudAvailable()).toBe(false);
      await expect(startEmulators()).rejects.toThrow(CLOUD_SDK_PACKAGES.join(' '));
    } finally {
      process.env.PATH = saved;
    }
    expect(gcloudAvailable()).toBe(true);
  });
});

describe('an unexpected end of the parent process', () => {
  const script = join(mkdtempSync(join(tmpdir(), 'emulator-parent-')), 'parent.mts');
  writeFileSync(
    script,
    `import { startEmulators } from ${JSON.stringify(pathToFileURL(resolve('devstack/src/local/emulators.ts')).href)};
const emulators = await startEmulators({ pubsub: false });
console.log(JSON.stringify({ pgids: emulators.pgids, host: emulators.firestoreHost }));
if (process.argv[2] === 'throw') setTimeout(() => { throw new Error('unexpected'); }, 200);
else setInterval(() => {}, 1000);
`,
  );

  function parent(mode: string): { child: ChildProcess; ready: Promise<{ pgids: number[]; host: string }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode], {
      cwd: resolve('.'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const ready = new Promise<{ pgids: number[]; host: string }>((done, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => done(JSON.parse(line)));
      child.once('exit', (code) => reject(new Error(`parent exited early with ${code}: ${stderr}`)));
    });
    return { child, ready };
  }

  it.each([
    ['an uncaught exception', 'throw'],
    ['SIGKILL', 'kill'],
  ])('%s leaves no emulator running', async (_, mode) => {
    const { child, ready } = parent(mode);
    const { pgids, host } = await ready;
    expect(groupAlive(pgids[0]!)).toBe(true);
    if (mode === 'kill') child.kill('SIGKILL');
    expect(await eventually(() => child.exitCode !== null || child.signalCode !== null, 10_000)).toBe(true);
    expect(await eventually(() => !groupAlive(pgids[0]!), 10_000)).toBe(true);
    expect(await answers(host)).toBe(false);
  });
});
