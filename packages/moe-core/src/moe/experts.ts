import * as tf from '@tensorflow/tfjs-core';
import { addColumnSums, addRowBias, combineGated, combineGatedBackward, gatherRows, mulAndColumnSums, scatterAddRows, transposeInto } from '../ops/array-kernels.js';
import { customOp } from '../ops/custom-op.js';
import { denseBias } from '../ops/fast-matmul.js';
import { gelu, geluForward, geluForwardHeap } from '../ops/gelu.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import { WasmHeap } from '../backends/wasm/wasm-heap.js';
import { combineKernels, mulColSumsKernel } from '../backends/wasm/wasm-simd.js';
import type { RoutingChoice } from '../router/noisy-top-k.js';

/** Stacked expert weights (`[in, out]` per expert): `W1 [E,H,2H]`, `b1 [E,2H]`, `W2 [E,2H,H]`, `b2 [E,H]`. */
export interface ExpertWeights {
  w1: tf.Tensor3D;
  b1: tf.Tensor2D;
  w2: tf.Tensor3D;
  b2: tf.Tensor2D;
}

import type { Dispatch } from '../spec/config.js';
export type { Dispatch };

/**
 * Dense reference path: every expert on every token, combined with the gate matrix `G [rows, E]`.
 * `Σ_e G[t,e] · (gelu(x_t·W1[e] + b1[e])·W2[e] + b2[e])`.
 */
export function denseExperts(x: tf.Tensor2D, g: tf.Tensor2D, w: ExpertWeights): tf.Tensor2D {
  const [E, H, H2] = w.w1.shape;
  let out: tf.Tensor2D | null = null;
  for (let e = 0; e < E; e++) {
    const w1 = tf.reshape(tf.slice(w.w1, [e, 0, 0], [1, H, H2]), [H, H2]) as tf.Tensor2D;
    const b1 = tf.reshape(tf.slice(w.b1, [e, 0], [1, H2]), [H2]) as tf.Tensor1D;
    const w2 = tf.reshape(tf.slice(w.w2, [e, 0, 0], [1, H2, H]), [H2, H]) as tf.Tensor2D;
    const b2 = tf.reshape(tf.slice(w.b2, [e, 0], [1, H]), [H]) as tf.Tensor1D;
    const y = denseBias(gelu(denseBias(x, w1, b1)) as tf.Tensor2D, w2, b2);
    const term = tf.mul(y, tf.slice(g, [0, e], [g.shape[0], 1])) as tf.Tensor2D;
    out = out ? (tf.add(out, term) as tf.Tensor2D) : term;
  }
  return out as tf.Tensor2D;
}

/**
 * Sparse dispatch: only the selected (token, expert) pairs are evaluated. The `rows·k` selections are
 * grouped by expert in plain JS, each expert runs once on its rows with plain 2-D matmuls, and the
 * gate-weighted outputs are added back per token. Cost scales with k, not E.
 *
 * One custom op with a hand-written backward. All data movement (row gathers, per-expert weight blocks,
 * transposes, scatter-adds, bias sums) and the exact GELU (tabulated Φ/φ, see ops/gelu.ts) run on typed
 * arrays in JS: on wasm, tf.gather / Slice / SplitV and axis-0 sums are far slower than the copies (and
 * tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks). TF.js does only the plain 2-D matmuls.
 * `scratch` (one per layer) keeps the forward's work arrays for the backward and reuses them across steps.
 */
