import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_CANDIDATES, chooseBackend } from './choose-backend.js';

const realImport = (name: string): Promise<unknown> => import(name);

describe('chooseBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('forces cpu and wasm through FLEXMOE_BACKEND', async () => {
    const lines: string[] = [];
    const cpu = await chooseBackend({ forced: 'cpu', log: (l) => lines.push(l) });
    expect(cpu).toMatchObject({ name: 'cpu', tfBackend: 'cpu', forced: true, skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await chooseBackend({ forced: 'wasm', log: (l) => lines.push(l) });
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(lines.join('\n')).toMatch(/backend: wasm \(forced/);
  });

  it('rejects an unknown backend name with the list of valid ones', async () => {
    await expect(chooseBackend({ forced: 'tpu', log: () => undefined })).rejects.toThrow(
      /FLEXMOE_BACKEND='tpu' is not a known backend; expected one of: node-gpu, node, wasm, cpu/,
    );
  });

  it('reads FLEXMOE_BACKEND from the environment', async () => {
    const saved = process.env.FLEXMOE_BACKEND;
    process.env.FLEXMOE_BACKEND = 'cpu';
    try {
      const chosen = await chooseBackend({ log: () => undefined });
      expect(chosen.name).toBe('cpu');
      expect(chosen.forced).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.FLEXMOE_BACKEND;
      else process.env.FLEXMOE_BACKEND = saved;
    }
  });

  it('skips backends whose load throws ANY error and reports why', async () => {
    const lines: string[] = [];
    const importPackage = async (name: string): Promise<unknown> => {
      if (name === '@tensorflow/tfjs-node-gpu') throw new Error('libcudnn.so.8: cannot open shared object file');
      if (name === '@tensorflow/tfjs-node') {
        throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node'"), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return realImport(name);
    };
    const chosen = await chooseBackend({ forced: '', importPackage, log: (l) => lines.push(l) });
    expect(chosen.name).toBe('wasm');
    expect(chosen.forced).toBe(false);
    expect(chosen.skipped).toEqual([
      { name: 'node-gpu', reason: 'libcudnn.so.8: cannot open shared object file' },
      { name: 'node', reason: "ERR_MODULE_NOT_FOUND: Cannot find package '@tensorflow/tfjs-node'" },
    ]);
    // One plain line: no module-resolution text, a link to the install docs.
    expect(lines).toEqual([
      '[flexmoe] backend: wasm (faster backends skipped — node-gpu: libcudnn.so.8: cannot open shared object file; ' +
        'node: not installed; see https://github.com/flexmoe/flexmoe-ts/blob/main/docs/install.md#backends)',
    ]);
  });

  it('falls back to cpu when wasm fails too, and errors when nothing loads', async () => {
    const failing = new Set(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']);
    const importPackage = async (name: string): Promise<unknown> => {
      if (failing.has(name)) throw new TypeError(`boom ${name}`);
      return realImport(name);
    };
    const chosen = await chooseBackend({ forced: '', importPackage, log: () => undefined });
    expect(chosen.name).toBe('cpu');
    expect(chosen.skipped.map((s) => s.name)).toEqual(['node-gpu', 'node', 'wasm']);
    await expect(
      chooseBackend({
        forced: '',
        importPackage: async () => {
          throw new Error('nope');
        },
        log: () => undefined,
        candidates: BACKEND_CANDIDATES.slice(0, 2),
      }),
    ).rejects.toThrow(/no TF.js backend could be loaded: node-gpu \(nope\); node \(nope\)/);
  });
});
