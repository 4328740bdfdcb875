/**
 * `npm run bench`: measures the production build of the bot from the outside, with the targets
 * of issue 13. The bot is `node dist/main.js` (compiled by the bench into a folder of its own,
 * started with the Dockerfile's node flags) in a process of its own; the sandbox and the fake
 * Slack run in another (stand-ins), the load client in another, the bare reference server in
 * another, the Firestore emulator (the bot's state and run_history) in its own. The bot's RSS
 * is read from the OS (/proc/PID/status); its event-loop delay by a probe the bench preloads
 * into it (scripts/bench/bot-probe.mjs), so the product carries no measuring code.
 *
 *   (5) cold start: spawn → /healthz, and → the first report in Slack;
 *   (3) RSS at idle after the first report;
 *   (1, 2) ack latency of 200 concurrent `/pipeline status` (half `--fresh`) beside the bare
 *       server's in the same run, and the bot's event-loop delay meanwhile;
 *   (b) a report with 200 ms added to every Google call, beside the same calls one after another
 *       and the longest chain of dependent calls;
 *   (c, 4) Google requests for 50 concurrent status requests, per component, and whether each
 *       BigQuery jobs.query carries both its wait and its job timeout;
 *   (3) RSS over 2,000 commands, and its growth from 500 to 2,000.
 *
 * A measurement, not a test: it exits 0 whatever the figures, non-zero only when the bench itself
 * could not run. Every server and emulator it starts listens on 127.0.0.1 and is stopped at the end.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import {
  ACK_CONCURRENCY,
  ACK_RATIO_TARGET,
  ACK_ROUNDS,
  COLD_STARTS,
  elapsed,
  FLAT_PERCENT,
  fmtMb,
  IDLE_RSS_LIMIT_MB,
  LATENCY_MS,
  MEMORY_BATCH,
  MEMORY_COMMANDS,
  MEMORY_FROM,
  mb,
  median,
  ms,
  percentile,
  progress,
  READY_LIMIT_MS,
  REPORT_DATE,
  ratio,
  SHARED_REQUESTS,
  SLACK_ACK_DEADLINE_MS,
  signed,
  slope,
  table,
  verdict,
} from './bench/common.js';
import { measureAcks } from './bench/measure-acks.js';
import { measureMemory } from './bench/measure-memory.js';
import { benchPorts, measureReport, PORT_COUNT, PORT_NAMES, type TimedCall } from './bench/measure-report.js';
import { measureShared } from './bench/measure-shared.js';
import { IDLE_SECONDS, measureColdStarts, measureIdle } from './bench/measure-start.js';
import { imageNodeFlags } from './bench/processes.js';
import { type Cleanup, startRig } from './bench/rig.js';

async function main(): Promise<number> {
  const cleanups: Cleanup[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const c of cleanups.splice(0)) {
        try {
          await c();
        } catch (error) {
          progress(`cleanup step failed: ${(error as Error).message}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const out: string[] = [];
  const print = (s = '') => out.push(s);
  try {
    const rig = await startRig(cleanups);
    const flags = imageNodeFlags();

    progress(`(5) ${COLD_STARTS} cold starts of dist/main.js`);
    const starts = await measureColdStarts(rig);

    progress('starting the bot for the rest of the bench');
    const bot = await rig.startBotProcess();
    progress('(3) idle after the first report');
    const idle = await measureIdle(rig, bot);
    progress(
      `(2) ${ACK_ROUNDS} rounds of ${ACK_CONCURRENCY} concurrent signed commands, bot and bare server`,
    );
    const acks = await measureAcks(rig, bot);
    progress(`(b) report time with ${LATENCY_MS} ms per call`);
    const local = benchPorts(rig, cleanups);
    const report = await measureReport(rig, bot, local);
    progress(`(c) ${SHARED_REQUESTS} concurrent status requests`);
    const shared = await measureShared(rig, bot);
    progress(`(3) ${MEMORY_COMMANDS} commands in batches of ${MEMORY_BATCH}`);
    const memory = await measureMemory(rig, bot);

    // ---- the processes
    print(
      `Processes (each its own process group, on 127.0.0.1): the bot \`node ${[...flags, 'dist/main.js'].join(' ')}\` ` +
        `(pid ${bot.process.pid}, compiled from this tree, NODE_ENV=development: production mode refuses the ` +
        `sandbox's plain-http endpoints), the stand-ins (sandbox + fake Slack, pid ${rig.standIns.pid}), the load client, ` +
        `the bare server, the Firestore emulator. Bot RSS from /proc/${bot.process.pid}/status.`,
    );
    if (rig.typeErrors)
      print('  ! the tree had type errors when the bench compiled it (see the progress lines)');
    print();

    // ---- (5) cold start
    const readyMs = median(starts.map((s) => s.readyMs));
    const firstMs = median(starts.map((s) => s.firstReportMs));
    print(
      `(5) Cold start of the compiled bot, ${COLD_STARTS} starts (spawn → first 200 from /healthz; → first report in Slack)`,
    );
    print(
      table([
        ['start', 'ready (/healthz)', 'first report'],
        ...starts.map((s, i) => [String(i + 1), ms(s.readyMs), ms(s.firstReportMs)]),
        ['median', ms(readyMs), ms(firstMs)],
      ]),
    );
    print(
      'The Google client libraries load when a report first needs them (src/gcp/lazy.ts): the first report pays for them.',
    );
    print();

    // ---- (3) idle
    const idleRss = idle.idle.at(-1) ?? Number.NaN;
    print(
      `(3) Bot RSS at idle after its first report (OS, each second for ${IDLE_SECONDS} s, no forced collection)`,
    );
    print(
      table([
        ['point', 'RSS'],
        ['the first report just delivered', fmtMb(mb(idle.afterReport))],
        ...[5, 10, 15, 20, 25, IDLE_SECONDS].map((s) => [
          `idle ${s} s`,
          fmtMb(mb(idle.idle[s - 1] ?? Number.NaN)),
        ]),
        [
          'then two last-resort full GCs (reference)',
          `${fmtMb(mb(idle.collectedRss))} (heap used ${fmtMb(mb(idle.collected.heapUsed))} of ${fmtMb(mb(idle.collected.heapTotal))})`,
        ],
      ]),
    );
    print();

    // ---- (2) acks
    const botP99 = percentile(acks.bot, 99);
    const bareP99 = percentile(acks.bare, 99);
    const helpP99 = percentile(acks.help, 99);
    const ackRatio = botP99 / bareP99;
    const loopP99s = acks.rounds.map((r) => r.loop.p99);
    print(
      `(1, 2) Ack latency, ${ACK_ROUNDS} rounds × ${ACK_CONCURRENCY} concurrent signed commands from the load client's process, ` +
        'client-side (send → HTTP status), pooled; status rounds ask a date not asked before, half with --fresh',
    );
    print(
      table([
        ['server', 'p50', 'p99', 'max', 'p99 per round'],
        [
          'bot, /pipeline status',
          ms(percentile(acks.bot, 50)),
          ms(botP99),
          ms(Math.max(...acks.bot)),
          acks.rounds.map((r) => ms(r.botP99)).join(', '),
        ],
        [
          'bare node:http (signature only)',
          ms(percentile(acks.bare, 50)),
          ms(bareP99),
          ms(Math.max(...acks.bare)),
          acks.rounds.map((r) => ms(r.bareP99)).join(', '),
        ],
        [
          'reference: bot, /pipeline help',
          ms(percentile(acks.help, 50)),
          ms(helpP99),
          ms(Math.max(...acks.help)),
          acks.rounds.map((r) => ms(r.helpP99)).join(', '),
        ],
      ]),
    );
    print(
      `p99 ratio bot / bare ${ratio(ackRatio)} (target ≤ ${ACK_RATIO_TARGET}×); per round: ${acks.rounds
        .map((r) => ratio(r.botP99 / r.bareP99))
        .join(', ')}; margin to Slack's 3 s ack deadline at p99: ${ms(SLACK_ACK_DEADLINE_MS - botP99)}`,
    );
    print(
      `Bot event-loop delay during the status rounds (monitorEventLoopDelay, 10 ms resolution): p99 ${acks.rounds
        .map((r) => ms(r.loop.p99))
        .join(', ')}; max ${acks.rounds.map((r) => ms(r.loop.max)).join(', ')}`,
    );
    print(
      `Reports computed per round: ${acks.rounds.map((r) => r.reports).join(', ')} (--fresh joins a report in flight, ` +
        `never a finished one); all ${ACK_CONCURRENCY} reports in Slack after ${acks.rounds.map((r) => ms(r.allReportsMs)).join(', ')}`,
    );
    print(
      `The status rounds' requests reached the bot over ${acks.rounds.map((r) => ms(r.arrivals.spreadMs)).join(', ')} ` +
        `(longest gap between two: ${acks.rounds.map((r) => ms(r.arrivals.maxGapMs)).join(', ')})`,
    );
    for (const e of acks.errors) print(`  ! ${e}`);
    print();

    // ---- (b) report time
    const reportMs = median(report.e2e);
    const chainMs = median(report.chain.runs);
    const seqRatio = report.sequentialTotal / reportMs;
    const chainRatio = reportMs / chainMs;
    print(`(b) Full status report for ${REPORT_DATE} with ${LATENCY_MS} ms added to every Google call`);
    print(
      table([
        ['measure', 'time', 'detail'],
        [
          'report by the bot (command → report in Slack)',
          ms(reportMs),
          `median of ${report.e2e.map(ms).join(', ')}; bot's own log: ${report.botMs.map(ms).join(', ')}`,
        ],
        [
          'same calls one after another',
          ms(report.sequentialTotal),
          `${report.sequential.length} calls, ${report.sequential.reduce((n, c) => n + c.requests, 0)} requests`,
        ],
        [
          'longest chain of dependent calls',
          ms(chainMs),
          `${report.chain.label}: ${report.chain.requests} request(s) in sequence; median of ${report.chain.runs.map(ms).join(', ')}`,
        ],
      ]),
    );
    print(
      `sequential / report ${ratio(seqRatio)} (target ≥ 5×); report / longest chain ${ratio(chainRatio)} (target ≤ 1.5×)`,
    );
    const byPort = new Map<string, TimedCall[]>();
    for (const c of report.sequential) byPort.set(c.port, [...(byPort.get(c.port) ?? []), c]);
    print(
      table([
        ['port', 'calls', 'requests per call', 'time per call (one after another)'],
        ...[...byPort].map(([port, list]) => [
          port,
          String(list.length),
          [...new Set(list.map((c) => c.requests))].join('/'),
          list.map((c) => ms(c.ms)).join(', '),
        ]),
      ]),
    );
    for (const c of report.sequential.filter((x) => !x.ok)) print(`  ! ${c.label} failed: ${c.error}`);
    if (report.unknownLines > 0)
      print(`  ! the reports had ${report.unknownLines} lines marked as not answered`);
    print(
      `  (the sandbox adds the latency to its APIs; run_history is the Firestore emulator: the bench's own calls get the same ${LATENCY_MS} ms in front, the bot's do not)`,
    );
    print();

    // ---- (c) requests per component
    const total = (r: Record<string, number>) => PORT_NAMES.reduce((n, p) => n + (r[p] ?? 0), 0);
    const components = total(shared.components);
    const requests50 = total(shared.requests);
    const requests1 = total(shared.oneReport);
    print(
      `(c, 4) Google requests for ${SHARED_REQUESTS} concurrent /pipeline status (nothing cached; ${shared.acked} acked, ` +
        `${shared.refused} reports refused by Slack), counted where they arrive`,
    );
    print(
      table([
        [
          'port',
          'counted at',
          'components',
          `requests for ${SHARED_REQUESTS}`,
          'one report alone',
          'per component',
        ],
        ...PORT_NAMES.map((p) => [
          p,
          PORT_COUNT[p] ? 'sandbox (HTTP)' : 'bot probe (Firestore RunQuery)',
          String(shared.components[p]),
          String(shared.requests[p]),
          String(shared.oneReport[p]),
          (shared.requests[p] / Math.max(1, shared.components[p])).toFixed(1),
        ]),
        [
          'total',
          '',
          String(components),
          String(requests50),
          String(requests1),
          (requests50 / Math.max(1, components)).toFixed(2),
        ],
      ]),
    );
    print(
      `BigQuery: ${shared.queries.posted} jobs.query requests, ${shared.queries.bothTimeouts} of them with both timeoutMs ` +
        "(the wait) and jobTimeoutMs (the job is stopped on BigQuery's side once the bot stopped waiting); no getQueryResults " +
        `follow-up (${shared.requests.dataChecks} requests for ${shared.components.dataChecks} distinct queries).`,
    );
    print(
      '(The figure of 38 before issue 13 counted per API: the jobs row showed all Cloud Run requests (5 services + 1 job) and ' +
        'the tables row all BigQuery requests (6 queries + 1 table); each made one request.)',
    );
    print();

    // ---- (d) memory over 2,000 commands
    const from = memory.samples.find((s) => s.done === MEMORY_FROM)?.rss ?? Number.NaN;
    const end = memory.samples.at(-1)?.rss ?? Number.NaN;
    const tail = memory.samples.filter((s) => s.done >= MEMORY_FROM).map((s) => ({ x: s.done, y: s.rss }));
    const trend = mb(slope(tail) * (MEMORY_COMMANDS - MEMORY_FROM));
    const trendPct = (trend / mb(from)) * 100;
    const pairPct = ((end - from) / from) * 100;
    print(
      `(3) Bot RSS over ${MEMORY_COMMANDS.toLocaleString('en')} commands (batches of ${MEMORY_BATCH}, 3 dates, 2 in 10 with --fresh): ` +
        `${memory.acked} acked, ${memory.reportsComputed} reports computed, ${(memory.ms / 1000).toFixed(1)} s; OS RSS after each batch, no forced GC`,
    );
    const every = memory.samples
      .filter((s) => s.done % 250 === 0)
      .map((s) => `${s.done}: ${mb(s.rss).toFixed(0)}`);
    print(`RSS (MB) by commands: ${every.join(', ')}`);
    print(
      `from ${MEMORY_FROM} to ${MEMORY_COMMANDS}: ${signed(mb(end - from), ' MB')} (${signed(pairPct, '%')}) between the two readings; ` +
        `${signed(trend, ' MB')} (${signed(trendPct, '%')}) by the least-squares trend of ${tail.length} readings. ` +
        `JS heap used/total: ${fmtMb(mb(memory.heapFrom.heapUsed))}/${fmtMb(mb(memory.heapFrom.heapTotal))} at ${MEMORY_FROM}, ` +
        `${fmtMb(mb(memory.heapEnd.heapUsed))}/${fmtMb(mb(memory.heapEnd.heapTotal))} at the end.`,
    );
    print(
      `Bot event-loop delay over the ${MEMORY_COMMANDS.toLocaleString('en')} commands: p50 ${ms(memory.loop.p50)}, p99 ${ms(memory.loop.p99)}, max ${ms(memory.loop.max)}`,
    );
    const warnings = bot.log.warnings;
    if (warnings > 0) {
      print(`  ! the bot logged ${warnings} warnings/errors, e.g.:`);
      for (const s of bot.log.samples) print(`    ${s}`);
    }
    print();

    // ---- summary
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    print(
      `Summary (Node ${process.version}, ${availableParallelism()} cores, ${cpu}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; bot flags: ${flags.join(' ') || 'none'})`,
    );
    const growth = Math.max(pairPct, trendPct);
    print(
      table([
        ['figure', 'measured', 'target', 'result'],
        [
          '(1) bot event-loop delay p99 during the ack rounds',
          `${ms(median(loopP99s))} median of rounds (worst ${ms(Math.max(...loopP99s))})`,
          'printed',
          '',
        ],
        [
          '(2) ack p99, bot / bare server, same run',
          `${ms(botP99)} / ${ms(bareP99)} = ${ratio(ackRatio)}`,
          `≤ ${ACK_RATIO_TARGET}×`,
          verdict(ackRatio <= ACK_RATIO_TARGET),
        ],
        [
          "(2) margin to Slack's 3 s ack at p99",
          ms(SLACK_ACK_DEADLINE_MS - botP99),
          '> 0',
          verdict(botP99 < SLACK_ACK_DEADLINE_MS),
        ],
        [
          '(3) RSS at idle after the first report',
          `${fmtMb(mb(idleRss))} after ${IDLE_SECONDS} s (just after it: ${fmtMb(mb(idle.afterReport))})`,
          `< ${IDLE_RSS_LIMIT_MB} MB`,
          verdict(mb(idleRss) < IDLE_RSS_LIMIT_MB),
        ],
        [
          `(3) RSS growth ${MEMORY_FROM} → ${MEMORY_COMMANDS.toLocaleString('en')} commands`,
          `${fmtMb(mb(from))} → ${fmtMb(mb(end))}: ${signed(pairPct, '%')} (trend ${signed(trendPct, '%')})`,
          `< ${FLAT_PERCENT}%`,
          verdict(growth < FLAT_PERCENT),
        ],
        [
          `(4, c) Google requests for ${SHARED_REQUESTS} requests`,
          `${requests50} for ${components} components (one report alone: ${requests1})`,
          '1 per component',
          verdict(requests50 === components),
        ],
        [
          '(4) BigQuery jobs.query with timeoutMs and jobTimeoutMs',
          `${shared.queries.bothTimeouts} of ${shared.queries.posted}`,
          'all',
          verdict(shared.queries.posted > 0 && shared.queries.bothTimeouts === shared.queries.posted),
        ],
        [
          '(5) cold start to /healthz ready',
          `${ms(readyMs)} median (${starts.map((s) => ms(s.readyMs)).join(', ')})`,
          `< ${READY_LIMIT_MS} ms`,
          verdict(readyMs < READY_LIMIT_MS),
        ],
        ['(5) cold start to the first report', `${ms(firstMs)} median`, 'printed', ''],
        [
          '(b) sequential / report',
          `${ms(report.sequentialTotal)} / ${ms(reportMs)} = ${ratio(seqRatio)}`,
          '≥ 5×',
          verdict(seqRatio >= 5),
        ],
        [
          '(b) report / longest chain',
          `${ms(reportMs)} / ${ms(chainMs)} = ${ratio(chainRatio)}`,
          '≤ 1.5×',
          verdict(chainRatio <= 1.5),
        ],
      ]),
    );
    print(`Total bench time ${elapsed()}.`);
  } catch (error) {
    process.stderr.write(
      `bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanup();
    return 1;
  }
  progress('stopping');
  await cleanup();
  process.stdout.write(`\n${out.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String(error)}\n`);
    process.exit(1);
  },
);
