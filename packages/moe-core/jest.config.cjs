module.exports = { ...require('../../jest.preset.cjs'), displayName: 'moe-core', rootDir: __dirname };
