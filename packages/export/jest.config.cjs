const preset = require('../../jest.preset.cjs');
const path = require('node:path');

module.exports = {
  ...preset,
  displayName: 'export',
  rootDir: __dirname,
  // onnxruntime-node's outputs must pass instanceof checks in the test realm (see jest-shared-realm-environment.cjs).
  testEnvironment: path.join(__dirname, '../../jest-shared-realm-environment.cjs'),
  moduleNameMapper: {
    // light-my-request (fastify.inject) require()s the ESM-only cookie@2, which jest cannot load.
    '^cookie$': path.join(__dirname, 'test-shims/cookie.cjs'),
    ...preset.moduleNameMapper,
  },
};
