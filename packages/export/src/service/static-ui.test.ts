import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WebAppProvider } from '../cli/web-app-provider.js';
import { registerExportCommands } from '../cli/register-export-commands.js';
import { writeFixtureRun } from '../testing/fixture-run.js';

/** A stand-in for @flexmoe/web's provider: a folder with an index.html, an app.js and a wasm file. */
function fakeWebApp(appDir: string, written: string[]): WebAppProvider {
  return {
    appDir: async () => appDir,
    indexHtml: async (modelUrl) => `<html><meta name="flexmoe-model" content="${modelUrl}"></html>`,
    writeApp: async (outDir, modelFile) => {
      written.push(outDir, modelFile);
      return { dir: outDir, files: 1, bytes: 1 };
    },
  };
}

function program(webApp?: WebAppProvider, onListening?: (app: FastifyInstance, address: string) => void): Command {
  const p = new Command('flexmoe').exitOverride();
  p.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return registerExportCommands(p, { log: () => undefined, installSignalHandlers: false, onListening, webApp });
}

describe('flexmoe serve --ui and export --web', () => {
  let root: string;
  let runDir: string;
  let model: string;
  let appDir: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-ui-'));
    ({ runDir } = await writeFixtureRun(root));
    model = path.join(root, 'model.onnx');
    await program().parseAsync([
      'node',
      'flexmoe',
      'export',
      '--run',
      runDir,
      '--out',
      model,
      '--counterfactual-rows',
      '2',
    ]);
    appDir = path.join(root, 'app');
    await mkdir(path.join(appDir, 'ort'), { recursive: true });
    await writeFile(path.join(appDir, 'app.js'), 'console.log(1)');
    await writeFile(path.join(appDir, 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
    await writeFile(path.join(root, 'secret.js'), 'outside the app');
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  test('serve --ui: the app at /, the model at /model.onnx, only app files, the API unchanged', async () => {
    let app: FastifyInstance | undefined;
    let address = '';
    await program(fakeWebApp(appDir, []), (a, addr) => ((app = a), (address = addr))).parseAsync([
      'node',
      'flexmoe',
      'serve',
      '--model',
      model,
      '--port',
      '0',
      '--log-level',
      'silent',
      '--ui',
    ]);
    try {
      const index = await fetch(`${address}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await index.text()).toContain('content="model.onnx"');
      const js = await fetch(`${address}/app.js`);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await js.text()).toBe('console.log(1)');
      const wasm = await fetch(`${address}/ort/x.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      const served = new Uint8Array(await (await fetch(`${address}/model.onnx`)).arrayBuffer());
      expect(Buffer.from(served).equals(await readFile(model))).toBe(true);
      for (const bad of ['/../secret.js', '/%2e%2e/secret.js', '/%2e%2e%2fsecret.js', '/nope.js', '/ort']) {
        const res = await fetch(`${address}${bad}`);
        expect([bad, res.status]).toEqual([bad, 404]);
      }
      // A malformed escape is the framework's 400, not a crash.
      expect((await fetch(`${address}/%E0%A4%A`)).status).toBe(400);
      expect((await fetch(`${address}/healthz`)).status).toBe(200);
      expect((await (await fetch(`${address}/v1/model`)).json()).classes).toEqual(['stable', 'decline']);
    } finally {
      await app?.close();
    }
  });

  test('serve --ui and export --web without the app say what is missing; export needs --out or --web', async () => {
    await expect(
      program().parseAsync(['node', 'flexmoe', 'serve', '--model', model, '--port', '0', '--ui']),
    ).rejects.toThrow(/--ui needs the browser app \(@flexmoe\/web\)/);
    await expect(
      program().parseAsync(['node', 'flexmoe', 'export', '--run', runDir, '--web', path.join(root, 'w')]),
    ).rejects.toThrow(/--web needs the browser app/);
    await expect(program().parseAsync(['node', 'flexmoe', 'export', '--run', runDir])).rejects.toThrow(
      /give --out <file>, --web <dir>, or both/,
    );
  });

  test('export --web alone writes the model into the folder and hands it to the app writer', async () => {
    const written: string[] = [];
    const web = path.join(root, 'site');
    await program(fakeWebApp(appDir, written)).parseAsync(['node', 'flexmoe', 'export', '--run', runDir, '--web', web]);
    expect(written).toEqual([web, path.join(web, 'model.onnx')]);
    expect((await readFile(path.join(web, 'model.onnx'))).length).toBeGreaterThan(1000);
  });
});
