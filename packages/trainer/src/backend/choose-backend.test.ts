import * as tf from '@tensorflow/tfjs-core';
import { fastPathStatus, setNativeMatmul, type NativeMatmul } from '@flexmoe/moe-core';
import { BACKEND_CANDIDATES, chooseBackend, nativeMatmulWanted } from './choose-backend.js';

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
    expect(lines[0]).toBe(
      '[flexmoe] backend: wasm (faster backends skipped — node-gpu: libcudnn.so.8: cannot open shared object file; ' +
        'node: not installed; see https://github.com/flexmoe/flexmoe-ts/blob/main/docs/install.md#backends)',
    );
    // The second and last line: which engine computes the matrix products.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[flexmoe\] matrix products: /);
  });

  it('installs the native matrix-product engine on wasm only, unless FLEXMOE_NATIVE_MATMUL turns it off', async () => {
    const engine: NativeMatmul = { name: 'fake engine', matmul: () => undefined };
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const wasm = await chooseBackend({ forced: 'wasm', log, matmulEngine: () => ({ engine }) });
    expect(wasm.matmul).toBe('fake engine');
    expect(fastPathStatus().nativeMatmul).toBe('fake engine');
    expect(lines[1]).toBe('[flexmoe] matrix products: fake engine for the larger ones, XNNPACK for the small');
    const batched: NativeMatmul = { ...engine, batchedMatmul: () => undefined };
    await chooseBackend({ forced: 'wasm', log, matmulEngine: () => ({ engine: batched }) });
    expect(lines.at(-1)).toBe(
      '[flexmoe] matrix products: fake engine for the larger ones (attention: all pieces in one call), XNNPACK for the small',
    );
    // Another backend removes it (it works on the wasm heap only).
    const cpu = await chooseBackend({ forced: 'cpu', log, matmulEngine: () => ({ engine }) });
    expect(cpu.matmul).toBeNull();
    await chooseBackend({ forced: 'wasm', log, matmulEngine: () => ({ engine }), nativeMatmul: false });
    expect(fastPathStatus().nativeMatmul).toBeUndefined();
    expect(lines.at(-1)).toBe('[flexmoe] matrix products: XNNPACK (native engine off: FLEXMOE_NATIVE_MATMUL)');
    const failed = await chooseBackend({
      forced: 'wasm',
      log,
      matmulEngine: () => ({ engine: null, reason: 'onnxruntime-node 9.9.9 is not a supported release' }),
    });
    expect(failed.matmul).toBeNull();
    expect(lines.at(-1)).toBe('[flexmoe] matrix products: XNNPACK (onnxruntime-node 9.9.9 is not a supported release)');
    for (const v of ['0', 'off', 'OFF', 'false', ' no ']) expect(nativeMatmulWanted(v)).toBe(false);
    for (const v of [undefined, '', '1', 'on']) expect(nativeMatmulWanted(v)).toBe(true);
    setNativeMatmul(null);
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
