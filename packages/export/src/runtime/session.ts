import * as ort from 'onnxruntime-node';

/** Where the model runs. */
export type Device = 'cpu' | 'cuda';

/** Session options of {@link createSession}. */
export interface SessionOptions {
  /** `cuda` asks for the CUDA execution provider and falls back to CPU with a warning when it is absent. */
  device?: Device;
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  intraOpThreads?: number;
  /** Receives the fallback warning (default: console.warn). */
  warn?: (message: string) => void;
}

/** A session plus the device it actually runs on. */
export interface CreatedSession {
  session: ort.InferenceSession;
  device: Device;
}

/**
 * Creates an onnxruntime-node session on CPU, or on CUDA when asked and available. The CUDA provider
 * is installed with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` (CUDA 12 + cuDNN 9); without it
 * onnxruntime throws while appending the provider, and we retry on CPU.
 */
export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<CreatedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  if (
    options.intraOpThreads !== undefined &&
    (!Number.isInteger(options.intraOpThreads) || options.intraOpThreads < 0)
  ) {
    throw new Error(`intraOpThreads must be a non-negative integer, got ${options.intraOpThreads}`);
  }
  if ((options.device ?? 'cpu') === 'cuda') {
    try {
      const session = await ort.InferenceSession.create(model, {
        ...base,
        executionProviders: [{ name: 'cuda' }, 'cpu'],
      });
      return { session, device: 'cuda' };
    } catch (e) {
      (options.warn ?? console.warn)(
        `CUDA execution provider unavailable (${firstLine((e as Error).message)}); running on CPU. ` +
          'Install it with ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci on a machine with CUDA 12 and cuDNN 9.',
      );
    }
  } else if (options.device !== undefined && options.device !== 'cpu') {
    throw new Error(`device must be 'cpu' or 'cuda', got ${JSON.stringify(options.device)}`);
  }
  const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['cpu'] });
  return { session, device: 'cpu' };
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
