const preset = require('../../jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'encoders',
  rootDir: __dirname,
};
