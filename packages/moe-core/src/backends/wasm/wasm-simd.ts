import type { WasmHeap } from './wasm-heap.js';

/*
 * A tiny hand-assembled WebAssembly SIMD module that shares the tfjs-backend-wasm memory, for loops whose
 * JavaScript form is bound by per-element overhead (~2 ns per element and more for sqrt/div chains).
 *
 * `adam` is the TypedAdam update in float64x2 lanes: every value is promoted to float64 and every
 * operation is the same IEEE operation, in the same order, as the JavaScript loop in optim/typed-adam.ts
 * (wasm has no fused multiply-add and V8 does not fuse either), then rounded to float32 on store exactly
 * like a Float32Array store. The results are therefore bit-identical to the JavaScript loop (tested).
 */

/** `adam(w, g, m, v, out, pairs, b1, c1, b2, c2, eps, step)`: byte addresses, `pairs` = elements / 2. */
export type AdamKernel = (w: number, g: number, m: number, v: number, out: number, pairs: number, b1: number, c1: number, b2: number, c2: number, eps: number, step: number) => void;

const SIMD = 0xfd;
const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const str = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];

// Opcodes.
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const simd = (op: number) => [SIMD, ...leb(op)];
const load64zero = [...simd(0x5d), 0x00, 0x00]; // v128.load64_zero align=0 offset=0
const store64lane0 = [...simd(0x5b), 0x00, 0x00, 0x00]; // v128.store64_lane align=0 offset=0 lane 0
const promote = simd(0x5f); // f64x2.promote_low_f32x4
const demote = simd(0x5e); // f32x4.demote_f64x2_zero
const splat = simd(0x14); // f64x2.splat
const fsqrt = simd(0xef);
const fadd = simd(0xf0);
const fsub = simd(0xf1);
const fmul = simd(0xf2);
const fdiv = simd(0xf3);

function adamModuleBytes(): ArrayBuffer {
  // Params: 0 w, 1 g, 2 m, 3 v, 4 out, 5 pairs (i32); 6 b1, 7 c1, 8 b2, 9 c2, 10 eps, 11 step (f64).
  // Locals: 12 i, 13 off (i32); 14 B1, 15 C1, 16 B2, 17 C2, 18 EPS, 19 STEP, 20 gi, 21 mi, 22 vi (v128).
  const [I, OFF, B1, C1, B2, C2, EPS, STEP, GI, MI, VI] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const at = (base: number) => [...get(base), ...get(OFF), 0x6a]; // base + off
  const loadF64 = (base: number) => [...at(base), ...load64zero, ...promote];
  const body = [
    ...[6, 7, 8, 9, 10, 11].flatMap((p, k) => [...get(p), ...splat, ...set(B1 + k)]),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(I), ...get(5), 0x4f, 0x0d, 0x01, // if i >= pairs: br 1
    ...get(I), 0x41, 0x03, 0x74, ...set(OFF), // off = i << 3
    ...loadF64(1), ...set(GI),
    // mi = B1·m + C1·gi
    ...get(B1), ...loadF64(2), ...fmul, ...get(C1), ...get(GI), ...fmul, ...fadd, ...set(MI),
    ...at(2), ...get(MI), ...demote, ...store64lane0,
    // vi = B2·v + (C2·gi)·gi
    ...get(B2), ...loadF64(3), ...fmul, ...get(C2), ...get(GI), ...fmul, ...get(GI), ...fmul, ...fadd, ...set(VI),
    ...at(3), ...get(VI), ...demote, ...store64lane0,
    // out = w − (STEP·mi) / (√vi + EPS)
    ...at(4), ...loadF64(0), ...get(STEP), ...get(MI), ...fmul, ...get(VI), ...fsqrt, ...get(EPS), ...fadd, ...fdiv, ...fsub, ...demote, ...store64lane0,
    ...get(I), 0x41, 0x01, 0x6a, ...set(I), // i++
    0x0c, 0x00, // br 0 (loop)
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
  const locals = vec([[0x02, 0x7f], [0x09, 0x7b]]);
  const func = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f], [0x7f], [0x7f], [0x7f], [0x7f], [0x7c], [0x7c], [0x7c], [0x7c], [0x7c], [0x7c]]), 0x00]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('adam'), 0x00, 0x00]])),
    ...section(10, vec([[...leb(func.length), ...func]])),
  ];
  return Uint8Array.from(bytes).buffer as ArrayBuffer;
}

/**
 * `gelu(values, bias, out, deriv, n, width, cdf, pdf)` (byte addresses): the loop of ops/gelu.ts
 * `geluForward` in scalar wasm, with the same float64 operations in the same order (truncation of the table
 * position with `i32.trunc_sat_f64_s`, which equals JavaScript's `pos | 0` on this range and maps NaN to 0
 * as it does): bit-identical results.
 */
export type GeluKernel = (values: number, bias: number, out: number, deriv: number, n: number, width: number, cdf: number, pdf: number) => void;

