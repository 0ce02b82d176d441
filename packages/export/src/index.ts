export * from './model-types.js';
export * from './metadata.js';
export * from './export-onnx.js';
export * from './onnx/flexmoe-graph.js';
export { randomNamedWeights, weightShapes, ADNI_SIZED_CONFIG } from './testing/random-model.js';
/** Re-exported for the benchmarks in tools/bench/serve (seeded inputs). */
export { mulberry32 } from '@flexmoe/data';
export * from './runtime/session.js';
export * from './runtime/prediction-types.js';
export * from './runtime/record-inputs.js';
export * from './runtime/predictor.js';
export * from './run-reader.js';
export * from './export-run.js';
export * from './runtime/calibration.js';
export * from './runtime/predict-file.js';
export { parseCsv } from './runtime/csv.js';
export * from './service/request-schema.js';
export * from './service/server.js';
export * from './cli/register-export-commands.js';
