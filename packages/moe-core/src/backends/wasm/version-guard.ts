import { createRequire } from 'node:module';

/*
 * The wasm fast path calls tfjs-backend-wasm internals (`_BatchMatMul`, the tensor registry, the heap), whose
 * argument lists change between releases without notice. It is only used with the release it was written and
 * tested against; any other version falls back to the plain TF.js kernels, with one notice line.
 */

/** tfjs-backend-wasm versions (its exported `version_wasm`) the fast path was written and tested against. */
export const SUPPORTED_WASM_BACKEND_VERSIONS: readonly string[] = ['4.22.0'];

type VersionReader = () => string | undefined;

/** Reads `version_wasm` from the installed tfjs-backend-wasm (an optional peer: undefined when absent). */
function installedWasmBackendVersion(): string | undefined {
  try {
    const wasm = createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm') as { version_wasm?: unknown };
    return typeof wasm.version_wasm === 'string' ? wasm.version_wasm : undefined;
  } catch {
    return undefined;
  }
}

let readVersion: VersionReader = installedWasmBackendVersion;
let notice: (line: string) => void = (line) => console.warn(line);
let decision: boolean | null = null;
let seenVersion: string | undefined;

/**
 * Whether the installed tfjs-backend-wasm is a version the fast path supports. Decided once per process; an
 * unsupported version prints one notice line and the plain kernels are used from then on.
 */
export function wasmBackendSupported(): boolean {
  if (decision === null) {
    seenVersion = readVersion();
    decision = seenVersion !== undefined && SUPPORTED_WASM_BACKEND_VERSIONS.includes(seenVersion);
    if (!decision) {
      notice(
        `@flexmoe/moe-core: tfjs-backend-wasm ${seenVersion ?? '(version unknown)'} is not one the wasm fast path supports ` +
          `(${SUPPORTED_WASM_BACKEND_VERSIONS.join(', ')}); using the plain TF.js kernels`,
      );
    }
  }
  return decision;
}

/** The tfjs-backend-wasm version the guard saw (undefined before the first check or when unknown). */
export function wasmBackendVersionSeen(): string | undefined {
  return seenVersion;
}

/**
 * Test hook: replace how the version is read and where the notice goes, and forget the decision.
 * Called with no arguments it restores the real reader.
 */
export function resetWasmVersionGuard(reader?: VersionReader, onNotice?: (line: string) => void): void {
  readVersion = reader ?? installedWasmBackendVersion;
  notice = onNotice ?? ((line) => console.warn(line));
  decision = null;
  seenVersion = undefined;
}
