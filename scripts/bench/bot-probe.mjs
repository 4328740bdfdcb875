/**
 * Loaded into the bot's process by the bench only (`node --import ./scripts/bench/bot-probe.mjs
 * dist/main.js`), so the product carries no measuring code. Plain JavaScript on purpose: a .ts
 * preload would make Node load its TypeScript stripper (amaro, WebAssembly) into the bot, about
 * 0.1 s of its start and some memory the product never has. No imports but node's own. It
 * answers the bench over the IPC channel:
 *
 * - `loop-reset` / `loop`: the event-loop delay (perf_hooks.monitorEventLoopDelay) since the reset;
 * - `memory` (optionally after two forced full collections): process.memoryUsage() and V8's spaces;
 * - `rpc-reset` / `rpcs`: gRPC calls the process started (Firestore), by method, and the RunQuery
 *   calls whose request names the collection in BENCH_RUN_HISTORY_COLLECTION;
 * - `arrivals`: how Slack requests reached the bot's HTTP server since the last read (count, spread
 *   from first to last, longest gap), to see how much of a burst arrives at once;
 * - `profile-start` / `profile-stop`: a CPU profile (node:inspector) written to `file`;
 * - `heap-snapshot`: a heap snapshot written to `file` (v8.writeHeapSnapshot), for finding what grows.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

/** When Slack requests reached the bot's HTTP server (performance.now()), since the last read. */
let arrivals = [];
subscribe('http.server.request.start', ({ request }) => {
  if (request.method === 'POST' && request.url?.startsWith('/slack/')) arrivals.push(performance.now());
});

const collection = process.env.BENCH_RUN_HISTORY_COLLECTION ?? '';
let rpcs = {};
let runHistoryQueries = 0;
subscribe('http2.client.stream.start', ({ stream, headers }) => {
  const method = String(headers[':path'] ?? '').replace(/^.*\//, '');
  rpcs[method] = (rpcs[method] ?? 0) + 1;
  if (method !== 'RunQuery' || !collection) return;
  // The request message is protobuf: the collection id travels as plain UTF-8 in its first frame.
  const write = stream.write;
  stream.write = function (chunk, ...rest) {
    stream.write = write;
    if (Buffer.isBuffer(chunk) && chunk.includes(collection)) runHistoryQueries++;
    return write.call(this, chunk, ...rest);
  };
});

/** V8's gc(), reachable without starting the bot with --expose-gc. */
const gc = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc');
    return typeof fn === 'function' ? fn : undefined;
  } catch {
    return undefined;
  }
})();

/** @type {Session | undefined} */
let session;
const nsToMs = (ns) => ns / 1e6;

async function answer(request) {
  switch (request.probe) {
    case 'loop-reset':
      loop.reset();
      return null;
    case 'loop':
      return {
        p50: nsToMs(loop.percentile(50)),
        p99: nsToMs(loop.percentile(99)),
        max: nsToMs(loop.max),
        mean: nsToMs(loop.mean),
        samples: loop.count,
      };
    case 'memory':
      if (request.gc && gc) {
        // Two full collections, then time for V8 to hand freed pages back (it unmaps lazily).
        // 'last-resort' also shrinks the heap, as V8's memory reducer does when a process idles.
        for (let i = 0; i < 2; i++) {
          gc(
            request.gc === 'last-resort'
              ? { type: 'major', execution: 'sync', flavor: 'last-resort' }
              : undefined,
          );
          await sleep(150);
        }
      }
      return {
        ...process.memoryUsage(),
        forcedGc: Boolean(request.gc && gc),
        heap: getHeapStatistics(),
        spaces: Object.fromEntries(
          getHeapSpaceStatistics().map((s) => [
            s.space_name,
            { size: s.space_size, used: s.space_used_size },
          ]),
        ),
      };
    case 'rpc-reset':
      rpcs = {};
      runHistoryQueries = 0;
      return null;
    case 'rpcs':
      return { byMethod: rpcs, runHistoryQueries };
    case 'arrivals': {
      const times = arrivals;
      arrivals = [];
      let maxGap = 0;
      for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i] - times[i - 1]);
      return { count: times.length, spreadMs: (times.at(-1) ?? 0) - (times[0] ?? 0), maxGapMs: maxGap };
    }
    case 'profile-start':
      session = new Session();
      session.connect();
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return null;
    case 'profile-stop': {
      if (!session) return null;
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      writeFileSync(request.file, JSON.stringify(profile));
      return request.file;
    }
    case 'heap-snapshot':
      return writeHeapSnapshot(request.file);
    default:
      throw new Error(`unknown probe ${request.probe}`);
  }
}

process.on('message', (m) => {
  if (m?.id === undefined || !m.request) return;
  answer(m.request).then(
    (result) => process.send?.({ id: m.id, result }),
    (error) => process.send?.({ id: m.id, error: String(error) }),
  );
});
// The channel must never keep the bot alive on its own.
process.channel?.unref();
