import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ORT_RUNTIME_FILES } from './build/build-app.js';
import { indexHtmlWithModel, writeWebApp } from './write-web-app.js';

describe('the app folder of flexmoe export --web', () => {
  let root: string;
  let model: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-webapp-'));
    model = path.join(root, 'trained.onnx');
    await writeFile(model, new Uint8Array([8, 1, 2, 3]));
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  test('index.html names the model to open, escaped', () => {
    const html = '<head><!-- flexmoe-model --></head>';
    expect(indexHtmlWithModel(html, 'model.onnx')).toBe(
      '<head><meta name="flexmoe-model" content="model.onnx"></head>',
    );
    expect(indexHtmlWithModel(html, 'a"b<c&.onnx')).toContain('content="a&quot;b&lt;c&amp;.onnx"');
    expect(() => indexHtmlWithModel('<head></head>', 'm.onnx')).toThrow(/no <!-- flexmoe-model --> marker/);
  });

  test('writes the app, the wasm runtime and model.onnx; rewrites its own folder; refuses a foreign one', async () => {
    const dir = path.join(root, 'site');
    const first = await writeWebApp(dir, model);
    const names = await readdir(dir);
    expect(names).toEqual(expect.arrayContaining(['index.html', 'app.js', 'app.css', 'model.onnx', 'ort']));
    for (const f of ORT_RUNTIME_FILES) expect(existsSync(path.join(dir, 'ort', f))).toBe(true);
    expect(Array.from(await readFile(path.join(dir, 'model.onnx')))).toEqual([8, 1, 2, 3]);
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain(
      '<meta name="flexmoe-model" content="model.onnx">',
    );
    expect(first.files).toBe(names.length - 1 + ORT_RUNTIME_FILES.length);
    await writeWebApp(dir, model);

    const foreign = path.join(root, 'photos');
    await mkdir(foreign);
    await writeFile(path.join(foreign, 'holiday.jpg'), 'x');
    await expect(writeWebApp(foreign, model)).rejects.toThrow(
      /photos: exists and is not an app folder written by flexmoe export --web/,
    );
    expect(await readdir(foreign)).toEqual(['holiday.jpg']);
    await expect(writeWebApp(path.join(root, 'x'), path.join(root, 'missing.onnx'))).rejects.toThrow(
      /missing.onnx: cannot read the model/,
    );
  });
});
