const preset = require('../../jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'moe-core',
  rootDir: __dirname,
};