const f64c = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const teeL = (i: number) => [0x22, ...leb(i)];

function geluModuleBytes(range: number, steps: number): ArrayBuffer {
  // Params: 0 values, 1 bias, 2 out, 3 deriv, 4 n, 5 width, 6 cdf, 7 pdf (i32).
  // Locals: 8 i, 9 c, 10 j, 11 t (i32); 12 x, 13 phi, 14 dens, 15 pos, 16 f, 17 c0 (f64).
  const [I, C, J, T, X, PHI, DENS, POS, F, C0] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const addr4 = (base: number, idx: number) => [...get(base), ...get(idx), 0x41, 0x02, 0x74, 0x6a];
  const f32load = [0x2a, 0x02, 0x00];
  const f64load = (offset: number) => [0x2b, 0x03, offset];
  const f32store = [0x38, 0x02, 0x00];
  const interp = (table: number, target: number) => [
    ...get(table), ...get(J), 0x41, 0x03, 0x74, 0x6a, ...teeL(T), ...f64load(0), ...teeL(C0),
    ...get(F), ...get(T), ...f64load(8), ...get(C0), 0xa1, 0xa2, 0xa0, ...set(target),
  ];
  const body = [
    0x02, 0x40, 0x03, 0x40,
    ...get(I), ...get(4), 0x4f, 0x0d, 0x01,
    ...addr4(0, I), ...f32load, 0xbb, ...addr4(1, C), ...f32load, 0xbb, 0xa0, ...set(X),
    ...get(C), 0x41, 0x01, 0x6a, ...teeL(C), ...get(5), 0x46, 0x04, 0x40, 0x41, 0x00, ...set(C), 0x0b,
    ...get(X), ...f64c(-range), 0x65, 0x04, 0x40,
    ...f64c(0), ...set(PHI), ...f64c(0), ...set(DENS),
    0x05,
    ...get(X), ...f64c(range), 0x66, 0x04, 0x40,
    ...f64c(1), ...set(PHI), ...f64c(0), ...set(DENS),
    0x05,
    ...get(X), ...f64c(range), 0xa0, ...f64c(steps), 0xa2, ...teeL(POS),
    0xfc, 0x02, ...set(J), // j = i32.trunc_sat_f64_s(pos)
    ...get(POS), ...get(J), 0xb7, 0xa1, ...set(F), // f = pos - j
    ...interp(6, PHI), ...interp(7, DENS),
    0x0b, 0x0b,
    ...addr4(2, I), ...get(X), ...get(PHI), 0xa2, 0xb6, ...f32store,
    ...addr4(3, I), ...get(PHI), ...get(X), ...get(DENS), 0xa2, 0xa0, 0xb6, ...f32store,
    ...get(I), 0x41, 0x01, 0x6a, ...set(I),
    0x0c, 0x00, 0x0b, 0x0b, 0x0b,
  ];
  const func = [...vec([[0x04, 0x7f], [0x06, 0x7c]]), ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f], [0x7f], [0x7f], [0x7f], [0x7f], [0x7f], [0x7f]]), 0x00]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('gelu'), 0x00, 0x00]])),
    ...section(10, vec([[...leb(func.length), ...func]])),
  ];
  return Uint8Array.from(bytes).buffer as ArrayBuffer;
}

const geluKernels = new WeakMap<object, GeluKernel | null>();

/** The GELU kernel for tables on `[-range, range]` with `steps` per unit, or null when unavailable. */
export function geluKernel(heap: WasmHeap, range: number, steps: number): GeluKernel | null {
  const module = heap.module as unknown as { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  if (geluKernels.has(module)) return geluKernels.get(module) ?? null;
  let kernel: GeluKernel | null = null;
  try {
    const memory = module.asm?.memory ?? module.wasmMemory;
    if (memory instanceof WebAssembly.Memory && memory.buffer === heap.heap().buffer) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(geluModuleBytes(range, steps)), { env: { memory } });
      kernel = instance.exports.gelu as GeluKernel;
    }
  } catch {
    kernel = null;
  }
  geluKernels.set(module, kernel);
  return kernel;
}

/** One-function module importing `env.memory`: params and locals as wasm value types, body without locals. */
function moduleBytes(name: string, params: number[], locals: [number, number][], body: number[]): ArrayBuffer {
  const func = [...vec(locals.map(([count, type]) => [...leb(count), type])), ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0x00]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str(name), 0x00, 0x00]])),
    ...section(10, vec([[...leb(func.length), ...func]])),
  ];
  return Uint8Array.from(bytes).buffer as ArrayBuffer;
}

/** `transpose(src, rows, cols, dst)` (byte addresses): `dst[c·rows + r] = src[r·cols + c]`, bits copied as is. */
export type TransposeKernel = (src: number, rows: number, cols: number, dst: number) => void;

