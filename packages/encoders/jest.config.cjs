module.exports = { ...require('../../jest.preset.cjs'), displayName: 'encoders', rootDir: __dirname };
