/**
 * Acks first (issue 13 items 1 and 2): rounds of 200 signed commands sent at once by the load
 * client (its own process) to the bare reference server and to the bot, each another process.
 * The bot's round is `/pipeline status` for a date not asked before (nothing cached), half of
 * them with `--fresh`; a round of `/pipeline help` (an ack with text, nothing after it) is the
 * reference for what Bolt alone costs. The bot's event-loop delay is read over each status round.
 */
import { performance } from 'node:perf_hooks';
import { ACK_CONCURRENCY, ACK_ROUNDS, percentile, progress } from './common.js';
import type { Sent } from './load-client.js';
import type { LoopDelay } from './processes.js';
import { type Bot, burst, type Rig } from './rig.js';

export interface AckRound {
  botP99: number;
  helpP99: number;
  bareP99: number;
  loop: LoopDelay;
  /** How the status round's requests reached the bot: spread from first to last, longest gap. */
  arrivals: { count: number; spreadMs: number; maxGapMs: number };
  /** Reports the round computed (Cloud Run service reads / services). */
  reports: number;
  /** From the first command sent to the last report in Slack. */
  allReportsMs: number;
}

export interface AckResult {
  bot: number[];
  help: number[];
  bare: number[];
  errors: string[];
  rounds: AckRound[];
}

const statusTexts = (round: number) =>
  Array.from(
    { length: ACK_CONCURRENCY },
    // A date of its own per round: the round computes its reports, as after the cache expired.
    (_, i) => `/pipeline status 2026-01-${String(10 + round).padStart(2, '0')}${i % 2 ? ' --fresh' : ''}`,
  );

export async function measureAcks(rig: Rig, bot: Bot): Promise<AckResult> {
  const result: AckResult = { bot: [], help: [], bare: [], errors: [], rounds: [] };
  const services = rig.config.components.filter((c) => c.kind === 'service').length;
  const sendBare = async (n: number) =>
    // The same payloads the bot gets, so both sides hash and parse the same bytes.
    rig.load.send(rig.bare.url, rig.secret, await rig.commandBodies(statusTexts(0).slice(0, n)));
  const help = (n: number) => Array.from({ length: n }, () => '/pipeline help');
  // Warm up every path (JIT, connections) outside the measurement.
  await sendBare(20);
  await burst(rig, bot, statusTexts(9).slice(0, 20));
  await burst(rig, bot, help(20), 0);
  for (let round = 1; round <= ACK_ROUNDS; round++) {
    const bare = await sendBare(ACK_CONCURRENCY);
    const helped = await burst(rig, bot, help(ACK_CONCURRENCY), 0);
    await rig.standIns.call({ op: 'resetCounts' });
    await bot.process.probe({ probe: 'loop-reset' });
    await bot.process.probe({ probe: 'arrivals' });
    const started = performance.now();
    const status = await burst(rig, bot, statusTexts(round));
    const allReportsMs = performance.now() - started;
    const loop = await bot.process.probe<LoopDelay>({ probe: 'loop' });
    const arrivals = await bot.process.probe<AckRound['arrivals']>({ probe: 'arrivals' });
    const counts = await rig.counts();
    for (const [side, list] of Object.entries({ bare, help: helped, status })) {
      const bad = list.filter((s) => s.status !== 200);
      if (bad.length > 0) result.errors.push(`${side} round ${round}: ${bad.length} answers not 200`);
    }
    const p99 = (list: Sent[]) =>
      percentile(
        list.map((s) => s.ms),
        99,
      );
    result.bare.push(...bare.map((s) => s.ms));
    result.help.push(...helped.map((s) => s.ms));
    result.bot.push(...status.map((s) => s.ms));
    const r: AckRound = {
      botP99: p99(status),
      helpP99: p99(helped),
      bareP99: p99(bare),
      loop,
      arrivals,
      reports: Math.round((counts.byPort.cloudRun ?? 0) / Math.max(1, services)),
      allReportsMs,
    };
    result.rounds.push(r);
    progress(
      `(2) round ${round}: ack p99 bot ${r.botP99.toFixed(0)} ms, bare ${r.bareP99.toFixed(0)} ms, ` +
        `/pipeline help ${r.helpP99.toFixed(0)} ms; event-loop delay p99 ${r.loop.p99.toFixed(0)} ms; ` +
        `${r.reports} reports, all in Slack after ${allReportsMs.toFixed(0)} ms; ` +
        `the ${arrivals.count} requests reached the bot over ${arrivals.spreadMs.toFixed(0)} ms (longest gap ${arrivals.maxGapMs.toFixed(0)} ms)`,
    );
  }
  return result;
}
