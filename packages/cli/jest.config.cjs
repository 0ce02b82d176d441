const preset = require('../../jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'cli',
  rootDir: __dirname,
  // tfjs-core ships its gradients only as ESM sources (see @flexmoe/encoders registerAllGradients): compile them to CJS.
  transform: {
    ...preset.transform,
    '/@tensorflow/tfjs-core/dist/(?!tf-core).+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@tensorflow/tfjs-core/dist/(?!tf-core))'],
};
