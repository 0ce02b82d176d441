import * as tf from '@tensorflow/tfjs-core';
import { softmaxBackwardRows, softmaxRows } from '../../ops/array-kernels.js';
import { customOp } from '../../ops/custom-op.js';
import { sharedBackwardBuffers, type WorkBuffers } from '../../ops/work-buffers.js';
import type { AttentionShape } from '../../model/attention.js';
import { WasmHeap } from './wasm-heap.js';

/**
 * {@link attentionCore} on the wasm backend with every per-piece block in reused heap regions
 * (./wasm-heap.ts): no tensor per matmul, no copies in or out, the input gradient written in place.
 * Same arithmetic and XNNPACK calls as the generic path: identical results. With a native engine that has a
 * batched product (../native-matmul.ts), each product form runs once over all (sample, head) pieces instead.
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
  // Piece `b * h + i` is head i of sample b; its q, k, v are columns [i·d, (i+1)·d) of the three H-wide
  // blocks of the sample's qkv rows.
  const eachPiece = (fn: (piece: number, rowStart: number, column: number) => void) => {
    for (let piece = 0; piece < pieces; piece++) fn(piece, Math.floor(piece / h) * N, (piece % h) * d);
  };
  const op = customOp<tf.Tensor2D>(([qkvIn]) => {
    const qO = regions.get(heap, 'q', pieces * Nd);
    const kO = regions.get(heap, 'k', pieces * Nd);
    const vO = regions.get(heap, 'v', pieces * Nd);
    const pO = regions.get(heap, 'p', pieces * NN);
    const pdO = probDropMask ? regions.get(heap, 'pd', pieces * NN) : pO;
    const cO = regions.get(heap, 'c', pieces * Nd);
    const ctx = heap.allocTensor([B * N, H]); // every element is written below
    const src = heap.offsetOf(qkvIn);
    eachPiece((piece, row, col) => {
      const o = piece * Nd;
      heap.copyRows(src + row * W + col, W, qO + o, d, N, d);
      heap.copyRows(src + row * W + H + col, W, kO + o, d, N, d);
      heap.copyRows(src + row * W + 2 * H + col, W, vO + o, d, N, d);
    });
    if (!heap.nativeAttentionProbabilities(qO, kO, pO, pieces, N, d, scale)) {
      const sO = regions.get(heap, 's', pieces * NN);
      heap.matmulPieces(qO, kO, sO, pieces, N, d, N, false, true, regions); // S = Q·Kᵀ
      const mem = heap.heap();
      softmaxRows(mem.subarray(sO, sO + pieces * NN), pieces * N, N, scale, mem.subarray(pO, pO + pieces * NN));
    }
    const mem = heap.heap(); // after the last heap allocation of the forward pass
    if (probDropMask) applyMaskInto(mem, pO, probDropMask, 0, pieces * NN, pdO);
    heap.matmulPieces(pdO, vO, cO, pieces, N, N, d, false, false, regions); // C = dropout(P)·V
    eachPiece((piece, row, col) => heap.copyRows(cO + piece * Nd, d, ctx.offset + row * H + col, H, N, d));
    return {
      value: ctx.tensor as tf.Tensor2D,
      gradFunc: (dy) => {
        const work = sharedBackwardBuffers.heap;
        const dcO = work.get(heap, 'attn_dc', pieces * Nd);
        const dsO = work.get(heap, 'attn_ds', pieces * NN);
        const outO = work.get(heap, 'attn_out', pieces * Nd);
        const dqkv = heap.allocTensor([B * N, W]); // every element is written below
        const dyO = heap.offsetOf(dy);
        eachPiece((piece, row, col) => heap.copyRows(dyO + row * H + col, H, dcO + piece * Nd, d, N, d));
        if (!heap.nativeAttentionScoresGradient(dcO, vO, pO, probDropMask, dsO, pieces, N, d, scale)) {
          const dpdO = work.get(heap, 'attn_dpd', pieces * NN);
          heap.matmulPieces(dcO, vO, dpdO, pieces, N, d, N, false, true, work); // dPD = dC·Vᵀ
          const mem = heap.heap();
          softmaxBackwardRows(
            mem.subarray(dpdO, dpdO + pieces * NN),
            mem.subarray(pO, pO + pieces * NN),
            probDropMask,
            0,
            pieces * N,
            N,
            scale,
            mem.subarray(dsO, dsO + pieces * NN),
          );
        }
        // Each gradient goes through `out` into its columns of dqkv: dV = PDᵀ·dC, dQ = dS·K, dK = dSᵀ·Q.
        const products: [number, number, boolean, number][] = [
          [pdO, dcO, true, 2 * H],
          [dsO, kO, false, 0],
          [dsO, qO, true, H],
        ];
        for (const [a, b, transA, block] of products) {
          heap.matmulPieces(a, b, outO, pieces, N, N, d, transA, false, work);
          eachPiece((piece, row, col) =>
            heap.copyRows(outO + piece * Nd, d, dqkv.offset + row * W + block + col, W, N, d),
          );
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
