import * as tf from '@tensorflow/tfjs-core';

/** Shape of the 3D CNN stack (docs/algorithm.md §2, the paper's image baseline). */
export interface Cnn3dShape {
  /** Volume size `[depth, height, width]`; the modality width is their product (row-major, x fastest). */
  volumeShape: [number, number, number];
  /** Output channels of the three conv pairs (conv ×2 → maxpool → ×2 → maxpool → ×2 → global average pool). */
  channels: [number, number, number];
  /** Output width of the dense layer after the pool (the model's hidden size H). */
  hidden: number;
}

/** Plain-data view of the CNN's weights, in layer order: `conv0 … conv5`, then the dense layer. */
export interface Cnn3dWeights {
  convKernels: tf.Tensor5D[];
  convBiases: tf.Tensor1D[];
  denseKernel: tf.Tensor2D;
  denseBias: tf.Tensor1D;
}

/** Number of conv layers (three pairs). */
export const CNN_CONV_LAYERS = 6;

/** `[in, out]` channel counts of conv layer `i`. */
export function convChannels(shape: Cnn3dShape, i: number): [number, number] {
  const out = shape.channels[Math.floor(i / 2)];
  const inp = i === 0 ? 1 : shape.channels[Math.floor((i - 1) / 2)];
  return [inp, out];
}

/** Shapes of every weight tensor, by suffix name (`conv{i}_kernel`, `conv{i}_bias`, `cnn_dense_kernel`, `cnn_dense_bias`). */
export function cnn3dWeightShapes(shape: Cnn3dShape): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (let i = 0; i < CNN_CONV_LAYERS; i++) {
    const [cin, cout] = convChannels(shape, i);
    out.push([`conv${i}_kernel`, [3, 3, 3, cin, cout]]);
    out.push([`conv${i}_bias`, [cout]]);
  }
  out.push(['cnn_dense_kernel', [shape.channels[2], shape.hidden]]);
  out.push(['cnn_dense_bias', [shape.hidden]]);
  return out;
}

/**
 * Forward pass of the CNN on `x [n, D·H·W]` (flattened volumes): reshape to NDHWC, conv 3³ 'same' + ReLU
 * ×2, max-pool 2³ (stride 2, 'same'), ×2, max-pool, ×2, global average pool, dense to `hidden` + ReLU.
 * Returns `[n, hidden]`. Differentiable with respect to every weight (Conv3D and MaxPool3D have
 * gradients on cpu and wasm).
 */
export function cnn3dForward(x: tf.Tensor2D, w: Cnn3dWeights, shape: Cnn3dShape): tf.Tensor2D {
  const [d, h, wd] = shape.volumeShape;
  let y: tf.Tensor5D = tf.reshape(x, [x.shape[0], d, h, wd, 1]);
  for (let i = 0; i < CNN_CONV_LAYERS; i++) {
    y = tf.relu(tf.add(tf.conv3d(y, w.convKernels[i], 1, 'same'), w.convBiases[i])) as tf.Tensor5D;
    if (i === 1 || i === 3) y = tf.maxPool3d(y, 2, 2, 'same');
  }
  const pooled = tf.mean(y, [1, 2, 3]) as tf.Tensor2D;
  return tf.relu(tf.add(tf.matMul(pooled, w.denseKernel), w.denseBias)) as tf.Tensor2D;
}
