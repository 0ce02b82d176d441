/* Test-only helpers: locate and read the golden vectors of fixtures/golden (repository root), compare numbers. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerAllGradients } from '../ops/register-gradients.js';
import '../backends/wasm/register.js';

/** Directory of the golden fixtures (`FLEXMOE_GOLDEN_DIR` overrides). */
export function goldenDir(): string {
  return (
    process.env.FLEXMOE_GOLDEN_DIR ??
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/golden')
  );
}

/** Parsed golden file. */
export function readGolden<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(goldenDir(), name), 'utf8')) as T;
}

/** Nested number arrays flattened row-major. */
export function flat(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  if (Array.isArray(v)) return v.flatMap((x) => flat(x));
  throw new Error(`flat: unexpected ${typeof v}`);
}

/** Asserts `|a − b| ≤ atol + rtol·|b|` element-wise (README tolerance for float32), naming the first mismatch. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: unknown,
  label: string,
  atol = 1e-4,
  rtol = 1e-4,
): void {
  const e = flat(expected);
  if (actual.length !== e.length) throw new Error(`${label}: length ${actual.length}, expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const excess = Math.abs(actual[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0)
    throw new Error(
      `${label}: element ${worst} is ${actual[worst]}, expected ${e[worst]} (tolerance ${atol} + ${rtol}·|b|)`,
    );
}

/** Asserts exact equality of integer/boolean data. */
export function expectExact(actual: ArrayLike<number>, expected: unknown, label: string): void {
  const e = flat(expected);
  if (actual.length !== e.length) throw new Error(`${label}: length ${actual.length}, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    if (actual[i] !== e[i]) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${e[i]}`);
  }
}

/** The backends every golden test runs on. */
export const BACKENDS = ['cpu', 'wasm'] as const;

/** Switches the tfjs backend (awaiting initialisation). */
export async function useBackend(name: string): Promise<void> {
  await registerAllGradients();
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}
