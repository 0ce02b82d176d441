/**
 * Builds the static app with esbuild: `app.js` (one ES module: the app, @flexmoe/export's browser-safe
 * prediction code, @flexmoe/data's record transformer and onnxruntime-web), `index.html`, `app.css`, and the
 * onnxruntime-web wasm binary in `ort/` (served from the app's own folder; no CDN).
 */
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The @flexmoe/web package folder (works from src/ under jest and from dist/ when built). */
export function webPackageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the @flexmoe/web package folder');
    dir = up;
  }
  return dir;
}

/** Where {@link buildWebApp} writes by default: `packages/web/dist/www`. */
export function defaultWebAppDir(): string {
  return path.join(webPackageDir(), 'dist', 'www');
}

/** The onnxruntime-web files the app loads at run time from its own ort/ folder (the wasm binary and its loader). */
export const ORT_RUNTIME_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'] as const;

/** One file of the built app. */
export interface BuiltFile {
  /** Path relative to the app folder, `/`-separated. */
  path: string;
  bytes: number;
}

/** What {@link buildWebApp} wrote. */
export interface BuiltWebApp {
  dir: string;
  files: BuiltFile[];
}

function onnxRuntimeWebDistDir(): string {
  const require = createRequire(import.meta.url);
  // The package's exports map has no ./package.json; its wasm files are exported one by one.
  return path.dirname(require.resolve(`onnxruntime-web/${ORT_RUNTIME_FILES[0]}`));
}

async function listFiles(dir: string, prefix = ''): Promise<BuiltFile[]> {
  const out: BuiltFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(full, rel)));
    else out.push({ path: rel, bytes: (await stat(full)).size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Browser-safe entries of the workspace packages the app imports, as TypeScript sources. */
const WORKSPACE_ENTRIES: Record<string, string> = {
  '@flexmoe/export/browser': 'export/src/browser.ts',
  '@flexmoe/data/transform': 'data/src/transform.ts',
  '@flexmoe/data/browser': 'data/src/browser.ts',
};

/**
 * In the workspace, bundle the packages' sources (never a stale dist/); installed from a registry, their
 * compiled dist/ through the package exports.
 */
export function workspaceSources(packagesDir: string): Plugin {
  return {
    name: 'flexmoe-workspace-sources',
    setup(b) {
      b.onResolve({ filter: /^@flexmoe\/(export\/browser|data\/transform|data\/browser)$/ }, (args) => {
        const file = path.join(packagesDir, WORKSPACE_ENTRIES[args.path]);
        return existsSync(file) ? { path: file } : undefined;
      });
    },
  };
}

/**
 * Bundles the app into `outDir` (default {@link defaultWebAppDir}); builds in a sibling temporary folder and
 * renames it into place, so a failed build leaves the previous app intact.
 */
export async function buildWebApp(options: { outDir?: string; minify?: boolean } = {}): Promise<BuiltWebApp> {
  const outDir = path.resolve(options.outDir ?? defaultWebAppDir());
  const appSrc = path.join(webPackageDir(), 'src', 'app');
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(path.join(tmp, 'ort'), { recursive: true });
  try {
    await build({
      entryPoints: [path.join(appSrc, 'main.ts')],
      outfile: path.join(tmp, 'app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome113', 'firefox121', 'safari17'],
      minify: options.minify ?? true,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [workspaceSources(path.dirname(webPackageDir()))],
    });
    await copyFile(path.join(appSrc, 'index.html'), path.join(tmp, 'index.html'));
    await copyFile(path.join(appSrc, 'app.css'), path.join(tmp, 'app.css'));
    const ortDir = onnxRuntimeWebDistDir();
    for (const f of ORT_RUNTIME_FILES) await copyFile(path.join(ortDir, f), path.join(tmp, 'ort', f));
    await rm(outDir, { recursive: true, force: true });
    await mkdir(path.dirname(outDir), { recursive: true });
    await rename(tmp, outDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: outDir, files: await listFiles(outDir) };
}
