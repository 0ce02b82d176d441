import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../ops/variables.js';
import { customOp } from '../ops/custom-op.js';
import { peekData } from '../ops/peek-data.js';
import { sharedBackwardBuffers, WorkBuffers } from '../ops/work-buffers.js';
import type { RandomSource } from '../random/random-source.js';

/**
 * Missing-modality bank (docs/algorithm.md §3): `[rows, M, P, H]`, N(0,1) initialisation. `rows = 2^M − 1` (one entry per
 * combination), or 1 with the `no-bank` ablation (one learned embedding per modality).
 */
export function createBank(random: RandomSource, rows: number, M: number, P: number, H: number): tf.Variable {
  return ownedVariable(random.normal([rows, M, P, H]));
}

/** `dst[dstOffset + i] += src[srcOffset + i]` for i < n (top-level so V8 optimises it). */
function addInto(dst: Float32Array, dstOffset: number, src: Float32Array, srcOffset: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] += src[srcOffset + i];
}

/**
 * Builds the token blocks `[B·M, P·H]` (row `b·M + m`) plus the positional embedding: row b of modality m is
 * the encoder output if sample b observed m, else `bank[bankRow[b], m]`; then `pos_embed[m]` is added.
 * A custom op with row copies in JS; its backward hands each encoder
 * the gradient of its own rows and accumulates the bank gradient only into the used entries, so observed
 * entries get exactly 0.
 *
 * @param encoded per modality `[n_m, P·H]` (null when no sample observed it)
 * @param observedRow per (b, m): row in `encoded[m]`, or −1 when missing
 * @param bankRow per sample: bank row used for its missing modalities
 * @param posEmbed `[1, M·P, H]`
 */
export function assembleBlocks(
  encoded: (tf.Tensor2D | null)[],
  bank: tf.Tensor,
  posEmbed: tf.Tensor,
  observedRow: Int32Array,
  bankRow: Int32Array,
  buffers: WorkBuffers = new WorkBuffers(),
): tf.Tensor2D {
  const M = encoded.length;
  const B = bankRow.length;
  const [bankRows, , P, H] = bank.shape as [number, number, number, number];
  const width = P * H;
  const present = encoded.map((e, m) => (e ? m : -1)).filter((m) => m >= 0);
  const inputs: tf.Tensor[] = [...present.map((m) => encoded[m] as tf.Tensor2D), bank, posEmbed];
  const op = customOp<tf.Tensor2D>((tensors) => {
    const encData: (Float32Array | null)[] = new Array(M).fill(null);
    // Heap views (peekData): no tf call happens until `out` is complete.
    present.forEach((m, i) => (encData[m] = peekData(tensors[i])));
    const bankData = peekData(tensors[present.length]);
    const pos = peekData(tensors[present.length + 1]);
    const out = buffers.output('blocks', B * M * width, true);
    for (let b = 0; b < B; b++) {
      for (let m = 0; m < M; m++) {
        const r = observedRow[b * M + m];
        const dst = (b * M + m) * width;
        if (r >= 0) {
          const src = encData[m] as Float32Array;
          out.set(src.subarray(r * width, (r + 1) * width), dst);
        } else {
          const src = (bankRow[b] * M + m) * width;
          out.set(bankData.subarray(src, src + width), dst);
        }
        addInto(out, dst, pos, m * width, width);
      }
    }
    return {
      value: tf.tensor2d(out, [B * M, width]),
      gradFunc: (dy) => {
        const g = peekData(dy);
        const dEnc = present.map((m) => new Float32Array((encoded[m] as tf.Tensor2D).shape[0] * width));
        const dBank = sharedBackwardBuffers.output('dBank', bankRows * M * width);
        const dPos = sharedBackwardBuffers.output('dPos', M * width);
        for (let b = 0; b < B; b++) {
          for (let m = 0; m < M; m++) {
            const r = observedRow[b * M + m];
            const src = (b * M + m) * width;
            addInto(dPos, m * width, g, src, width);
            if (r >= 0) {
              dEnc[present.indexOf(m)].set(g.subarray(src, src + width), r * width);
            } else {
              const dst = (bankRow[b] * M + m) * width;
              addInto(dBank, dst, g, src, width);
            }
          }
        }
        return [
          ...present.map((m, i) => tf.tensor2d(dEnc[i], [(encoded[m] as tf.Tensor2D).shape[0], width])),
          tf.tensor(dBank, bank.shape),
          tf.tensor(dPos, posEmbed.shape),
        ];
      },
    };
  });
  return op(...inputs);
}
