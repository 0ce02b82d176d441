import * as tf from '@tensorflow/tfjs-core';
import { setNativeMatmul } from '@flexmoe/moe-core';
import { onnxruntimeMatmul, type OnnxruntimeMatmulResult } from './onnxruntime-matmul.js';

/** One TF.js backend the trainer can run on, fastest first in {@link BACKEND_CANDIDATES}. */
export interface BackendCandidate {
  /** Name used by `FLEXMOE_BACKEND` and in logs. */
  name: 'node-gpu' | 'node' | 'wasm' | 'cpu';
  /** npm package that registers the backend when imported. */
  packageName: string;
  /** Name the package registers with `tf.setBackend`. */
  tfBackend: string;
}

/** Backends in order of preference (fastest first). */
export const BACKEND_CANDIDATES: readonly BackendCandidate[] = [
  { name: 'node-gpu', packageName: '@tensorflow/tfjs-node-gpu', tfBackend: 'tensorflow' },
  { name: 'node', packageName: '@tensorflow/tfjs-node', tfBackend: 'tensorflow' },
  { name: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', tfBackend: 'wasm' },
  { name: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu', tfBackend: 'cpu' },
];

/** Why a faster backend was not used. */
export interface SkippedBackend {
  name: string;
  reason: string;
}

/** Outcome of {@link chooseBackend}. */
export interface ChosenBackend {
  /** Candidate name (`node-gpu`, `node`, `wasm`, `cpu`). */
  name: BackendCandidate['name'];
  /** Name reported by `tf.getBackend()`. */
  tfBackend: string;
  /** Faster candidates that were tried and failed, in order. */
  skipped: SkippedBackend[];
  /** Whether `FLEXMOE_BACKEND` (or the `forced` option) selected it. */
  forced: boolean;
  /** The native matrix-product engine the wasm fast path uses (./onnxruntime-matmul.ts), or null for XNNPACK only. */
  matmul: string | null;
}

/** Options of {@link chooseBackend}; everything is injectable for tests. */
export interface ChooseBackendOptions {
  /** Backend name to force; defaults to `process.env.FLEXMOE_BACKEND`. */
  forced?: string;
  /** Imports a package; defaults to dynamic `import()`. */
  importPackage?: (packageName: string) => Promise<unknown>;
  /** Receives one human-readable line per decision; defaults to stderr. */
  log?: (line: string) => void;
  /** Candidates to consider; defaults to {@link BACKEND_CANDIDATES}. */
  candidates?: readonly BackendCandidate[];
  /**
   * Native matrix products on wasm: `FLEXMOE_NATIVE_MATMUL=0` (or `off`) turns them off; defaults to that
   * variable, on unless set so.
   */
  nativeMatmul?: boolean;
  /** Builds the native engine; defaults to onnxruntime-node's ({@link onnxruntimeMatmul}). */
  matmulEngine?: () => OnnxruntimeMatmulResult;
}

/** Whether `FLEXMOE_NATIVE_MATMUL` leaves native matrix products on (anything but `0`, `off`, `false`, `no`). */
export function nativeMatmulWanted(value: string | undefined = process.env.FLEXMOE_NATIVE_MATMUL): boolean {
  return !/^(0|off|false|no)$/i.test((value ?? '').trim());
}

/**
 * Installs (wasm) or removes (other backends) the native matrix-product engine and logs one line saying which
 * engine computes the products. Results differ from XNNPACK's in the last bits, so runs record the engine.
 */
function chooseMatmul(tfBackend: string, options: ChooseBackendOptions, log: (line: string) => void): string | null {
  setNativeMatmul(null);
  if (tfBackend !== 'wasm') return null;
  if (!(options.nativeMatmul ?? nativeMatmulWanted())) {
    log('[flexmoe] matrix products: XNNPACK (native engine off: FLEXMOE_NATIVE_MATMUL)');
    return null;
  }
  const result = (options.matmulEngine ?? onnxruntimeMatmul)();
  if (!result.engine) {
    log(`[flexmoe] matrix products: XNNPACK (${result.reason})`);
    return null;
  }
  setNativeMatmul(result.engine);
  const attention = result.engine.batchedMatmul ? ' (attention: all pieces in one call)' : '';
  log(`[flexmoe] matrix products: ${result.engine.name} for the larger ones${attention}, XNNPACK for the small`);
  return result.engine.name;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const firstLine = err.message.split('\n')[0];
    return typeof code === 'string' ? `${code}: ${firstLine}` : firstLine;
  }
  return String(err);
}

async function tryCandidate(
  candidate: BackendCandidate,
  importPackage: (packageName: string) => Promise<unknown>,
): Promise<string | null> {
  try {
    await importPackage(candidate.packageName);
    // tfjs-node registers 'tensorflow'; a GPU build that cannot find CUDA may still throw here.
    const ok = await tf.setBackend(candidate.tfBackend);
    if (!ok) return `tf.setBackend('${candidate.tfBackend}') returned false`;
    await tf.ready();
    if (tf.getBackend() !== candidate.tfBackend) {
      return `tf.getBackend() is '${tf.getBackend()}' after setBackend('${candidate.tfBackend}')`;
    }
    return null;
  } catch (err) {
    // ANY load error (missing module, missing CUDA, broken native binary) means "skip it".
    return describeError(err);
  }
}

/** Where users read how to install the faster backends. */
export const BACKENDS_DOC_URL = 'https://github.com/flexmoe/flexmoe-ts/blob/main/docs/install.md#backends';

/** A skip reason in a few words: a package that is not installed is the common, expected case. */
function shortReason(reason: string): string {
  if (/^(ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND)\b|Cannot find (package|module)/.test(reason)) return 'not installed';
  return reason.length > 100 ? `${reason.slice(0, 97)}...` : reason;
}

/** The one line that says which backend runs and why faster ones were not used. */
export function backendLine(chosen: BackendCandidate['name'], skipped: readonly SkippedBackend[]): string {
  if (skipped.length === 0) return `[flexmoe] backend: ${chosen}`;
  const why = skipped.map((s) => `${s.name}: ${shortReason(s.reason)}`).join('; ');
  return `[flexmoe] backend: ${chosen} (faster backends skipped — ${why}; see ${BACKENDS_DOC_URL})`;
}

/**
 * Picks the fastest TF.js backend that loads: tfjs-node-gpu, tfjs-node, wasm, cpu.
 * `FLEXMOE_BACKEND=<name>` forces one (an unknown name or a failing forced backend is an error).
 * Logs one line: the choice and why each faster backend was skipped ({@link backendLine}).
 */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<ChosenBackend> {
  const candidates = options.candidates ?? BACKEND_CANDIDATES;
  const importPackage = options.importPackage ?? ((name: string) => import(name));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const forcedRaw = options.forced ?? process.env.FLEXMOE_BACKEND;
  const forced = forcedRaw === undefined || forcedRaw.trim() === '' ? undefined : forcedRaw.trim();

  if (forced !== undefined) {
    const candidate = candidates.find((c) => c.name === forced);
    if (!candidate) {
      throw new Error(
        `FLEXMOE_BACKEND='${forced}' is not a known backend; expected one of: ${candidates.map((c) => c.name).join(', ')}`,
      );
    }
    const failure = await tryCandidate(candidate, importPackage);
    if (failure !== null) {
      throw new Error(`FLEXMOE_BACKEND='${forced}' could not be loaded (${candidate.packageName}): ${failure}`);
    }
    log(`[flexmoe] backend: ${candidate.name} (forced by FLEXMOE_BACKEND)`);
    const matmul = chooseMatmul(candidate.tfBackend, options, log);
    return { name: candidate.name, tfBackend: candidate.tfBackend, skipped: [], forced: true, matmul };
  }

  const skipped: SkippedBackend[] = [];
  for (const candidate of candidates) {
    const failure = await tryCandidate(candidate, importPackage);
    if (failure === null) {
      log(backendLine(candidate.name, skipped));
      const matmul = chooseMatmul(candidate.tfBackend, options, log);
      return { name: candidate.name, tfBackend: candidate.tfBackend, skipped, forced: false, matmul };
    }
    skipped.push({ name: candidate.name, reason: failure });
  }
  throw new Error(`no TF.js backend could be loaded: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`);
}
