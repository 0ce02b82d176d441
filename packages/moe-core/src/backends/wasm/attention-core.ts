import * as tf from '@tensorflow/tfjs-core';
import { softmaxBackwardRows, softmaxRows } from '../../ops/array-kernels.js';
import { customOp } from '../../ops/custom-op.js';
import { sharedBackwardBuffers, type WorkBuffers } from '../../ops/work-buffers.js';
import type { AttentionShape } from '../../model/attention.js';
import { WasmHeap } from './wasm-heap.js';

/**
 * {@link attentionCore} on the wasm backend with every per-piece block in reused heap regions
 * (./wasm-heap.ts): no tensor per matmul, no copies in or out, the input gradient written in place.
 * Same arithmetic and XNNPACK calls as the generic path: identical results.
 */
export function attentionCoreWasm(
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  probDropMask: Float32Array | null,
  buffers: WorkBuffers,
): tf.Tensor2D | null {
  const heap = WasmHeap.current();
  if (!heap) return null;
  const { batch: B, tokens: N, heads: h, hidden: H } = shape;
  const d = H / h;
  const scale = 1 / Math.sqrt(d);
  const pieces = B * h;
  const W = 3 * H;
  const NN = N * N;
  const Nd = N * d;
  const regions = buffers.heap;
  const op = customOp<tf.Tensor2D>(([qkvIn]) => {
    const qO = regions.get(heap, 'q', pieces * Nd);
    const kO = regions.get(heap, 'k', pieces * Nd);
    const vO = regions.get(heap, 'v', pieces * Nd);
    const vtO = regions.get(heap, 'vT', pieces * Nd);
    const pO = regions.get(heap, 'p', pieces * NN);
    const pdO = probDropMask ? regions.get(heap, 'pd', pieces * NN) : pO;
    const ktO = regions.get(heap, 'kT', Nd);
    const sO = regions.get(heap, 's', NN);
    const cO = regions.get(heap, 'c', Nd);
    const ctx = heap.allocTensor([B * N, H]); // every element is written below
    const src = heap.offsetOf(qkvIn);
    for (let piece = 0; piece < pieces; piece++) {
      const b = Math.floor(piece / h);
      const i = piece % h;
      const o = piece * Nd;
      heap.copyRows(src + b * N * W + i * d, W, qO + o, d, N, d);
      heap.copyRows(src + b * N * W + H + i * d, W, kO + o, d, N, d);
      heap.copyRows(src + b * N * W + 2 * H + i * d, W, vO + o, d, N, d);
      heap.transpose(vO + o, N, d, vtO + o);
    }
    for (let piece = 0; piece < pieces; piece++) {
      const b = Math.floor(piece / h);
      const i = piece % h;
      heap.transpose(kO + piece * Nd, N, d, ktO);
      heap.matmul(qO + piece * Nd, N, d, ktO, N, sO);
      const mem = heap.heap(); // after the last heap allocation of this piece
      const pp = pO + piece * NN;
      softmaxRows(mem.subarray(sO, sO + NN), N, N, scale, mem.subarray(pp, pp + NN));
      if (probDropMask) applyMaskInto(mem, pp, probDropMask, piece * NN, NN, pdO + piece * NN);
      heap.matmul(pdO + piece * NN, N, N, vO + piece * Nd, d, cO);
      heap.copyRows(cO, d, ctx.offset + b * N * H + i * d, H, N, d);
    }
    return {
      value: ctx.tensor as tf.Tensor2D,
      gradFunc: (dy) => {
        const work = sharedBackwardBuffers.heap;
        const dcO = work.get(heap, 'attn_dc', pieces * Nd);
        const dpdO = work.get(heap, 'attn_dpd', NN);
        const dsO = work.get(heap, 'attn_ds', NN);
        const tO = work.get(heap, 'attn_tNN', NN);
        const outO = work.get(heap, 'attn_out', Nd);
        const dqkv = heap.allocTensor([B * N, W]); // every element is written below
        const dyO = heap.offsetOf(dy);
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          heap.copyRows(dyO + b * N * H + i * d, H, dcO + piece * Nd, d, N, d);
        }
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          const dc = dcO + piece * Nd;
          heap.matmul(dc, N, d, vtO + piece * Nd, N, dpdO);
          const mem = heap.heap();
          softmaxBackwardRows(
            mem.subarray(dpdO, dpdO + NN),
            mem.subarray(pO + piece * NN, pO + (piece + 1) * NN),
            probDropMask,
            piece * NN,
            N,
            N,
            scale,
            mem.subarray(dsO, dsO + NN),
          );
          heap.transpose(pdO + piece * NN, N, N, tO);
          heap.matmul(tO, N, N, dc, d, outO);
          heap.copyRows(outO, d, dqkv.offset + b * N * W + 2 * H + i * d, W, N, d);
          heap.matmul(dsO, N, N, kO + piece * Nd, d, outO);
          heap.copyRows(outO, d, dqkv.offset + b * N * W + i * d, W, N, d);
          heap.transpose(dsO, N, N, tO);
          heap.matmul(tO, N, N, qO + piece * Nd, d, outO);
          heap.copyRows(outO, d, dqkv.offset + b * N * W + H + i * d, W, N, d);
        }
        return [dqkv.tensor];
      },
    };
  });
  return op(qkv);
}

/** `mem[dst + j] = mem[src + j] · mask[maskOffset + j]` for j < n (attention-probability dropout). */
function applyMaskInto(
  mem: Float32Array,
  src: number,
  mask: Float32Array,
  maskOffset: number,
  n: number,
  dst: number,
): void {
  for (let j = 0; j < n; j++) mem[dst + j] = mem[src + j] * mask[maskOffset + j];
}
