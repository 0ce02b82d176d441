// Experiment (not used by training): SeededRandom's dropout mask (xoshiro128**, random/random-source.ts) drawn by
// a hand-written wasm kernel instead of the JavaScript loop. Checks that the stream and the generator state after
// it are bit-identical, then times both on 327,680 draws (one training step's masks, ADNI-sized, batch 8).
// Result in docs/benchmarks.md ("Native matrix products and the PyTorch reference"): ~0.2 ms per step, not adopted.
// Usage: npm run build && node tools/bench/train-step/dropout-mask-wasm.mjs
import { loadavg } from 'node:os';
import wabtInit from 'wabt';
import { SeededRandom, uniformThreshold } from '../../../packages/moe-core/dist/random/random-source.js';

const WAT = `
;; dropoutMask(out, n, threshold, keep, state): the inverted-dropout mask of random/random-source.ts
;; SeededRandom.dropoutMaskArray, from the same xoshiro128** stream: out[i] = (next() >= threshold ? keep : 0)
;; as f32 for i < n (byte address out), where threshold is an integer in [0, 2^32] passed as f64 (exact).
;; The generator's four 32-bit state words are read from byte address state and written back, so the stream
;; continues exactly as the JavaScript loop would leave it (bit-identical).
(module
  (type $kernel (func (param i32 i32 f64 f32 i32)))
  (import "env" "memory" (memory 1))
  (func $dropoutMask (export "dropoutMask") (type $kernel) (param $out i32) (param $n i32) (param $threshold f64) (param $keep f32) (param $state i32)
    (local $end i32) (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $result i32) (local $t i32)
    (local.set $s0 (i32.load offset=0 (local.get $state)))
    (local.set $s1 (i32.load offset=4 (local.get $state)))
    (local.set $s2 (i32.load offset=8 (local.get $state)))
    (local.set $s3 (i32.load offset=12 (local.get $state)))
    (local.set $end
      (i32.add
        (local.get $out)
        (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        ;; result = rotl(s1 · 5, 7) · 9
        (local.set $result
          (i32.mul
            (i32.rotl (i32.mul (local.get $s1) (i32.const 5)) (i32.const 7))
            (i32.const 9)))
        (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
        (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
        (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
        (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
        (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
        (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
        (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
        (f32.store
          (local.get $out)
          (select
            (local.get $keep)
            (f32.const 0)
            (f64.ge (f64.convert_i32_u (local.get $result)) (local.get $threshold))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next)))
    (i32.store offset=0 (local.get $state) (local.get $s0))
    (i32.store offset=4 (local.get $state) (local.get $s1))
    (i32.store offset=8 (local.get $state) (local.get $s2))
    (i32.store offset=12 (local.get $state) (local.get $s3))))
`;
const wabt = await wabtInit();
const parsed = wabt.parseWat('dropout-mask.wat', WAT, {});
parsed.resolveNames();
parsed.validate();
const memory = new WebAssembly.Memory({ initial: 64 });
const { dropoutMask } = new WebAssembly.Instance(new WebAssembly.Module(parsed.toBinary({}).buffer), {
  env: { memory },
}).exports;

const n = 327680;
const rate = 0.1;
const keep = 1 / (1 - rate);
const threshold = uniformThreshold(rate);
const js = new SeededRandom(7);
const wasm = new SeededRandom(7);
const jsMask = js.dropoutMaskArray(n, rate, keep);
const state = new Uint32Array(memory.buffer, 0, 4);
state.set(wasm.getState().slice(0, 4));
dropoutMask(64, n, threshold, keep, 0);
const wasmMask = new Float32Array(memory.buffer, 64, n);
let differ = 0;
for (let i = 0; i < n; i++) if (!Object.is(wasmMask[i], jsMask[i])) differ++;
const sameState = js
  .getState()
  .slice(0, 4)
  .every((v, i) => v === state[i]);
if (differ || !sameState) throw new Error(`wasm mask differs: ${differ} entries, state equal ${sameState}`);
console.log(`bit-identical over ${n} draws; load average ${loadavg()[0].toFixed(2)}`);
for (const [name, draw] of [
  ['JavaScript loop', () => js.dropoutMaskArray(n, rate, keep, jsMask)],
  ['wasm kernel', () => dropoutMask(64, n, threshold, keep, 0)],
]) {
  for (let i = 0; i < 20; i++) draw();
  const reps = 200;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) draw();
  console.log(`${name}: ${((performance.now() - t0) / reps).toFixed(3)} ms per ${n} draws`);
}
