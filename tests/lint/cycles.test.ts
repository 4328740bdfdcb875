/**
 * No import cycles in the product (src/) or the devstack: every relative import (types too, since
 * they tie modules as surely) forms a graph that must have no cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The modules `file` imports, as absolute .ts paths (only relative imports). */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** One cycle of the graph, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('imports', () => {
  it('form no cycle in src/ and devstack/src/', () => {
    const files = [...sources(join(root, 'src')), ...sources(join(root, 'devstack/src'))];
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
    expect(graph.size).toBeGreaterThan(100);
    const cycle = findCycle(graph);
    expect(
      cycle?.map((f) => relative(root, f)),
      'an import cycle',
    ).toBeUndefined();
  });

  it('the check finds a cycle where there is one (commands → interactions → commands, as before src/flows)', () => {
    const a = join(root, 'src/commands/deploy-verify.ts');
    const b = join(root, 'src/interactions/rollback.ts');
    const graph = new Map([
      [a, importsOf(a, "import { openRollbackModal } from '../interactions/rollback.js';")],
      [b, importsOf(b, "import type { Deps } from '../commands/deploy-verify.js';")],
    ]);
    expect(findCycle(graph)?.map((f) => relative(root, f))).toEqual([
      'src/commands/deploy-verify.ts',
      'src/interactions/rollback.ts',
      'src/commands/deploy-verify.ts',
    ]);
  });
});