function transposeModuleBytes(): ArrayBuffer {
  // Params: 0 src, 1 rows, 2 cols, 3 dst. Locals: 4 r, 5 c, 6 s, 7 d, 8 stride.
  const [R, C, S, D, STRIDE] = [4, 5, 6, 7, 8];
  const body = [
    ...get(1), 0x41, 0x02, 0x74, ...set(STRIDE),
    ...get(0), ...set(S),
    0x02, 0x40, 0x03, 0x40,
    ...get(R), ...get(1), 0x4f, 0x0d, 0x01,
    ...get(3), ...get(R), 0x41, 0x02, 0x74, 0x6a, ...set(D),
    0x41, 0x00, ...set(C),
    0x02, 0x40, 0x03, 0x40,
    ...get(C), ...get(2), 0x4f, 0x0d, 0x01,
    ...get(D), ...get(S), 0x28, 0x02, 0x00, 0x36, 0x02, 0x00, // i32.store(d, i32.load(s))
    ...get(S), 0x41, 0x04, 0x6a, ...set(S),
    ...get(D), ...get(STRIDE), 0x6a, ...set(D),
    ...get(C), 0x41, 0x01, 0x6a, ...set(C),
    0x0c, 0x00, 0x0b, 0x0b,
    ...get(R), 0x41, 0x01, 0x6a, ...set(R),
    0x0c, 0x00, 0x0b, 0x0b,
    0x0b,
  ];
  return moduleBytes('transpose', [0x7f, 0x7f, 0x7f, 0x7f], [[5, 0x7f]], body);
}

/**
 * The same transpose with 4×4 blocks in SIMD registers (four 16-byte loads, eight i8x16.shuffle, four 16-byte
 * stores), for `cols` a multiple of 4; rows beyond the last multiple of 4 are done one element at a time.
 */
function transpose4ModuleBytes(): ArrayBuffer {
  // Params: 0 src, 1 rows, 2 cols, 3 dst. Locals: 4 r, 5 c, 6 ss (src row bytes), 7 ds (dst row bytes),
  // 8 ps, 9 pd, 10 rows4 (i32); 11 v0, 12 v1, 13 v2, 14 v3, 15 t0, 16 t1, 17 t2, 18 t3 (v128).
  const [R, C, SS, DS, PS, PD, R4, V0, V1, V2, V3, T0, T1, T2, T3] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const lanes = (l: number[]) => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
  const shuffle = (a: number, b: number, l: number[]) => [...get(a), ...get(b), ...simd(0x0d), ...lanes(l)];
  const v128load = [...simd(0x00), 0x00, 0x00];
  const v128store = [...simd(0x0b), 0x00, 0x00];
  const rowPtr = (base: number, stride: number, k: number) => (k === 0 ? get(base) : [...get(base), ...get(stride), 0x41, k, 0x6c, 0x6a]);
  const body = [
    ...get(2), 0x41, 0x02, 0x74, ...set(SS),
    ...get(1), 0x41, 0x02, 0x74, ...set(DS),
    ...get(1), 0x41, 0x7c, 0x71, ...set(R4), // rows & -4
    0x02, 0x40, 0x03, 0x40,
    ...get(R), ...get(R4), 0x4f, 0x0d, 0x01,
    0x41, 0x00, ...set(C),
    0x02, 0x40, 0x03, 0x40,
    ...get(C), ...get(2), 0x4f, 0x0d, 0x01,
    // ps = src + (r·cols + c)·4; pd = dst + (c·rows + r)·4
    ...get(0), ...get(R), ...get(2), 0x6c, ...get(C), 0x6a, 0x41, 0x02, 0x74, 0x6a, ...set(PS),
    ...get(3), ...get(C), ...get(1), 0x6c, ...get(R), 0x6a, 0x41, 0x02, 0x74, 0x6a, ...set(PD),
    ...[V0, V1, V2, V3].flatMap((v, k) => [...rowPtr(PS, SS, k), ...v128load, ...set(v)]),
    ...shuffle(V0, V1, [0, 4, 1, 5]), ...set(T0),
    ...shuffle(V0, V1, [2, 6, 3, 7]), ...set(T1),
    ...shuffle(V2, V3, [0, 4, 1, 5]), ...set(T2),
    ...shuffle(V2, V3, [2, 6, 3, 7]), ...set(T3),
    ...rowPtr(PD, DS, 0), ...shuffle(T0, T2, [0, 1, 4, 5]), ...v128store,
    ...rowPtr(PD, DS, 1), ...shuffle(T0, T2, [2, 3, 6, 7]), ...v128store,
    ...rowPtr(PD, DS, 2), ...shuffle(T1, T3, [0, 1, 4, 5]), ...v128store,
    ...rowPtr(PD, DS, 3), ...shuffle(T1, T3, [2, 3, 6, 7]), ...v128store,
    ...get(C), 0x41, 0x04, 0x6a, ...set(C),
    0x0c, 0x00, 0x0b, 0x0b,
    ...get(R), 0x41, 0x04, 0x6a, ...set(R),
    0x0c, 0x00, 0x0b, 0x0b,
    // Remaining rows, one element at a time.
    0x02, 0x40, 0x03, 0x40,
    ...get(R), ...get(1), 0x4f, 0x0d, 0x01,
    0x41, 0x00, ...set(C),
    0x02, 0x40, 0x03, 0x40,
    ...get(C), ...get(2), 0x4f, 0x0d, 0x01,
    ...get(3), ...get(C), ...get(1), 0x6c, ...get(R), 0x6a, 0x41, 0x02, 0x74, 0x6a,
    ...get(0), ...get(R), ...get(2), 0x6c, ...get(C), 0x6a, 0x41, 0x02, 0x74, 0x6a, 0x28, 0x02, 0x00,
    0x36, 0x02, 0x00,
    ...get(C), 0x41, 0x01, 0x6a, ...set(C),
    0x0c, 0x00, 0x0b, 0x0b,
    ...get(R), 0x41, 0x01, 0x6a, ...set(R),
    0x0c, 0x00, 0x0b, 0x0b,
    0x0b,
  ];
  return moduleBytes('transpose4', [0x7f, 0x7f, 0x7f, 0x7f], [[7, 0x7f], [8, 0x7b]], body);
}

