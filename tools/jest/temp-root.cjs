// Jest globalSetup / globalTeardown: every temporary file of a test run (the tests' mkdtemp folders, the CLI
// children they start, redis-server's files) goes under one folder, removed when the run ends. Without it each
// run left hundreds of folders in the system's temporary directory.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flexmoe-tests-'));
  process.env.FLEXMOE_TEST_TEMP_ROOT = root;
  // os.tmpdir() reads TMPDIR on every call; jest's workers and the tests' child processes inherit it.
  process.env.TMPDIR = root;
}

async function teardown() {
  const root = process.env.FLEXMOE_TEST_TEMP_ROOT;
  if (root && path.basename(root).startsWith('flexmoe-tests-')) fs.rmSync(root, { recursive: true, force: true });
}

module.exports = { setup, teardown };
