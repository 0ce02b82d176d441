/**
 * The browser-safe part of @flexmoe/export (`@flexmoe/export/browser`): no onnxruntime-node and no Node API.
 * The web app (@flexmoe/web) predicts with exactly this code, as `flexmoe predict` and the service do.
 */
export * from './metadata.js';
export { GRAPH_NAMES } from './onnx/graph-names.js';
export * from './runtime/prediction-types.js';
export * from './runtime/record-inputs.js';
export * from './runtime/predictor-core.js';
export * from './runtime/embedded-transformer.js';
export * from './runtime/parse-records.js';
export { softmaxRow } from './runtime/calibration.js';
