/**
 * Cold start (issue 13 item 5): the compiled bot started afresh, time from spawn to the first
 * 200 from /healthz, and to its first report in Slack; then its resident memory at idle after
 * that first report (item 3), read from the OS.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { COLD_STARTS, progress } from './common.js';
import type { ProbeMemory } from './processes.js';
import { type Bot, burst, type Rig } from './rig.js';

export interface ColdStart {
  readyMs: number;
  /** From spawn to the first report in Slack (a `/pipeline status` sent once /healthz answered). */
  firstReportMs: number;
}

export async function measureColdStarts(rig: Rig): Promise<ColdStart[]> {
  const starts: ColdStart[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const bot = await rig.startBotProcess();
    await burst(rig, bot, ['/pipeline status']);
    starts.push({ readyMs: bot.process.readyMs, firstReportMs: performance.now() - bot.process.spawnedAt });
    await bot.process.stop();
    progress(
      `(5) cold start ${i + 1}: /healthz after ${starts[i]?.readyMs.toFixed(0)} ms, first report after ${starts[i]?.firstReportMs.toFixed(0)} ms`,
    );
  }
  return starts;
}

export interface IdleMemory {
  /** RSS right after the first report reached Slack. */
  afterReport: number;
  /** RSS each second while idle, the last one being the idle figure. */
  idle: number[];
  /** After two last-resort full collections (what V8's memory reducer does, at once). */
  collected: ProbeMemory;
  collectedRss: number;
}

/**
 * How long the bot is left idle: V8's memory reducer starts 8 s after allocation calms down and
 * takes a few more seconds to give pages back (here: 16 to 25 s after the report).
 */
export const IDLE_SECONDS = 30;

export async function measureIdle(rig: Rig, bot: Bot): Promise<IdleMemory> {
  await burst(rig, bot, ['/pipeline status']);
  const afterReport = bot.process.rss();
  const idle: number[] = [];
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await sleep(1000);
    idle.push(bot.process.rss());
  }
  const collected = await bot.process.probe<ProbeMemory>({ probe: 'memory', gc: 'last-resort' });
  return { afterReport, idle, collected, collectedRss: bot.process.rss() };
}
