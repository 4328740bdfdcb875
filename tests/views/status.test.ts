import { describe, expect, it } from 'vitest';
import { loadPipeline, parsePipeline, pipelineDocument } from '../../src/config.js';
import type { IsoDate } from '../../src/domain/ports.js';
import { ok } from '../../src/domain/result.js';
import { buildStatusReport } from '../../src/domain/status.js';
import { statusMessage } from '../../src/views/status.js';
import { fakePorts, healthyService } from '../helpers/fake-ports.js';

const date = '2026-01-20' as IsoDate;
const now = new Date('2026-01-21T12:00:00Z');

function bigPipeline(n: number) {
  const base = loadPipeline('config/pipeline.example.yml');
  const phases = Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    label: `Phase ${i}`,
    service: `svc-${String(i).padStart(3, '0')}`,
  }));
  const doc = pipelineDocument(base);
  return parsePipeline(
    JSON.stringify({
      ...doc,
      components: [
        ...doc.components.filter((c) => c.kind !== 'service'),
        ...phases.map((p) => ({ kind: 'service', name: p.service })),
      ],
      phases,
      dataChecks: base.dataChecks.map(({ phase: _, ...c }) => c),
      backfill: { targets: [] },
    }),
    'big.yml',
  );
}

function allTexts(blocks: unknown[]): string[] {
  const out: string[] = [];
  for (const b of blocks as { text?: { text: string }; elements?: { text?: unknown }[] }[]) {
    if (b.text?.text) out.push(b.text.text);
  }
  return out;
}

describe('status message', () => {
  it('summarizes a 60-service pipeline within Slack limits', async () => {
    const config = bigPipeline(60);
    const broken = new Set(['svc-007', 'svc-021', 'svc-044']);
    const ports = fakePorts({
      cloudRun: {
        getService: async (name) =>
          ok(
            broken.has(name)
              ? { ...healthyService(name), ready: { state: 'false', message: 'boom' } }
              : healthyService(name),
          ),
        listRevisions: async () => ok([]),
      },
    });
    const report = await buildStatusReport(ports, config, date, now);
    const blocks = statusMessage(report, { withActions: true });
    // Slack's Block Kit reference: 50 blocks a message, 3,000 characters a section text.
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const t of allTexts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    const services = allTexts(blocks).find((t) => t.startsWith('*Cloud Run services*'))!;
    for (const b of broken) expect(services).toContain(b);
    expect(services).toMatch(/and \d+ more healthy/);
    expect(JSON.stringify(blocks).length).toBeLessThan(40_000);
  });

  it('escapes mrkdwn control characters from log samples', async () => {
    const config = loadPipeline('config/pipeline.example.yml');
    const ports = fakePorts({
      logs: {
        errorsSince: async () =>
          ok([
            {
              source: 'prediction-coordinator',
              count: 2,
              sample: '<!channel> & <@U1>',
              firstSeen: now.toISOString(),
              lastSeen: now.toISOString(),
            },
          ]),
      },
    });
    const blocks = statusMessage(await buildStatusReport(ports, config, date, now));
    const text = JSON.stringify(blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  it('offers Heal only when data or runs need it', async () => {
    const config = loadPipeline('config/pipeline.example.yml');
    const clean = statusMessage(await buildStatusReport(fakePorts(), config, date, now), {
      withActions: true,
    });
    expect(JSON.stringify(clean)).not.toContain('open_heal');
    const missing = fakePorts({
      dataChecks: {
        scalar: async (sql) => ok(sql.includes('nba_predictions') ? 26 : sql.includes('upcoming') ? 224 : 7),
      },
    });
    const dirty = statusMessage(await buildStatusReport(missing, config, date, now), { withActions: true });
    expect(JSON.stringify(dirty)).toContain('open_heal');
  });
});
