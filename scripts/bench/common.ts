/** What every part of the bench shares: its parameters, progress lines, statistics and formatting. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

// ---- parameters ---------------------------------------------------------------------------------

export const ACK_CONCURRENCY = 200;
export const ACK_ROUNDS = 5;
/** Slack's ack deadline (docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response). */
export const SLACK_ACK_DEADLINE_MS = 3000;
/** Issue 13: the bot's ack p99 at most this many times the bare server's, in the same run. */
export const ACK_RATIO_TARGET = 2;
export const LATENCY_MS = 200;
export const REPORT_REPEATS = 3;
export const SHARED_REQUESTS = 50;
/** Memory: RSS read after this many commands, and its growth from `MEMORY_FROM` to `MEMORY_COMMANDS`. */
export const MEMORY_FROM = 500;
export const MEMORY_COMMANDS = 2000;
export const MEMORY_BATCH = 20;
/** "Flat": RSS grows by less than this from `MEMORY_FROM` to `MEMORY_COMMANDS` commands. */
export const FLAT_PERCENT = 5;
export const IDLE_RSS_LIMIT_MB = 150;
export const READY_LIMIT_MS = 1500;
export const COLD_STARTS = 3;
export const REPORT_DATE = '2026-01-20';
export const USER = 'U0ALICE';
export const CHANNEL = 'C0OPS';

// ---- progress -----------------------------------------------------------------------------------

const benchStart = performance.now();
export const elapsed = (): string => `${((performance.now() - benchStart) / 1000).toFixed(1)} s`;
export const progress = (text: string): void => {
  process.stderr.write(`[bench ${elapsed()}] ${text}\n`);
};

// ---- statistics ---------------------------------------------------------------------------------

/** Nearest-rank percentile of `values` (not required to be sorted). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export const median = (values: number[]): number => percentile(values, 50);

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ---- formatting ---------------------------------------------------------------------------------

export const ms = (n: number): string =>
  Number.isFinite(n) ? `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ms` : 'n/a';
export const mb = (bytes: number): number => bytes / 1024 / 1024;
export const fmtMb = (n: number): string => `${n.toFixed(1)} MB`;
export const ratio = (n: number): string => `${n.toFixed(2)}×`;
export const signed = (n: number, unit: string): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}${unit}`;
export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
