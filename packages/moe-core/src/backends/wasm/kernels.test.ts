import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { KERNEL_MODULES } from './kernels/modules.generated.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kernels');

describe('hand-written wasm kernels (kernels/*.wat)', () => {
  it('the assembled modules are the current WAT sources (rebuild with scripts/assemble-wasm.mjs)', async () => {
    const wabt = await wabtInit();
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.wat'))
      .sort();
    expect(Object.keys(KERNEL_MODULES).sort()).toEqual(sources.map((f) => f.slice(0, -4)).sort());
    for (const file of sources) {
      const module = wabt.parseWat(file, readFileSync(path.join(dir, file), 'utf8'), {
        simd: true,
        bulk_memory: true,
        sat_float_to_int: true,
      });
      module.resolveNames();
      module.validate();
      const base64 = Buffer.from(module.toBinary({ write_debug_names: false }).buffer).toString('base64');
      module.destroy();
      expect({ file, base64 }).toEqual({
        file,
        base64: KERNEL_MODULES[file.slice(0, -4) as keyof typeof KERNEL_MODULES],
      });
    }
  });

  it('every module validates and exports one function that imports only the shared memory', () => {
    for (const [name, base64] of Object.entries(KERNEL_MODULES)) {
      const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
      expect({ name, imports: WebAssembly.Module.imports(module) }).toEqual({
        name,
        imports: [{ module: 'env', name: 'memory', kind: 'memory' }],
      });
      expect(WebAssembly.Module.exports(module).map((e) => e.kind)).toEqual(['function']);
    }
  });
});