const transpose4Kernels = new WeakMap<object, TransposeKernel | null>();

/** The 4×4-block SIMD transpose (requires `cols % 4 === 0`), or null when unavailable. */
export function transpose4Kernel(heap: WasmHeap): TransposeKernel | null {
  const module = heap.module as unknown as object;
  if (transpose4Kernels.has(module)) return transpose4Kernels.get(module) ?? null;
  const kernel = instantiate(heap, transpose4ModuleBytes(), 'transpose4') as TransposeKernel | null;
  transpose4Kernels.set(module, kernel);
  return kernel;
}

/** `copyRows(src, srcStride, dst, dstStride, rows, bytes)` (bytes): `rows` copies of `bytes` bytes (memory.copy). */
export type CopyRowsKernel = (src: number, srcStride: number, dst: number, dstStride: number, rows: number, bytes: number) => void;

function copyRowsModuleBytes(): ArrayBuffer {
  // Params: 0 src, 1 srcStride, 2 dst, 3 dstStride, 4 rows, 5 bytes. Locals: 6 r.
  const body = [
    ...forLoop(6, 4, [
      ...get(2), ...get(6), ...get(3), 0x6c, 0x6a,
      ...get(0), ...get(6), ...get(1), 0x6c, 0x6a,
      ...get(5), 0xfc, 0x0a, 0x00, 0x00, // memory.copy
    ]),
    0x0b,
  ];
  return moduleBytes('copyRows', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[1, 0x7f]], body);
}

const copyRowsKernels = new WeakMap<object, CopyRowsKernel | null>();

/** The strided row-copy kernel, or null when unavailable. */
export function copyRowsKernel(heap: WasmHeap): CopyRowsKernel | null {
  const module = heap.module as unknown as object;
  if (copyRowsKernels.has(module)) return copyRowsKernels.get(module) ?? null;
  const kernel = instantiate(heap, copyRowsModuleBytes(), 'copyRows') as CopyRowsKernel | null;
  copyRowsKernels.set(module, kernel);
  return kernel;
}

const transposeKernels = new WeakMap<object, TransposeKernel | null>();

/** The transpose kernel on `heap`'s memory, or null when unavailable. */
export function transposeKernel(heap: WasmHeap): TransposeKernel | null {
  const module = heap.module as unknown as object;
  if (transposeKernels.has(module)) return transposeKernels.get(module) ?? null;
  const kernel = instantiate(heap, transposeModuleBytes(), 'transpose') as TransposeKernel | null;
  transposeKernels.set(module, kernel);
  return kernel;
}