export function sparseExperts(
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  choice: RoutingChoice,
  w: ExpertWeights,
  scratch: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const [E, H, H2] = w.w1.shape;
  const { rows: R, k } = choice;
  const counts = new Int32Array(E);
  for (let i = 0; i < R * k; i++) counts[choice.topkIndices[i]]++;
  const offsets = new Int32Array(E + 1);
  for (let e = 0; e < E; e++) offsets[e + 1] = offsets[e] + counts[e];
  const pairToken = new Int32Array(R * k);
  const pairPos = new Int32Array(R * k); // expert-sorted position of pair (t, j)
  const fill = offsets.slice(0, E);
  for (let t = 0; t < R; t++) {
    for (let j = 0; j < k; j++) {
      const pos = fill[choice.topkIndices[t * k + j]]++;
      pairToken[pos] = t;
      pairPos[t * k + j] = pos;
    }
  }
  const active: number[] = [];
  let maxCount = 0;
  for (let e = 0; e < E; e++) {
    if (counts[e] > 0) active.push(e);
    maxCount = Math.max(maxCount, counts[e]);
  }

  const heap = WasmHeap.current();
  if (heap) return sparseExpertsWasm(heap, x, g, choice, w, scratch, { counts, offsets, pairToken, pairPos, active, maxCount });

  const op = customOp<tf.Tensor2D>(([xIn, gIn, w1In, b1In, w2In, b2In]) => {
    const gd = gIn.dataSync() as Float32Array;
    // Weights are used across many tf calls: copied out of the (possibly heap-view) data into work buffers.
    const w1d = scratch.get('w1', E * H * H2);
    w1d.set(peekData(w1In));
    const w2d = scratch.get('w2', E * H2 * H);
    w2d.set(peekData(w2In));
    const b1d = b1In.dataSync() as Float32Array;
    const b2d = b2In.dataSync() as Float32Array;
    const ys = scratch.get('ys', R * k * H);
    const xs = scratch.get('xs', R * k * H);
    const hs = scratch.get('hs', R * k * H2); // GELU outputs, expert-sorted rows
    const ds = scratch.get('ds', R * k * H2); // GELU derivatives
    gatherRows(peekData(xIn), pairToken, H, xs);
    for (const e of active) {
      const n = counts[e];
      const o = offsets[e];
      const a = tf.matMul(tf.tensor2d(xs.subarray(o * H, (o + n) * H), [n, H]), tf.tensor2d(w1d.subarray(e * H * H2, (e + 1) * H * H2), [H, H2]));
      const hh = hs.subarray(o * H2, (o + n) * H2);
      geluForward(peekData(a), b1d, e * H2, H2, hh, ds.subarray(o * H2, (o + n) * H2));
      const y = tf.matMul(tf.tensor2d(hh, [n, H2]), tf.tensor2d(w2d.subarray(e * H2 * H, (e + 1) * H2 * H), [H2, H]));
      addRowBias(peekData(y), b2d, e * H, n, H, ys, o * H);
    }
    const out = scratch.output('out', R * H);
    combineGated(out, ys, gd, choice.topkIndices, pairPos, R, k, E, H);
    return {
      value: tf.tensor2d(out, [R, H]),
      gradFunc: (dy) => {
        const dg = sharedBackwardBuffers.output('dg', R * E);
        const dys = sharedBackwardBuffers.get('dys', R * k * H);
        combineGatedBackward(peekData(dy), ys, gd, choice.topkIndices, pairPos, R, k, E, H, dg, dys);
        // dW1/dW2: every active expert's block is overwritten below; the others are zeroed here.
        const dW1 = sharedBackwardBuffers.output('dW1', E * H * H2, true);
        const dB1 = sharedBackwardBuffers.output('dB1', E * H2);
        const dW2 = sharedBackwardBuffers.output('dW2', E * H2 * H, true);
        for (let e = 0; e < E; e++) {
          if (counts[e] > 0) continue;
          dW1.fill(0, e * H * H2, (e + 1) * H * H2);
          dW2.fill(0, e * H2 * H, (e + 1) * H2 * H);
        }
        const dB2 = sharedBackwardBuffers.output('dB2', E * H);
        const dx = sharedBackwardBuffers.output('dx', R * H);
        const w1T = sharedBackwardBuffers.get('w1T', H2 * H);
        const w2T = sharedBackwardBuffers.get('w2T', H * H2);
        const rowsT = sharedBackwardBuffers.get('rowsT', maxCount * H2);
        const daBuf = sharedBackwardBuffers.get('da', maxCount * H2);
        for (const e of active) {
          const n = counts[e];
          const o = offsets[e];
          addColumnSums(dys, o * H, n, H, dB2, e * H);
          const dyeT = tf.tensor2d(dys.subarray(o * H, (o + n) * H), [n, H]);
          transposeInto(hs, o * H2, n, H2, rowsT);
          dW2.set(peekData(tf.matMul(tf.tensor2d(rowsT.subarray(0, n * H2), [H2, n]), dyeT)), e * H2 * H);
          transposeInto(w2d, e * H2 * H, H2, H, w2T);
          // Copied out: the heap view is invalidated by the next allocation, and daT must not alias it.
          const da = daBuf.subarray(0, n * H2);
          da.set(peekData(tf.matMul(dyeT, tf.tensor2d(w2T, [H, H2]))));
          mulAndColumnSums(da, ds, o * H2, n, H2, dB1, e * H2);
          const daT = tf.tensor2d(da, [n, H2]);
          transposeInto(xs, o * H, n, H, rowsT);
          dW1.set(peekData(tf.matMul(tf.tensor2d(rowsT.subarray(0, n * H), [H, n]), daT)), e * H * H2);
          transposeInto(w1d, e * H * H2, H, H2, w1T);
          scatterAddRows(dx, peekData(tf.matMul(daT, tf.tensor2d(w1T, [H2, H]))), pairToken, o, n, H);
        }
        return [
          tf.tensor2d(dx, [R, H]),
          tf.tensor2d(dg, [R, E]),
          tf.tensor3d(dW1, [E, H, H2]),
          tf.tensor2d(dB1, [E, H2]),
          tf.tensor3d(dW2, [E, H2, H]),
          tf.tensor2d(dB2, [E, H]),
        ];
      },
    };
  });
  return op(x, g, w.w1, w.b1, w.w2, w.b2);
}

