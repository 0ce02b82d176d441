#!/usr/bin/env node
// Sums jest's per-project "Tests:" lines of an `npm test` log into one plain closing line for CI, and says why
// tests were skipped: each test file that skips for a missing external program prints one
// "flexmoe-skip: <tool> — <where>: <how to install>" line (packages/data/src/testing/tool-gate.ts).
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8').replace(/\u001b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
const missingTools = new Map(); // tool → install hint
for (const line of log.split('\n')) {
  const skip = /flexmoe-skip: (\S+) — [^:]*: (.*)$/.exec(line);
  if (skip) missingTools.set(skip[1], skip[2].trim());
  const m = /Tests:\s+(.*)\btotal\b/.exec(line);
  if (!m) continue;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
  skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0) + Number(/(\d+) todo/.exec(m[1])?.[1] ?? 0);
}
let why = '';
if (skipped > 0) {
  why =
    missingTools.size > 0
      ? ` (missing external programs: ${[...missingTools.keys()].join(', ')}; set FLEXMOE_REQUIRE_TOOLS=1 to fail instead)`
      : ' (no missing-tool line explains them: only missing external programs may skip)';
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped${why}`);
for (const [tool, hint] of missingTools) console.log(`  skipped because ${tool} is missing — ${hint}`);
// A skip that no missing program explains is an error: nothing else may skip.
const unexplainedSkips = skipped > 0 && missingTools.size === 0;
process.exit(failed > 0 || passed === 0 || unexplainedSkips ? 1 : 0);
