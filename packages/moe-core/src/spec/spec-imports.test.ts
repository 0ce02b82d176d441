import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every module specifier imported or re-exported by a TypeScript source (static and dynamic). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The import graph reachable from `entry`: file → its specifiers. Relative imports are followed. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (graph.has(file)) continue;
    const specs = specifiers(readFileSync(file, 'utf8'));
    graph.set(file, specs);
    for (const s of specs)
      if (s.startsWith('.')) pending.push(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return graph;
}

describe('@flexmoe/moe-core/spec', () => {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts');

  it('imports nothing from TF.js, Node or any package, and stays inside src/spec', () => {
    const graph = importGraph(entry);
    expect(graph.size).toBeGreaterThanOrEqual(4); // index, combinations, config, weights
    for (const [file, specs] of graph) {
      expect(path.dirname(file)).toBe(path.dirname(entry));
      for (const s of specs)
        expect({ file: path.basename(file), import: s, relative: s.startsWith('./') }).toEqual({
          file: path.basename(file),
          import: s,
          relative: true,
        });
    }
  });

  it('the graph walk does see a TF.js import (a file of the model, as a control)', () => {
    const graph = importGraph(path.join(path.dirname(entry), '../model/batch.ts'));
    expect([...graph.values()].flat()).toContain('@tensorflow/tfjs-core');
  });
});
