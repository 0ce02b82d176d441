import * as tf from '@tensorflow/tfjs-core';
import { copyColumns, softmaxBackwardRows, softmaxRows, transposeInto, writeColumns } from '../ops/array-kernels.js';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';

/** Shape of one attention call: `batch` sequences of `tokens` tokens, `heads` heads over width `hidden`. */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  hidden: number;
}

/**
 * Scaled dot-product attention core for `qkv [B·N, 3H]` = `[q | k | v]` (the q projection and the kv
 * projection of the golden layout side by side; head i uses columns i·d … i·d+d-1 of each, d = H/heads). Returns the head outputs concatenated in head
 * order, `[B·N, H]` (before the output projection).
 *
 * Per (sample, head) the products are plain 2-D matMuls on blocks cut and transposed in JS; the softmax and
 * its backward run in JS. On wasm this beats batched matmuls (~10× slower per FLOP) and tf.split/Slice
 * (slow strided copies) by a wide margin (docs/benchmarks.md).
 * `probDropMask` (`[B·heads·N·N]`, already scaled by 1/(1-p)) is the attention-probability dropout;
 * `buffers` (one per layer) keeps what the backward needs between the two passes.
 */
export function attentionCore(
  qkv: tf.Tensor2D,
  shape: AttentionShape,
  probDropMask: Float32Array | null,
  buffers: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const { batch: B, tokens: N, heads: h, hidden: H } = shape;
  const d = H / h;
  const scale = 1 / Math.sqrt(d);
  const pieces = B * h;
  const W = 3 * H;
  const NN = N * N;
  const Nd = N * d;
  const heap = WasmHeap.current();
  if (heap) return attentionCoreWasm(heap, qkv, shape, probDropMask, buffers);
  const op = customOp<tf.Tensor2D>(([qkvIn]) => {
    // Per-piece blocks kept for the backward live in this layer's work buffers (less garbage per step).
    const qkvd = buffers.get('qkv', B * N * W);
    qkvd.set(peekData(qkvIn));
    const Q = buffers.get('q', pieces * Nd);
    const K = buffers.get('k', pieces * Nd);
    const VT = buffers.get('vT', pieces * Nd);
    const P = buffers.get('p', pieces * NN);
    const PD = probDropMask ? buffers.get('pd', pieces * NN) : P;
    const kT = buffers.get('kT', Nd);
    const vb = buffers.get('v', Nd);
    const ctx = buffers.output('ctx', B * N * H, true);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < h; i++) {
        const piece = b * h + i;
        const qb = Q.subarray(piece * Nd, (piece + 1) * Nd);
        const kb = K.subarray(piece * Nd, (piece + 1) * Nd);
        copyColumns(qkvd, b * N, N, W, i * d, d, qb);
        copyColumns(qkvd, b * N, N, W, H + i * d, d, kb);
        copyColumns(qkvd, b * N, N, W, 2 * H + i * d, d, vb);
        transposeInto(kb, 0, N, d, kT);
        transposeInto(vb, 0, N, d, VT, piece * Nd);
        const s = tf.matMul(tf.tensor2d(qb, [N, d]), tf.tensor2d(kT, [d, N]));
        const p = P.subarray(piece * NN, (piece + 1) * NN);
        softmaxRows(peekData(s), N, N, scale, p);
        const pd = PD.subarray(piece * NN, (piece + 1) * NN);
        if (probDropMask) for (let j = 0; j < NN; j++) pd[j] = p[j] * probDropMask[piece * NN + j];
        writeColumns(peekData(tf.matMul(tf.tensor2d(pd, [N, N]), tf.tensor2d(vb, [N, d]))), b * N, N, H, i * d, d, ctx);
      }
    }
    return {
      value: tf.tensor2d(ctx, [B * N, H]),
      gradFunc: (dy) => {
        const work = sharedBackwardBuffers;
        const dyd = work.get('attn_dy', B * N * H); // kept across tf calls: a copy
        dyd.set(peekData(dy));
        const dqkv = work.output('dqkv', B * N * W, true);
        const dc = work.get('attn_dc', Nd);
        const ds = work.get('attn_ds', NN);
        const tNN = work.get('attn_tNN', NN);
        for (let piece = 0; piece < pieces; piece++) {
          const b = Math.floor(piece / h);
          const i = piece % h;
          copyColumns(dyd, b * N, N, H, i * d, d, dc);
          const dcT = tf.tensor2d(dc, [N, d]);
          // Each heap view is consumed before the next tf call (see peekData).
          const dpd = tf.matMul(dcT, tf.tensor2d(VT.subarray(piece * Nd, (piece + 1) * Nd), [d, N]));
          softmaxBackwardRows(peekData(dpd), P.subarray(piece * NN, (piece + 1) * NN), probDropMask, piece * NN, N, N, scale, ds);
          transposeInto(PD, piece * NN, N, N, tNN);
          const dv = tf.matMul(tf.tensor2d(tNN, [N, N]), dcT);
          writeColumns(peekData(dv), b * N, N, W, 2 * H + i * d, d, dqkv);
          const dqb = tf.matMul(tf.tensor2d(ds, [N, N]), tf.tensor2d(K.subarray(piece * Nd, (piece + 1) * Nd), [N, d]));
          writeColumns(peekData(dqb), b * N, N, W, i * d, d, dqkv);
          transposeInto(ds, 0, N, N, tNN);
          const dkb = tf.matMul(tf.tensor2d(tNN, [N, N]), tf.tensor2d(Q.subarray(piece * Nd, (piece + 1) * Nd), [N, d]));
          writeColumns(peekData(dkb), b * N, N, W, H + i * d, d, dqkv);
        }
        return [tf.tensor2d(dqkv, [B * N, W])];
      },
    };
  });
  return op(qkv);
}

/**
 * {@link attentionCore} on the wasm backend with every per-piece block in reused heap regions
 * (ops/wasm-heap.ts): no tensor per matmul, no copies in or out, the input gradient written in place.
 * Same arithmetic and XNNPACK calls as the generic path: identical results.
 */
function attentionCoreWasm(heap: WasmHeap, qkv: tf.Tensor2D, shape: AttentionShape, probDropMask: Float32Array | null, buffers: WorkBuffers): tf.Tensor2D {
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
          softmaxBackwardRows(mem.subarray(dpdO, dpdO + NN), mem.subarray(pO + piece * NN, pO + (piece + 1) * NN), probDropMask, piece * NN, N, N, scale, mem.subarray(dsO, dsO + NN));
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
function applyMaskInto(mem: Float32Array, src: number, mask: Float32Array, maskOffset: number, n: number, dst: number): void {
  for (let j = 0; j < n; j++) mem[dst + j] = mem[src + j] * mask[maskOffset + j];
}
