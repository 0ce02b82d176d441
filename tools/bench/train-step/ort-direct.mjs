// Shared by the attention experiments: onnxruntime-node's synchronous native binding, loaded and configured as
// the trainer's engine does (packages/trainer/src/backend/onnxruntime-matmul.ts: one thread, no spinning), and the
// command-line number options. Needs `npm run build` (the ONNX graphs come from the trainer's dist).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/trainer/package.json', import.meta.url));
const { binding, initOrt } = require('onnxruntime-node/dist/binding.js');
initOrt();

const options = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** A session of the serialised ONNX model `bytes`; `run(feeds, fetches, {})` is synchronous. */
export function ortSession(bytes) {
  const session = new binding.InferenceSession();
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, options);
  return session;
}

/** A float32 tensor over `data`, as the binding reads it (an output tensor is written in place). */
export const ortTensor = (data, dims) => ({ type: 'float32', dims, data, location: 'cpu' });

/** `--name value` from the command line as a number, or `fallback`. */
export function numberOption(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
