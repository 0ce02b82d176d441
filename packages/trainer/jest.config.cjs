const preset = require('../../jest.preset.cjs');
const path = require('node:path');

module.exports = {
  ...preset,
  displayName: 'trainer',
  rootDir: __dirname,
  // The native matrix products (src/backend/onnxruntime-matmul.ts) pass through onnxruntime-node, whose outputs
  // must pass instanceof checks in the test realm (see jest-shared-realm-environment.cjs).
  testEnvironment: path.join(__dirname, '../../jest-shared-realm-environment.cjs'),
};
