/**
 * `/pipeline status` after its ack, for a burst of commands: one report for all of them, and
 * their posts go out a bounded number at a time, every command acked before any post starts.
 */
import { describe, expect, it } from 'vitest';
import { makePipelineCommand } from '../../src/commands/pipeline.js';
import { loadPipeline } from '../../src/config.js';
import { SingleFlightCache } from '../../src/domain/single-flight.js';
import type { StatusReport } from '../../src/domain/status.js';
import type { Deps } from '../../src/flows/deps.js';
import { silentLogger } from '../../src/log.js';
import { fakePorts } from '../helpers/fake-ports.js';

const BURST = 40;

function deps(): { deps: Deps; reports: () => number } {
  const config = loadPipeline('config/pipeline.example.yml');
  let reports = 0;
  const ports = fakePorts({
    cloudRun: {
      getService: async (name) => {
        if (name === 'nba-phase2-raw-processors') reports++;
        return fakePorts().cloudRun.getService(name);
      },
      listRevisions: async () => ({ ok: true, value: [] }),
    },
  });
  const d = {
    config,
    ports,
    clock: { now: () => new Date() },
    log: silentLogger,
    statusCache: new SingleFlightCache<StatusReport>(30_000),
  } as unknown as Deps;
  return { deps: d, reports: () => reports };
}

describe('a burst of /pipeline status', () => {
  it('acks all, builds one report, and keeps at most 16 posts in flight', async () => {
    const { deps: d, reports } = deps();
    const listener = makePipelineCommand(d);
    const events: string[] = [];
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const runs = Array.from({ length: BURST }, (_, i) =>
      listener({
        ack: async () => void events.push(`ack ${i}`),
        command: {
          text: i % 2 ? 'status 2026-01-20 --fresh' : 'status 2026-01-20',
          user_id: 'U1',
          channel_id: 'C1',
        },
        respond: async () => {
          events.push(`post ${i}`);
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise<void>((resolve) => held.push(resolve));
          inFlight--;
          return {};
        },
        client: {},
      } as unknown as Parameters<typeof listener>[0]),
    );
    // Let every post that may start, start.
    for (let i = 0; i < 200 && held.length < 16; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(16);
    expect(events.filter((e) => e.startsWith('ack'))).toHaveLength(BURST);
    expect(events.findIndex((e) => e.startsWith('post'))).toBeGreaterThanOrEqual(BURST);
    // Release the posts as they come: every command is answered.
    const releasing = (async () => {
      while (events.filter((e) => e.startsWith('post')).length < BURST || held.length > 0) {
        held.shift()?.();
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all(runs);
    await releasing;
    expect(most).toBe(16);
    expect(reports()).toBe(1);
  });
});