function instantiate(heap: WasmHeap, bytes: ArrayBuffer, name: string): unknown {
  const module = heap.module as unknown as { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  try {
    const memory = module.asm?.memory ?? module.wasmMemory;
    if (memory instanceof WebAssembly.Memory && memory.buffer === heap.heap().buffer) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      return instance.exports[name] ?? null;
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * `mulColSums(a, b, n, width, dst)` (byte addresses): in place `a[i] = f32(a[i]·b[i])` over `n` rows of
 * `width`, and `dst[c] = f32(dst[c] + a[i]·b[i])` with the unrounded float64 product, exactly as
 * ops/array-kernels.ts `mulAndColumnSums` (bit-identical).
 */
export type MulColSumsKernel = (a: number, b: number, n: number, width: number, dst: number) => void;

function mulColSumsModuleBytes(): ArrayBuffer {
  // Params: 0 a, 1 b, 2 n, 3 width, 4 dst. Locals: 5 r, 6 c, 7 pa, 8 pb, 9 pd (i32); 10 v (f64).
  const [R, C, PA, PB, PD, V] = [5, 6, 7, 8, 9, 10];
  const body = [
    ...get(0), ...set(PA), ...get(1), ...set(PB),
    0x02, 0x40, 0x03, 0x40,
    ...get(R), ...get(2), 0x4f, 0x0d, 0x01,
    0x41, 0x00, ...set(C), ...get(4), ...set(PD),
    0x02, 0x40, 0x03, 0x40,
    ...get(C), ...get(3), 0x4f, 0x0d, 0x01,
    ...get(PA), 0x2a, 0x02, 0x00, 0xbb, ...get(PB), 0x2a, 0x02, 0x00, 0xbb, 0xa2, ...set(V),
    ...get(PA), ...get(V), 0xb6, 0x38, 0x02, 0x00,
    ...get(PD), ...get(PD), 0x2a, 0x02, 0x00, 0xbb, ...get(V), 0xa0, 0xb6, 0x38, 0x02, 0x00,
    ...get(PA), 0x41, 0x04, 0x6a, ...set(PA), ...get(PB), 0x41, 0x04, 0x6a, ...set(PB), ...get(PD), 0x41, 0x04, 0x6a, ...set(PD),
    ...get(C), 0x41, 0x01, 0x6a, ...set(C),
    0x0c, 0x00, 0x0b, 0x0b,
    ...get(R), 0x41, 0x01, 0x6a, ...set(R),
    0x0c, 0x00, 0x0b, 0x0b,
    0x0b,
  ];
  return moduleBytes('mulColSums', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[5, 0x7f], [1, 0x7c]], body);
}

const mulColSumsKernels = new WeakMap<object, MulColSumsKernel | null>();

/** The mulAndColumnSums kernel on `heap`'s memory, or null when unavailable. */
export function mulColSumsKernel(heap: WasmHeap): MulColSumsKernel | null {
  const module = heap.module as unknown as object;
  if (mulColSumsKernels.has(module)) return mulColSumsKernels.get(module) ?? null;
  const kernel = instantiate(heap, mulColSumsModuleBytes(), 'mulColSums') as MulColSumsKernel | null;
  mulColSumsKernels.set(module, kernel);
  return kernel;
}

/**
 * LayerNorm loops of model/layer-norm.ts in scalar wasm with the same float64 operations in the same order
 * (bit-identical): `lnForward(x, gamma, beta, rows, H, xhat, rstd, out, eps)` and
 * `lnBackward(dy, gamma, xhat, rstd, rows, H, dx, dGamma, dBeta)` (byte addresses; dGamma/dBeta accumulate).
 */
export interface LayerNormKernels {
  forward: (x: number, gamma: number, beta: number, rows: number, H: number, xhat: number, rstd: number, out: number, eps: number) => void;
  backward: (dy: number, gamma: number, xhat: number, rstd: number, rows: number, H: number, dx: number, dGamma: number, dBeta: number) => void;
}

const F32LOAD = [0x2a, 0x02, 0x00];
const F32STORE = [0x38, 0x02, 0x00];
/** `base + (idx << 2)` */
const at4 = (base: number, idx: number) => [...get(base), ...get(idx), 0x41, 0x02, 0x74, 0x6a];
/** for (idx = 0; idx < limit; idx++) { body } */
const forLoop = (idx: number, limit: number, inner: number[]) => [
  0x41, 0x00, ...set(idx),
  0x02, 0x40, 0x03, 0x40,
  ...get(idx), ...get(limit), 0x4f, 0x0d, 0x01,
  ...inner,
  ...get(idx), 0x41, 0x01, 0x6a, ...set(idx),
  0x0c, 0x00, 0x0b, 0x0b,
];

function lnForwardModuleBytes(): ArrayBuffer {
  // Params: 0 x, 1 gamma, 2 beta, 3 rows, 4 H, 5 xhat, 6 rstd, 7 out (i32), 8 eps (f64).
  // Locals: 9 r, 10 c, 11 o (i32: row base byte offset); 12 mean, 13 v, 14 s, 15 dlt, 16 xh, 17 hf (f64).
  const [R, C, O, MEAN, V, S, DLT, XH, HF] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const xAt = [...get(0), ...get(O), 0x6a, ...get(C), 0x41, 0x02, 0x74, 0x6a]; // x + o + 4c
  const rowAt = (base: number) => [...get(base), ...get(O), 0x6a, ...get(C), 0x41, 0x02, 0x74, 0x6a];
  const body = [
    ...get(4), 0xb8, ...set(HF), // H as f64 (f64.convert_i32_u)
    ...forLoop(R, 3, [
      ...get(R), ...get(4), 0x6c, 0x41, 0x02, 0x74, ...set(O), // o = r·H·4
      ...f64c(0), ...set(MEAN),
      ...forLoop(C, 4, [...get(MEAN), ...xAt, ...F32LOAD, 0xbb, 0xa0, ...set(MEAN)]),
      ...get(MEAN), ...get(HF), 0xa3, ...set(MEAN),
      ...f64c(0), ...set(V),
      ...forLoop(C, 4, [...xAt, ...F32LOAD, 0xbb, ...get(MEAN), 0xa1, ...teeL(DLT), ...get(DLT), 0xa2, ...get(V), 0xa0, ...set(V)]),
      // s = 1 / sqrt(v / H + eps)
      ...f64c(1), ...get(V), ...get(HF), 0xa3, ...get(8), 0xa0, 0x9f, 0xa3, ...set(S),
      ...at4(6, R), ...get(S), 0xb6, ...F32STORE,
      ...forLoop(C, 4, [
        ...xAt, ...F32LOAD, 0xbb, ...get(MEAN), 0xa1, ...get(S), 0xa2, ...set(XH),
        ...rowAt(5), ...get(XH), 0xb6, ...F32STORE,
        ...rowAt(7), ...get(XH), ...at4(1, C), ...F32LOAD, 0xbb, 0xa2, ...at4(2, C), ...F32LOAD, 0xbb, 0xa0, 0xb6, ...F32STORE,
      ]),
    ]),
    0x0b,
  ];
  return moduleBytes('lnForward', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c], [[3, 0x7f], [6, 0x7c]], body);
}

function lnBackwardModuleBytes(): ArrayBuffer {
  // Params: 0 dy, 1 gamma, 2 xhat, 3 rstd, 4 rows, 5 H, 6 dx, 7 dGamma, 8 dBeta (i32).
  // Locals: 9 r, 10 c, 11 o (i32); 12 meanG, 13 meanGX, 14 d, 15 gv, 16 xh, 17 s, 18 hf (f64).
  const [R, C, O, MG, MGX, D, GV, XH, S, HF] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const rowAt = (base: number) => [...get(base), ...get(O), 0x6a, ...get(C), 0x41, 0x02, 0x74, 0x6a];
  const accumulate = (base: number, value: number[]) => [...at4(base, C), ...at4(base, C), ...F32LOAD, 0xbb, ...value, 0xa0, 0xb6, ...F32STORE];
  const body = [
    ...get(5), 0xb8, ...set(HF),
    ...forLoop(R, 4, [
      ...get(R), ...get(5), 0x6c, 0x41, 0x02, 0x74, ...set(O),
      ...f64c(0), ...set(MG), ...f64c(0), ...set(MGX),
      ...forLoop(C, 5, [
        ...rowAt(0), ...F32LOAD, 0xbb, ...set(D),
        ...get(D), ...at4(1, C), ...F32LOAD, 0xbb, 0xa2, ...set(GV),
        ...rowAt(2), ...F32LOAD, 0xbb, ...set(XH),
        ...get(MG), ...get(GV), 0xa0, ...set(MG),
        ...get(MGX), ...get(GV), ...get(XH), 0xa2, 0xa0, ...set(MGX),
        ...accumulate(7, [...get(D), ...get(XH), 0xa2]),
        ...accumulate(8, [...get(D)]),
      ]),
      ...get(MG), ...get(HF), 0xa3, ...set(MG),
      ...get(MGX), ...get(HF), 0xa3, ...set(MGX),
      ...at4(3, R), ...F32LOAD, 0xbb, ...set(S),
      ...forLoop(C, 5, [
        ...rowAt(6),
        ...rowAt(0), ...F32LOAD, 0xbb, ...at4(1, C), ...F32LOAD, 0xbb, 0xa2, ...get(MG), 0xa1,
        ...rowAt(2), ...F32LOAD, 0xbb, ...get(MGX), 0xa2, 0xa1, ...get(S), 0xa2, 0xb6, ...F32STORE,
      ]),
    ]),
    0x0b,
  ];
  return moduleBytes('lnBackward', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[3, 0x7f], [7, 0x7c]], body);
}

