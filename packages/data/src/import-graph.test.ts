/**
 * The import graph of packages/data/src: no import cycles anywhere, and the browser entry
 * (`@flexmoe/data/transform`, src/transform.ts) reaches no Node built-in and no package at run time.
 * Edges are read with the TypeScript parser (pinned in the root package.json); `import type` and
 * `export type` edges are erased at compile time, so they count for cycles but not for the browser check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = path.dirname(fileURLToPath(import.meta.url));

interface Edge {
  specifier: string;
  /** Resolved file for a relative specifier, else undefined. */
  target?: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function edgesOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const edges: Edge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!spec || !ts.isStringLiteral(spec)) return;
    const specifier = spec.text;
    const target = specifier.startsWith('.')
      ? path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'))
      : undefined;
    edges.push({ specifier, target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const allTypes =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

function graph(): Map<string, Edge[]> {
  return new Map(sourceFiles(SRC).map((f) => [f, edgesOf(f)]));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(g: Map<string, Edge[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const e of g.get(v) ?? []) {
      const w = e.target;
      if (!w || !g.has(w)) continue;
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).some((e) => e.target === v))
        out.push(scc.map((f) => path.relative(SRC, f)).sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) strong(v);
  return out;
}

/** Run-time imports reachable from `entry`: local files and outside specifiers (with who imports them). */
function runtimeClosure(g: Map<string, Edge[]>, entry: string): { files: Set<string>; outside: string[] } {
  const files = new Set<string>([entry]);
  const outside: string[] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop() as string;
    for (const e of g.get(f) ?? []) {
      if (e.typeOnly) continue;
      if (e.target === undefined) outside.push(`${path.relative(SRC, f)} → ${e.specifier}`);
      else if (!g.has(e.target)) outside.push(`${path.relative(SRC, f)} → ${e.specifier} (no such file)`);
      else if (!files.has(e.target)) {
        files.add(e.target);
        todo.push(e.target);
      }
    }
  }
  return { files, outside };
}

describe('import graph of packages/data/src', () => {
  const g = graph();

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('the cycle finder sees a cycle when there is one', () => {
    const a = path.join(SRC, 'a.ts');
    const b = path.join(SRC, 'b.ts');
    const fake = new Map<string, Edge[]>([
      [a, [{ specifier: './b.js', target: b, typeOnly: false }]],
      [b, [{ specifier: './a.js', target: a, typeOnly: true }]],
    ]);
    expect(cycles(fake)).toEqual([['a.ts', 'b.ts']]);
  });

  it('the browser entry reaches no Node built-in, no package and no file reader', () => {
    const { files, outside } = runtimeClosure(g, path.join(SRC, 'transform.ts'));
    expect(outside).toEqual([]);
    const reached = [...files].map((f) => path.relative(SRC, f).split(path.sep).join('/')).sort();
    expect(reached).toContain('transforms/transform-record.ts');
    expect(reached).toContain('transforms/kinds/image.ts');
    // Only the transform folder: nothing from the CLI, the readers or the builders.
    expect(reached.filter((f) => !f.startsWith('transforms/') && f !== 'transform.ts')).toEqual([]);
  });

  it('package.json publishes the browser entry as @flexmoe/data/transform', () => {
    const pkg = JSON.parse(readFileSync(path.join(SRC, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string; types: string }>;
    };
    expect(pkg.exports['./transform']).toEqual({ types: './dist/transform.d.ts', default: './dist/transform.js' });
  });

  it('the Node-side index does reach Node built-ins (the check above would see them)', () => {
    const { outside } = runtimeClosure(g, path.join(SRC, 'index.ts'));
    expect(outside.some((o) => o.endsWith('→ node:fs/promises'))).toBe(true);
  });
});