/** Grouping of the (token, expert) pairs by expert (see {@link sparseExperts}). */
interface PairGrouping {
  counts: Int32Array;
  offsets: Int32Array;
  pairToken: Int32Array;
  pairPos: Int32Array;
  active: number[];
  maxCount: number;
}

/**
 * {@link sparseExperts} on the wasm backend with the operands in reused heap regions (ops/wasm-heap.ts): the
 * weight operands are read in place from the stacked weight tensors (no per-step copy), the weight gradients
 * are written by the matmuls straight into the gradient tensors' memory, and no tensor is created per matmul.
 * Same arithmetic, same XNNPACK calls, same summation order as the generic path: identical results.
 */
function sparseExpertsWasm(heap: WasmHeap, x: tf.Tensor2D, g: tf.Tensor2D, choice: RoutingChoice, w: ExpertWeights, scratch: WorkBuffers, pg: PairGrouping): tf.Tensor2D {
  const [E, H, H2] = w.w1.shape;
  const { rows: R, k } = choice;
  const { counts, offsets, pairToken, pairPos, active, maxCount } = pg;
  const regions = scratch.heap;
  const op = customOp<tf.Tensor2D>(([xIn, gIn, w1In, b1In, w2In, b2In]) => {
    const ck = combineKernels(heap);
    // Heap regions (float indexes): expert-sorted inputs, GELU outputs and derivatives, expert outputs and the
    // routing indexes (kept for the backward), products.
    const ysOff = regions.get(heap, 'ys', R * k * H);
    const topkOff = regions.get(heap, 'topk', R * k);
    const posOff = regions.get(heap, 'pairPos', R * k);
    const gatesOff = regions.get(heap, 'gates', R * E);
    const tokenOff = regions.get(heap, 'pairToken', R * k); // the gate tensor itself may be gone by the backward
    const xsOff = regions.get(heap, 'xs', R * k * H);
    const hsOff = regions.get(heap, 'hs', R * k * H2);
    const dsOff = regions.get(heap, 'ds', R * k * H2);
    const aOff = regions.get(heap, 'a', maxCount * H2);
    // Transposed expert kernels for the backward, made here so that the backward never reads the weight
    // tensors (an op's inputs may be disposed by then).
    const w1TOff = regions.get(heap, 'w1T', E * H * H2);
    const w2TOff = regions.get(heap, 'w2T', E * H2 * H);
    const yOff = regions.get(heap, 'y', maxCount * H);
    let mem = heap.heap();
    new Int32Array(mem.buffer, topkOff * 4, R * k).set(choice.topkIndices);
    new Int32Array(mem.buffer, posOff * 4, R * k).set(pairPos);
    new Int32Array(mem.buffer, tokenOff * 4, R * k).set(pairToken);
    gatherRows(mem.subarray(heap.offsetOf(xIn), heap.offsetOf(xIn) + R * H), pairToken, H, mem.subarray(xsOff, xsOff + R * k * H));
    const w1Off = heap.offsetOf(w1In);
    const w2Off = heap.offsetOf(w2In);
    const b1Off = heap.offsetOf(b1In);
    const b2Off = heap.offsetOf(b2In);
    for (const e of active) {
      const n = counts[e];
      const o = offsets[e];
      heap.matmul(xsOff + o * H, n, H, w1Off + e * H * H2, H2, aOff);
      if (!geluForwardHeap(heap, aOff, b1Off + e * H2, H2, n * H2, hsOff + o * H2, dsOff + o * H2)) {
        mem = heap.heap();
        geluForward(mem.subarray(aOff, aOff + n * H2), mem.subarray(b1Off, b1Off + E * H2), e * H2, H2, mem.subarray(hsOff + o * H2, hsOff + (o + n) * H2), mem.subarray(dsOff + o * H2, dsOff + (o + n) * H2));
      }
      heap.matmul(hsOff + o * H2, n, H2, w2Off + e * H2 * H, H, yOff);
      heap.transpose(w1Off + e * H * H2, H, H2, w1TOff + e * H * H2);
      heap.transpose(w2Off + e * H2 * H, H2, H, w2TOff + e * H2 * H);
      if (ck) ck.addRowBias(yOff * 4, (b2Off + e * H) * 4, n, H, (ysOff + o * H) * 4);
      else {
        mem = heap.heap();
        addRowBias(mem.subarray(yOff, yOff + n * H), mem, b2Off + e * H, n, H, mem, ysOff + o * H);
      }
    }
    const out = heap.allocTensor([R, H]);
    mem = heap.heap();
    mem.fill(0, out.offset, out.offset + R * H);
    const gOff = gatesOff;
    mem.set(mem.subarray(heap.offsetOf(gIn), heap.offsetOf(gIn) + R * E), gOff);
    if (ck) ck.combine(out.offset * 4, ysOff * 4, gOff * 4, topkOff * 4, posOff * 4, R, k, E, H);
    else combineGated(mem.subarray(out.offset, out.offset + R * H), mem.subarray(ysOff, ysOff + R * k * H), mem.subarray(gOff, gOff + R * E), choice.topkIndices, pairPos, R, k, E, H);
    return {
      value: out.tensor as tf.Tensor2D,
      gradFunc: (dy) => {
        const bwd = sharedBackwardBuffers;
        const dg = heap.allocTensor([R, E]); // only the selected entries are written below (zeroed first)
        const dysOff = bwd.heap.get(heap, 'dys', R * k * H);
        const tOff = bwd.heap.get(heap, 'rowsT', maxCount * H2);
        const daOff = bwd.heap.get(heap, 'da', maxCount * H2);
        const dxeOff = bwd.heap.get(heap, 'dxe', maxCount * H);
        const dB1 = heap.allocTensor([E, H2]); // column sums accumulated in place (zeroed below)
        const dB2 = heap.allocTensor([E, H]); // accumulated in place (zeroed below)
        const dx = heap.allocTensor([R, H]); // scatter-added in place (zeroed below)
        // Gradient tensors of the stacked kernels, written in place by the matmuls below.
        const dW1 = heap.allocTensor([E, H, H2]);
        const dW2 = heap.allocTensor([E, H2, H]);
        const mulColSums = mulColSumsKernel(heap);
        mem = heap.heap();
        mem.fill(0, dB1.offset, dB1.offset + E * H2);
        mem.fill(0, dg.offset, dg.offset + R * E);
        mem.fill(0, dB2.offset, dB2.offset + E * H);
        mem.fill(0, dx.offset, dx.offset + R * H);
        for (let e = 0; e < E; e++) {
          if (counts[e] > 0) continue;
          mem.fill(0, dW1.offset + e * H * H2, dW1.offset + (e + 1) * H * H2);
          mem.fill(0, dW2.offset + e * H2 * H, dW2.offset + (e + 1) * H2 * H);
        }
        const gB = gatesOff;
        const dyOff = heap.offsetOf(dy);
        if (ck) ck.combineBack(dyOff * 4, ysOff * 4, gB * 4, topkOff * 4, posOff * 4, R, k, E, H, dg.offset * 4, dysOff * 4);
        else {
          const view = (o: number, len: number) => mem.subarray(o, o + len);
          combineGatedBackward(view(dyOff, R * H), view(ysOff, R * k * H), view(gB, R * E), choice.topkIndices, pairPos, R, k, E, H, view(dg.offset, R * E), view(dysOff, R * k * H));
        }
        for (const e of active) {
          const n = counts[e];
          const o = offsets[e];
          if (ck) ck.colSums((dysOff + o * H) * 4, n, H, (dB2.offset + e * H) * 4);
          else addColumnSums(heap.heap(), dysOff + o * H, n, H, heap.heap(), dB2.offset + e * H);
          // dW2[e] = hsᵀ · dy
          heap.transpose(hsOff + o * H2, n, H2, tOff);
          heap.matmul(tOff, H2, n, dysOff + o * H, H, dW2.offset + e * H2 * H);
          // da = dy · W2[e]ᵀ, then ⊙ gelu' (and the b1 gradient)
          heap.matmul(dysOff + o * H, n, H, w2TOff + e * H2 * H, H2, daOff);
          mem = heap.heap();
          if (mulColSums) mulColSums(daOff * 4, (dsOff + o * H2) * 4, n, H2, (dB1.offset + e * H2) * 4);
          else mulAndColumnSums(mem.subarray(daOff, daOff + n * H2), mem, dsOff + o * H2, n, H2, mem, dB1.offset + e * H2);
          // dW1[e] = xsᵀ · da
          heap.transpose(xsOff + o * H, n, H, tOff);
          heap.matmul(tOff, H, n, daOff, H2, dW1.offset + e * H * H2);
          // dx[tokens] += da · W1[e]ᵀ
          heap.matmul(daOff, n, H2, w1TOff + e * H * H2, H, dxeOff);
          if (ck) ck.scatterAdd(dx.offset * 4, dxeOff * 4, (tokenOff + o) * 4, n, H);
          else {
            mem = heap.heap();
            scatterAddRows(mem.subarray(dx.offset, dx.offset + R * H), mem.subarray(dxeOff, dxeOff + n * H), pairToken, o, n, H);
          }
        }
        return [dx.tensor, dg.tensor, dW1.tensor, dB1.tensor, dW2.tensor, dB2.tensor];
      },
    };
  });
  return op(x, g, w.w1, w.b1, w.w2, w.b2);
}
