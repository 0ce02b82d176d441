const preset = require('../../jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'trainer',
  rootDir: __dirname,
};
