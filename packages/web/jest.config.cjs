const preset = require('../../jest.preset.cjs');
const path = require('node:path');

module.exports = {
  ...preset,
  displayName: 'web',
  rootDir: __dirname,
  // The e2e test spawns `flexmoe predict` (onnxruntime-node) in a child; in this realm only the app's pure modules run.
  moduleNameMapper: {
    '^@flexmoe/export/browser$': path.join(__dirname, '../export/src/browser.ts'),
    ...preset.moduleNameMapper,
  },
};
