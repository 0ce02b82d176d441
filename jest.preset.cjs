// Shared jest settings: TypeScript through SWC, native ESM (run with --experimental-vm-modules).
const path = require('node:path');
const os = require('node:os');
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    // Source imports use the NodeNext `.js` suffix; jest resolves the `.ts` file next to it.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@flexmoe/data/transform$': path.join(__dirname, 'packages/data/src/transform.ts'),
    '^@flexmoe/data/browser$': path.join(__dirname, 'packages/data/src/browser.ts'),
    '^@flexmoe/data/testing$': path.join(__dirname, 'packages/data/src/testing/index.ts'),
    '^@flexmoe/export/browser$': path.join(__dirname, 'packages/export/src/browser.ts'),
    '^@flexmoe/moe-core/(spec|testing)$': path.join(__dirname, 'packages/moe-core/src/$1/index.ts'),
    '^@flexmoe/(data|encoders|moe-core|trainer|export|cli|web)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  // One temporary folder per run, removed at the end (tools/jest/temp-root.cjs).
  globalSetup: path.join(__dirname, 'tools/jest/global-setup.cjs'),
  globalTeardown: path.join(__dirname, 'tools/jest/global-teardown.cjs'),
  // Jest's default (cores - 1) is one worker on a 2-core machine, which leaves the second core idle while a suite
  // waits on its child processes; two workers there cut the test command from ~8.5 to ~7 minutes.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
};
