/**
 * (d) Small and flat (issue 13 item 3): 2,000 commands in batches of 20 (three dates, two in
 * ten with `--fresh`), the bot's resident memory read from the OS after every batch, with no
 * forced collection: what the process really holds, as a container's memory limit sees it.
 */
import { performance } from 'node:perf_hooks';
import { MEMORY_BATCH, MEMORY_COMMANDS, MEMORY_FROM, mb, progress, REPORT_DATE } from './common.js';
import type { LoopDelay, ProbeMemory } from './processes.js';
import { type Bot, burst, type Rig } from './rig.js';

export interface MemoryResult {
  /** RSS after each batch, by commands sent. */
  samples: { done: number; rss: number }[];
  /** The JS heap (no forced collection) at MEMORY_FROM and at the end. */
  heapFrom: ProbeMemory;
  heapEnd: ProbeMemory;
  reportsComputed: number;
  acked: number;
  ms: number;
  loop: LoopDelay;
}

const VARIANTS = [
  '/pipeline status',
  `/pipeline status ${REPORT_DATE}`,
  '/pipeline status yesterday',
  `/pipeline status ${REPORT_DATE} --fresh`,
  '/pipeline status',
  '/pipeline status yesterday',
  `/pipeline status ${REPORT_DATE}`,
  '/pipeline status --fresh',
  '/pipeline status yesterday',
  `/pipeline status ${REPORT_DATE}`,
];

export async function measureMemory(rig: Rig, bot: Bot): Promise<MemoryResult> {
  const services = rig.config.components.filter((c) => c.kind === 'service').length;
  await rig.standIns.call({ op: 'resetCounts' });
  await bot.process.probe({ probe: 'loop-reset' });
  const samples: { done: number; rss: number }[] = [];
  let acked = 0;
  let heapFrom: ProbeMemory | undefined;
  const started = performance.now();
  for (let done = 0; done < MEMORY_COMMANDS; ) {
    const texts = Array.from(
      { length: MEMORY_BATCH },
      (_, i) => VARIANTS[(done + i) % VARIANTS.length] as string,
    );
    const sent = await burst(rig, bot, texts);
    acked += sent.filter((s) => s.status === 200).length;
    done += texts.length;
    samples.push({ done, rss: bot.process.rss() });
    // The fake Slack keeps a transcript of everything: drop it, to keep the stand-ins small.
    await rig.standIns.call({ op: 'resetFake' });
    if (done === MEMORY_FROM) {
      heapFrom = await bot.process.probe<ProbeMemory>({ probe: 'memory' });
      progress(`(3) ${done} commands: RSS ${mb(samples.at(-1)?.rss ?? 0).toFixed(1)} MB`);
    }
  }
  const ms = performance.now() - started;
  const loop = await bot.process.probe<LoopDelay>({ probe: 'loop' });
  const heapEnd = await bot.process.probe<ProbeMemory>({ probe: 'memory' });
  progress(`(3) ${MEMORY_COMMANDS} commands: RSS ${mb(samples.at(-1)?.rss ?? 0).toFixed(1)} MB`);
  const counts = await rig.counts();
  return {
    samples,
    heapFrom: heapFrom ?? heapEnd,
    heapEnd,
    reportsComputed: Math.round((counts.byPort.cloudRun ?? 0) / Math.max(1, services)),
    acked,
    ms,
    loop,
  };
}
