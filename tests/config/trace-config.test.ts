/** `phases[].trace` and `fields.finishedAt` in the pipeline YAML: strict, cross-checked, optional. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../src/config.js';

const example = readFileSync('config/pipeline.example.yml', 'utf8');
const PHASE3_TRACE = `      handoff: { function: phase3-to-phase4-orchestrator, received: Received message, trigger: Triggering Phase 4 }`;

describe('phases[].trace', () => {
  it('the example configures every phase: processors, completion line, hand-off (none after the last)', () => {
    const c = parsePipeline(example, 'p.yml');
    expect(c.phases.map((p) => p.trace?.processors)).toEqual([
      ['BdlBoxscoresProcessor'],
      ['PlayerGameSummaryProcessor'],
      ['MLFeatureStoreProcessor'],
      ['PredictionCoordinator'],
    ]);
    expect(c.phases.map((p) => p.trace?.complete)).toEqual(Array(4).fill('Processing complete'));
    expect(c.phases[1]?.trace?.handoff).toEqual({
      function: 'phase3-to-phase4-orchestrator',
      received: 'Received message',
      trigger: 'Triggering Phase 4',
    });
    expect(c.phases.at(-1)?.trace?.handoff).toBeUndefined();
    expect(c.runHistory.fields.finishedAt).toBe('finished_at');
  });

  it('is optional, as is each of its keys', () => {
    const bare = example.replaceAll(/\n {4}trace:[^\n]*(\n {6}[^\n]*)*/g, '');
    expect(bare).not.toContain('trace:');
    expect(parsePipeline(bare, 'p.yml').phases.every((p) => p.trace === undefined)).toBe(true);
    const onlyComplete = example.replace(PHASE3_TRACE, '');
    expect(parsePipeline(onlyComplete, 'p.yml').phases[1]?.trace?.handoff).toBeUndefined();
  });

  it('refuses an unknown key with the key that was meant', () => {
    const typo = example.replace(
      '      complete: Processing complete\n',
      '      complet: Processing complete\n',
    );
    expect(() => parsePipeline(typo, 'p.yml')).toThrowError(
      /- phases\.0\.trace\.complet: unknown key \(did you mean `complete`\?\); known keys here: processors, complete, handoff/,
    );
    const handoffTypo = example.replace('trigger: Triggering Phase 4 }', 'triger: Triggering Phase 4 }');
    expect(() => parsePipeline(handoffTypo, 'p.yml')).toThrowError(
      /- phases\.1\.trace\.handoff\.triger: unknown key \(did you mean `trigger`\?\)/,
    );
  });

  it('a hand-off names a function component; a processor belongs to one phase', () => {
    const notFn = example.replace('function: phase3-to-phase4-orchestrator,', 'function: nba-phase6-export,');
    expect(() => parsePipeline(notFn, 'p.yml')).toThrowError(
      /- phases\.1\.trace\.handoff\.function: a function component \(phase2-to-phase3-orchestrator, /,
    );
    const twice = example.replace(
      'processors: [MLFeatureStoreProcessor]',
      'processors: [PlayerGameSummaryProcessor]',
    );
    expect(() => parsePipeline(twice, 'p.yml')).toThrowError(
      /- phases\.2\.trace\.processors: PlayerGameSummaryProcessor is already a processor of phases\.1/,
    );
  });

  it('a marker is one line of at least 3 characters', () => {
    const multiLine = example.replace('trigger: Triggering Phase 4 }', 'trigger: "Triggering\\nPhase 4" }');
    expect(() => parsePipeline(multiLine, 'p.yml')).toThrowError(
      /phases\.1\.trace\.handoff\.trigger: one line of text/,
    );
    const short = example.replace('trigger: Triggering Phase 4 }', 'trigger: go }');
    expect(() => parsePipeline(short, 'p.yml')).toThrowError(
      /phases\.1\.trace\.handoff\.trigger: at least 3 characters/,
    );
  });
});
