/**
 * The stand-ins (the Google sandbox and the fake Slack) in a process of their own, driven over
 * IPC. Google and Slack are other machines in production: here they are another process, so the
 * bot's process holds only the bot. The child's code is in stand-ins-child.ts.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../devstack/src/sandbox/index.js';
import type { ApiName } from '../../devstack/src/sandbox/state.js';

export type Fault = Parameters<Sandbox['setFault']>[1];

/**
 * Where a sandbox request is counted: one name per status port of the bot, so that Cloud Run
 * services and Cloud Run Jobs (one API), and BigQuery queries and tables.get (one API), are told
 * apart. `processors` are the pipeline's own endpoints, not Google APIs.
 */
export type CountedPort =
  | 'cloudRun'
  | 'jobs'
  | 'functions'
  | 'scheduler'
  | 'dataChecks'
  | 'tables'
  | 'logs'
  | 'monitoring'
  | 'processors';

/** What the sandbox counted since the last reset. */
export interface SandboxCounts {
  byPort: Partial<Record<CountedPort, number>>;
  /** BigQuery jobs.query requests, and those carrying both `timeoutMs` and `jobTimeoutMs`. */
  queries: { posted: number; bothTimeouts: number };
}

export interface StandInsReady {
  sandboxUrl: string;
  /** The fake Slack's Web API, e.g. `http://127.0.0.1:PORT/api/`. */
  slackApiUrl: string;
  identity: { teamId: string; teamDomain: string; appId: string; botId: string; botUserId: string };
}

export type Rpc =
  | { op: 'setFault'; api: ApiName; fault: Fault }
  | { op: 'clearFaults' }
  | { op: 'counts' }
  | { op: 'resetCounts' }
  | { op: 'responseUrls'; n: number }
  | { op: 'resetFake' }
  | { op: 'stop' };

/** One response_url post the fake Slack received: its status, and lines saying an API did not answer. */
export interface ResponseEvent {
  event: 'response';
  status: number;
  unanswered: number;
}

export interface StandIns {
  ready: StandInsReady;
  pid: number;
  call<T>(rpc: Rpc): Promise<T>;
  onResponse(listener: (e: ResponseEvent) => void): void;
  stop(): Promise<void>;
}

/** Fork the stand-ins for `configFile` and `project`; run_history is seeded into the Firestore emulator at `emulatorHost`. */
export async function startStandIns(
  configFile: string,
  project: string,
  emulatorHost: string,
): Promise<StandIns> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./stand-ins-child.ts', import.meta.url)),
    [configFile, project],
    {
      execArgv: process.execArgv,
      env: { ...process.env, FIRESTORE_EMULATOR_HOST: emulatorHost },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((e: ResponseEvent) => void)[] = [];
  let nextId = 1;
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<StandInsReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-ins did not start within 60 s')), 60_000);
    child.on('message', (m: { ready?: StandInsReady; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.ready);
      } else if ((m as Partial<ResponseEvent>).event === 'response') {
        for (const l of listeners) l(m as unknown as ResponseEvent);
      } else if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      }
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const error = new Error(`the stand-ins process exited (${signal ?? `code ${code}`})`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  });
  const call = <T>(rpc: Rpc): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('the stand-ins process is gone'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, rpc });
    });
  return {
    ready,
    pid: child.pid ?? 0,
    call,
    onResponse: (l) => listeners.push(l),
    async stop() {
      if (exited) return;
      await Promise.race([call({ op: 'stop' }).catch(() => undefined), sleep(5000)]);
      await Promise.race([gone, sleep(5000)]);
      if (!exited) {
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}