const lnKernels = new WeakMap<object, LayerNormKernels | null>();

/** The LayerNorm kernels on `heap`'s memory, or null when unavailable. */
export function layerNormKernels(heap: WasmHeap): LayerNormKernels | null {
  const module = heap.module as unknown as object;
  if (lnKernels.has(module)) return lnKernels.get(module) ?? null;
  const forward = instantiate(heap, lnForwardModuleBytes(), 'lnForward') as LayerNormKernels['forward'] | null;
  const backward = instantiate(heap, lnBackwardModuleBytes(), 'lnBackward') as LayerNormKernels['backward'] | null;
  const kernels = forward && backward ? { forward, backward } : null;
  lnKernels.set(module, kernels);
  return kernels;
}

/**
 * Gate-weighted combination loops of ops/array-kernels.ts in scalar wasm (bit-identical), byte addresses:
 * `addRowBias(src, bias, n, width, dst)`: `dst = f32(src + bias)` per row;
 * `combine(out, ys, gates, topk, pairPos, rows, k, E, width)`: `out[t] += G[t, idx]·ys[pos]`;
 * `combineBack(dy, ys, gates, topk, pairPos, rows, k, E, width, dGates, dys)`.
 */
export interface CombineKernels {
  addRowBias: (src: number, bias: number, n: number, width: number, dst: number) => void;
  combine: (out: number, ys: number, gates: number, topk: number, pairPos: number, rows: number, k: number, E: number, width: number) => void;
  combineBack: (dy: number, ys: number, gates: number, topk: number, pairPos: number, rows: number, k: number, E: number, width: number, dGates: number, dys: number) => void;
  /** `dst[rows[r]] += src[r]` (rows of `width`), as `scatterAddRows`. */
  scatterAdd: (dst: number, src: number, rows: number, n: number, width: number) => void;
  /** `dst[c] += Σ_r src[r, c]` in row order, as `addColumnSums`. */
  colSums: (src: number, n: number, width: number, dst: number) => void;
}

