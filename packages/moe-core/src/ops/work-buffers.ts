import * as tf from '@tensorflow/tfjs-core';
import { HeapRegions } from '../backends/wasm/wasm-heap.js';

/**
 * Named typed-array work buffers reused across training steps, to keep garbage (and GC time, ~10-20 % of a
 * step otherwise) low. A buffer holds data only between a forward and its backward; tensors handed out of a
 * custom op are never views of these buffers unless {@link WorkBuffers.output} says the backend copies.
 */
export class WorkBuffers {
  private readonly buffers = new Map<string, Float32Array>();
  /** Regions of the wasm heap used by the same op (see ops/wasm-heap.ts); freed by {@link WorkBuffers.release}. */
  readonly heap = new HeapRegions();

  /** Drops the buffers and frees the heap regions. */
  release(): void {
    this.buffers.clear();
    this.heap.release();
  }

  /** A buffer of `size` values (contents unspecified), reused across calls under `name`. */
  get(name: string, size: number): Float32Array {
    let b = this.buffers.get(name);
    if (!b || b.length < size) {
      b = new Float32Array(size);
      this.buffers.set(name, b);
    }
    return b.subarray(0, size);
  }

  /**
   * A buffer for data that becomes a tensor: reused on wasm (tensor creation copies into the wasm heap),
   * fresh elsewhere (the cpu backend keeps the array itself as the tensor's storage). Zeroed unless the
   * caller overwrites every element (`overwritten`).
   */
  output(name: string, size: number, overwritten = false): Float32Array {
    if (tf.getBackend() !== 'wasm') return new Float32Array(size);
    const b = this.get(name, size);
    if (!overwritten) b.fill(0);
    return b;
  }
}

/** Buffers shared by all backward passes (two backwards never overlap). */
export const sharedBackwardBuffers = new WorkBuffers();
