/**
 * The built app as `flexmoe export --web DIR` and `flexmoe serve --ui` ship it: the app's files plus the model,
 * with index.html set to open that model on load.
 */
import type { WebAppProvider } from '@flexmoe/export';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildWebApp, defaultWebAppDir } from './build/build-app.js';

const MODEL_MARKER = '<!-- flexmoe-model -->';

/** The folder of the built app, building it first when it is missing. */
export async function ensureWebApp(): Promise<string> {
  const dir = defaultWebAppDir();
  if (!existsSync(path.join(dir, 'index.html')) || !existsSync(path.join(dir, 'app.js')))
    await buildWebApp({ outDir: dir });
  return dir;
}

/** The app's index.html with `<meta name="flexmoe-model">` naming the model to open on load. */
export function indexHtmlWithModel(html: string, modelUrl: string): string {
  if (!html.includes(MODEL_MARKER))
    throw new Error(`the app's index.html has no ${MODEL_MARKER} marker; rebuild @flexmoe/web`);
  const escaped = modelUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return html.replace(MODEL_MARKER, `<meta name="flexmoe-model" content="${escaped}">`);
}

/** Whether `dir` may be replaced: absent, empty, holding only a model.onnx, or an app written here before. */
async function replaceable(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true;
  if (!(await stat(dir)).isDirectory()) return false;
  const names = await readdir(dir);
  if (names.every((n) => n === 'model.onnx')) return true;
  if (!names.includes('index.html')) return false;
  return (await readFile(path.join(dir, 'index.html'), 'utf8')).includes('name="flexmoe-model"');
}

/**
 * Writes the app and the model (as `model.onnx`) into `outDir`, in a temporary sibling folder renamed into place.
 * @throws when `outDir` exists with other content (nothing is written then)
 */
export async function writeWebApp(
  outDir: string,
  modelFile: string,
): Promise<{ dir: string; files: number; bytes: number }> {
  const dir = path.resolve(outDir);
  let model: Buffer;
  try {
    model = await readFile(modelFile);
  } catch (e) {
    throw new Error(`${modelFile}: cannot read the model (${(e as Error).message})`);
  }
  if (!(await replaceable(dir))) {
    throw new Error(
      `${outDir}: exists and is not an app folder written by flexmoe export --web; choose an empty or new folder`,
    );
  }
  const appDir = await ensureWebApp();
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await mkdir(path.dirname(dir), { recursive: true });
    await cp(appDir, tmp, { recursive: true });
    await writeFile(
      path.join(tmp, 'index.html'),
      indexHtmlWithModel(await readFile(path.join(appDir, 'index.html'), 'utf8'), 'model.onnx'),
    );
    await writeFile(path.join(tmp, 'model.onnx'), model);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        files++;
        bytes += (await stat(full)).size;
      }
    }
  };
  await walk(dir);
  return { dir, files, bytes };
}

/** The browser app for the flexmoe command's `export --web` and `serve --ui`. */
export const webAppProvider: WebAppProvider = {
  appDir: ensureWebApp,
  indexHtml: async (modelUrl) =>
    indexHtmlWithModel(await readFile(path.join(await ensureWebApp(), 'index.html'), 'utf8'), modelUrl),
  writeApp: writeWebApp,
};