const I32LOAD = [0x28, 0x02, 0x00];
const add = 0x6a;
const mul = 0x6c;
const shl2 = [0x41, 0x02, 0x74];

function addRowBiasModuleBytes(): ArrayBuffer {
  // Params: 0 src, 1 bias, 2 n, 3 width, 4 dst. Locals: 5 r, 6 c, 7 ps, 8 pd.
  const [R, C, PS, PD] = [5, 6, 7, 8];
  const body = [
    ...get(0), ...set(PS), ...get(4), ...set(PD),
    ...forLoop(R, 2, forLoop(C, 3, [
      ...get(PD), ...get(PS), ...F32LOAD, 0xbb, ...at4(1, C), ...F32LOAD, 0xbb, 0xa0, 0xb6, ...F32STORE,
      ...get(PS), 0x41, 0x04, add, ...set(PS), ...get(PD), 0x41, 0x04, add, ...set(PD),
    ])),
    0x0b,
  ];
  return moduleBytes('addRowBias', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[4, 0x7f]], body);
}

function combineModuleBytes(): ArrayBuffer {
  // Params: 0 out, 1 ys, 2 gates, 3 topk, 4 pairPos, 5 rows, 6 k, 7 E, 8 width.
  // Locals: 9 t, 10 j, 11 c, 12 tk (t·k + j), 13 pd (out row), 14 ps (ys row), 15 po, 16 py (i32); 17 gate (f64).
  const [T, J, C, TK, PD, PS, PO, PY, GATE] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const body = [
    ...forLoop(T, 5, [
      ...get(0), ...get(T), ...get(8), mul, ...shl2, add, ...set(PD),
      ...forLoop(J, 6, [
        ...get(T), ...get(6), mul, ...get(J), add, ...set(TK),
        // gate = gates[t·E + topk[tk]]
        ...get(2), ...get(T), ...get(7), mul, ...get(3), ...get(TK), ...shl2, add, ...I32LOAD, add, ...shl2, add, ...F32LOAD, 0xbb, ...set(GATE),
        ...get(1), ...get(4), ...get(TK), ...shl2, add, ...I32LOAD, ...get(8), mul, ...shl2, add, ...set(PS),
        ...get(PD), ...set(PO), ...get(PS), ...set(PY),
        ...forLoop(C, 8, [
          ...get(PO), ...get(PO), ...F32LOAD, 0xbb, ...get(GATE), ...get(PY), ...F32LOAD, 0xbb, 0xa2, 0xa0, 0xb6, ...F32STORE,
          ...get(PO), 0x41, 0x04, add, ...set(PO), ...get(PY), 0x41, 0x04, add, ...set(PY),
        ]),
      ]),
    ]),
    0x0b,
  ];
  return moduleBytes('combine', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[8, 0x7f], [1, 0x7c]], body);
}

function combineBackModuleBytes(): ArrayBuffer {
  // Params: 0 dy, 1 ys, 2 gates, 3 topk, 4 pairPos, 5 rows, 6 k, 7 E, 8 width, 9 dGates, 10 dys.
  // Locals: 11 t, 12 j, 13 c, 14 tk, 15 e, 16 pg (dy row), 17 pp (ys/dys row offset bytes), 18 q, 19 p (i32);
  // 20 gate, 21 dot, 22 g (f64).
  const [T, J, C, TK, E, PG, PP, Q, P, GATE, DOT, G] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const body = [
    ...forLoop(T, 5, [
      ...get(0), ...get(T), ...get(8), mul, ...shl2, add, ...set(PG),
      ...forLoop(J, 6, [
        ...get(T), ...get(6), mul, ...get(J), add, ...set(TK),
        ...get(3), ...get(TK), ...shl2, add, ...I32LOAD, ...set(E),
        ...get(2), ...get(T), ...get(7), mul, ...get(E), add, ...shl2, add, ...F32LOAD, 0xbb, ...set(GATE),
        ...get(4), ...get(TK), ...shl2, add, ...I32LOAD, ...get(8), mul, ...shl2, ...set(PP),
        ...f64c(0), ...set(DOT),
        ...get(PG), ...set(Q), ...get(PP), ...set(P),
        ...forLoop(C, 8, [
          ...get(Q), ...F32LOAD, 0xbb, ...set(G),
          // dot += g·ys[p]
          ...get(DOT), ...get(G), ...get(1), ...get(P), add, ...F32LOAD, 0xbb, 0xa2, 0xa0, ...set(DOT),
          // dys[p] = gate·g
          ...get(10), ...get(P), add, ...get(GATE), ...get(G), 0xa2, 0xb6, ...F32STORE,
          ...get(Q), 0x41, 0x04, add, ...set(Q), ...get(P), 0x41, 0x04, add, ...set(P),
        ]),
        ...get(9), ...get(T), ...get(7), mul, ...get(E), add, ...shl2, add, ...get(DOT), 0xb6, ...F32STORE,
      ]),
    ]),
    0x0b,
  ];
  return moduleBytes('combineBack', Array(11).fill(0x7f) as number[], [[9, 0x7f], [3, 0x7c]], body);
}

