// Node ESM hooks that run the workspace's TypeScript sources directly (tests spawn the CLI from src/,
// so they never depend on a stale dist/): @flexmoe/* → packages/*/src/index.ts, './x.js' → './x.ts',
// .ts compiled by SWC (the same compiler jest uses).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

const root = new URL('../../../../', import.meta.url);

export async function resolve(specifier, context, next) {
  const pkg = /^@flexmoe\/(data|encoders|moe-core|trainer|export|cli|web)$/.exec(specifier);
  if (pkg) return { url: new URL(`packages/${pkg[1]}/src/index.ts`, root).href, shortCircuit: true };
  // Subpath entries (@flexmoe/data/transform, @flexmoe/moe-core/spec, …) → packages/<pkg>/src/<entry>.ts,
  // or packages/<pkg>/src/<entry>/index.ts
  const sub = /^@flexmoe\/([a-z-]+)\/([a-z-]+)$/.exec(specifier);
  if (sub) {
    for (const candidate of [`packages/${sub[1]}/src/${sub[2]}.ts`, `packages/${sub[1]}/src/${sub[2]}/index.ts`]) {
      const url = new URL(candidate, root);
      if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
    }
  }
  if (
    context.parentURL &&
    context.parentURL.endsWith('.ts') &&
    /^\.{1,2}\//.test(specifier) &&
    specifier.endsWith('.js')
  ) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const filename = fileURLToPath(url);
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    });
    return { format: 'module', source: code, shortCircuit: true };
  }
  return next(url, context);
}
