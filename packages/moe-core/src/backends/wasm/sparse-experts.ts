import * as tf from '@tensorflow/tfjs-core';
import {
  addColumnSums,
  addRowBias,
  combineGated,
  combineGatedBackward,
  gatherRows,
  mulAndColumnSums,
  scatterAddRows,
} from '../../ops/array-kernels.js';
import { geluForward, geluForwardHeap } from '../../ops/gelu.js';
import { customOp } from '../../ops/custom-op.js';
import { sharedBackwardBuffers, type WorkBuffers } from '../../ops/work-buffers.js';
import type { ExpertWeights, PairGrouping } from '../../moe/experts.js';
import type { RoutingChoice } from '../../router/noisy-top-k.js';
import { WasmHeap } from './wasm-heap.js';
import { combineKernels, mulColSumsKernel } from './wasm-simd.js';

/**
 * {@link sparseExperts} on the wasm backend with the operands in reused heap regions (./wasm-heap.ts): the
 * weight operands are read in place from the stacked weight tensors (no per-step copy), the weight gradients
 * are written by the matmuls straight into the gradient tensors' memory, and no tensor is created per matmul.
 * Same arithmetic, same XNNPACK calls, same summation order as the generic path: identical results.
 */
export function sparseExpertsWasm(
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  choice: RoutingChoice,
  w: ExpertWeights,
  scratch: WorkBuffers,
  pg: PairGrouping,
): tf.Tensor2D | null {
  const heap = WasmHeap.current();
  if (!heap) return null;
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
    gatherRows(
      mem.subarray(heap.offsetOf(xIn), heap.offsetOf(xIn) + R * H),
      pairToken,
      H,
      mem.subarray(xsOff, xsOff + R * k * H),
    );
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
        geluForward(
          mem.subarray(aOff, aOff + n * H2),
          mem.subarray(b1Off, b1Off + E * H2),
          e * H2,
          H2,
          mem.subarray(hsOff + o * H2, hsOff + (o + n) * H2),
          mem.subarray(dsOff + o * H2, dsOff + (o + n) * H2),
        );
      }
      heap.matmul(hsOff + o * H2, n, H2, w2Off + e * H2 * H, H, yOff);
      // Kept for the backward's products with W1ᵀ/W2ᵀ: transposed for XNNPACK; a native engine transposes while
      // reading, so a plain copy does.
      if (heap.native(n, H, H2)) {
        mem = heap.heap();
        mem.copyWithin(w1TOff + e * H * H2, w1Off + e * H * H2, w1Off + (e + 1) * H * H2);
        mem.copyWithin(w2TOff + e * H2 * H, w2Off + e * H2 * H, w2Off + (e + 1) * H2 * H);
      } else {
        heap.transpose(w1Off + e * H * H2, H, H2, w1TOff + e * H * H2);
        heap.transpose(w2Off + e * H2 * H, H2, H, w2TOff + e * H2 * H);
      }
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
    else
      combineGated(
        mem.subarray(out.offset, out.offset + R * H),
        mem.subarray(ysOff, ysOff + R * k * H),
        mem.subarray(gOff, gOff + R * E),
        choice.topkIndices,
        pairPos,
        R,
        k,
        E,
        H,
      );
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
        if (ck)
          ck.combineBack(dyOff * 4, ysOff * 4, gB * 4, topkOff * 4, posOff * 4, R, k, E, H, dg.offset * 4, dysOff * 4);
        else {
          const view = (o: number, len: number) => mem.subarray(o, o + len);
          combineGatedBackward(
            view(dyOff, R * H),
            view(ysOff, R * k * H),
            view(gB, R * E),
            choice.topkIndices,
            pairPos,
            R,
            k,
            E,
            H,
            view(dg.offset, R * E),
            view(dysOff, R * k * H),
          );
        }
        for (const e of active) {
          const n = counts[e];
          const o = offsets[e];
          if (ck) ck.colSums((dysOff + o * H) * 4, n, H, (dB2.offset + e * H) * 4);
          else addColumnSums(heap.heap(), dysOff + o * H, n, H, heap.heap(), dB2.offset + e * H);
          // The same size test as the forward's, which kept W1/W2 copied (native) or transposed (XNNPACK).
          const native = heap.native(n, H, H2);
          // dW2[e] = hsᵀ · dy
          if (!heap.nativeGemm(hsOff + o * H2, H2, n, dysOff + o * H, H, dW2.offset + e * H2 * H, true, false)) {
            heap.transpose(hsOff + o * H2, n, H2, tOff);
            heap.matmul(tOff, H2, n, dysOff + o * H, H, dW2.offset + e * H2 * H);
          }
          // da = dy · W2[e]ᵀ, then ⊙ gelu' (and the b1 gradient)
          if (native) heap.nativeGemm(dysOff + o * H, n, H, w2TOff + e * H2 * H, H2, daOff, false, true);
          else heap.matmul(dysOff + o * H, n, H, w2TOff + e * H2 * H, H2, daOff);
          mem = heap.heap();
          if (mulColSums) mulColSums(daOff * 4, (dsOff + o * H2) * 4, n, H2, (dB1.offset + e * H2) * 4);
          else
            mulAndColumnSums(mem.subarray(daOff, daOff + n * H2), mem, dsOff + o * H2, n, H2, mem, dB1.offset + e * H2);
          // dW1[e] = xsᵀ · da
          if (!heap.nativeGemm(xsOff + o * H, H, n, daOff, H2, dW1.offset + e * H * H2, true, false)) {
            heap.transpose(xsOff + o * H, n, H, tOff);
            heap.matmul(tOff, H, n, daOff, H2, dW1.offset + e * H * H2);
          }
          // dx[tokens] += da · W1[e]ᵀ
          if (native) heap.nativeGemm(daOff, n, H2, w1TOff + e * H * H2, H, dxeOff, false, true);
          else heap.matmul(daOff, n, H2, w1TOff + e * H * H2, H, dxeOff);
          if (ck) ck.scatterAdd(dx.offset * 4, dxeOff * 4, (tokenOff + o) * 4, n, H);
          else {
            mem = heap.heap();
            scatterAddRows(
              mem.subarray(dx.offset, dx.offset + R * H),
              mem.subarray(dxeOff, dxeOff + n * H),
              pairToken,
              o,
              n,
              H,
            );
          }
        }
        return [dx.tensor, dg.tensor, dW1.tensor, dB1.tensor, dW2.tensor, dB2.tensor];
      },
    };
  });
  return op(x, g, w.w1, w.b1, w.w2, w.b2);
}