function scatterAddModuleBytes(): ArrayBuffer {
  // Params: 0 dst, 1 src, 2 rows (i32 indexes), 3 n, 4 width. Locals: 5 r, 6 c, 7 pd, 8 ps.
  const [R, C, PD, PS] = [5, 6, 7, 8];
  const body = [
    ...get(1), ...set(PS),
    ...forLoop(R, 3, [
      ...get(0), ...at4(2, R), ...I32LOAD, ...get(4), mul, ...shl2, add, ...set(PD),
      ...forLoop(C, 4, [
        ...get(PD), ...get(PD), ...F32LOAD, 0xbb, ...get(PS), ...F32LOAD, 0xbb, 0xa0, 0xb6, ...F32STORE,
        ...get(PD), 0x41, 0x04, add, ...set(PD), ...get(PS), 0x41, 0x04, add, ...set(PS),
      ]),
    ]),
    0x0b,
  ];
  return moduleBytes('scatterAdd', [0x7f, 0x7f, 0x7f, 0x7f, 0x7f], [[4, 0x7f]], body);
}

function colSumsModuleBytes(): ArrayBuffer {
  // Params: 0 src, 1 n, 2 width, 3 dst. Locals: 4 r, 5 c, 6 ps.
  const [R, C, PS] = [4, 5, 6];
  const body = [
    ...get(0), ...set(PS),
    ...forLoop(R, 1, forLoop(C, 2, [
      ...at4(3, C), ...at4(3, C), ...F32LOAD, 0xbb, ...get(PS), ...F32LOAD, 0xbb, 0xa0, 0xb6, ...F32STORE,
      ...get(PS), 0x41, 0x04, add, ...set(PS),
    ])),
    0x0b,
  ];
  return moduleBytes('colSums', [0x7f, 0x7f, 0x7f, 0x7f], [[3, 0x7f]], body);
}

const combineKernelCache = new WeakMap<object, CombineKernels | null>();

/** The combination kernels on `heap`'s memory, or null when unavailable. */
export function combineKernels(heap: WasmHeap): CombineKernels | null {
  const module = heap.module as unknown as object;
  if (combineKernelCache.has(module)) return combineKernelCache.get(module) ?? null;
  const addRowBias = instantiate(heap, addRowBiasModuleBytes(), 'addRowBias') as CombineKernels['addRowBias'] | null;
  const combine = instantiate(heap, combineModuleBytes(), 'combine') as CombineKernels['combine'] | null;
  const combineBack = instantiate(heap, combineBackModuleBytes(), 'combineBack') as CombineKernels['combineBack'] | null;
  const scatterAdd = instantiate(heap, scatterAddModuleBytes(), 'scatterAdd') as CombineKernels['scatterAdd'] | null;
  const colSums = instantiate(heap, colSumsModuleBytes(), 'colSums') as CombineKernels['colSums'] | null;
  const kernels = addRowBias && combine && combineBack && scatterAdd && colSums ? { addRowBias, combine, combineBack, scatterAdd, colSums } : null;
  combineKernelCache.set(module, kernels);
  return kernels;
}

const kernels = new WeakMap<object, AdamKernel | null>();

/** The SIMD Adam kernel on `heap`'s memory, or null when the memory or SIMD is not available. */
export function adamKernel(heap: WasmHeap): AdamKernel | null {
  const module = heap.module as unknown as { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  if (kernels.has(module)) return kernels.get(module) ?? null;
  let kernel: AdamKernel | null = null;
  try {
    const memory = module.asm?.memory ?? module.wasmMemory;
    if (memory instanceof WebAssembly.Memory && memory.buffer === heap.heap().buffer) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(adamModuleBytes()), { env: { memory } });
      kernel = instance.exports.adam as AdamKernel;
    }
  } catch {
    kernel = null;
  }
  kernels.set(module, kernel);
  return kernel;
}
