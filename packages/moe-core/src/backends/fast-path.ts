import * as tf from '@tensorflow/tfjs-core';
import { WasmHeap } from './wasm/wasm-heap.js';
import { wasmBackendSupported, wasmBackendVersionSeen } from './wasm/version-guard.js';
import { nativeMatmul } from './native-matmul.js';

/** Where the hand-written kernels stand in this process (see docs/moe-core.md, "Fast path"). */
export interface FastPathStatus {
  /** The switch of {@link setFastPath} (on by default). */
  enabled: boolean;
  /** The TF.js backend in use. */
  backend: string;
  /** Whether the wasm heap kernels are in use now (wasm backend, supported version, switch on). */
  active: boolean;
  /** The tfjs-backend-wasm version the guard saw, once the wasm backend has been used. */
  wasmBackendVersion?: string;
  /** The native matrix-product engine the fast path uses for its larger products (./native-matmul.ts), if any. */
  nativeMatmul?: string;
}

/**
 * Turns the wasm fast path (direct-heap matmuls and the SIMD kernels) on or off. Results are bit-identical
 * either way unless a native matrix-product engine is installed (./native-matmul.ts); off is slower. For
 * comparisons and for ruling the fast path out when diagnosing.
 */
export function setFastPath(on: boolean): void {
  WasmHeap.enabled = on;
}

/** Whether the fast path is switched on and in use on the current backend. */
export function fastPathStatus(): FastPathStatus {
  const backend = tf.getBackend();
  const active = WasmHeap.current() !== null;
  const status: FastPathStatus = { enabled: WasmHeap.enabled, backend, active };
  const engine = nativeMatmul();
  if (active && engine) status.nativeMatmul = engine.name;
  if (backend === 'wasm' && WasmHeap.enabled) {
    wasmBackendSupported();
    status.wasmBackendVersion = wasmBackendVersionSeen();
  }
  return status;
}
