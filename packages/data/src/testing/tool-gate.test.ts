import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOL_SKIP_PREFIX, toolForTests } from './tool-gate.js';

describe('toolForTests', () => {
  const withTool = mkdtempSync(join(tmpdir(), 'flexmoe-gate-'));
  const chromium = join(withTool, 'chromium');
  writeFileSync(chromium, '#!/bin/sh\n');
  chmodSync(chromium, 0o755);
  const without = mkdtempSync(join(tmpdir(), 'flexmoe-gate-empty-'));

  it('returns the executable and prints nothing when the tool is on PATH', () => {
    const lines: string[] = [];
    expect(toolForTests('chromium', 'report test', { PATH: withTool }, (l) => lines.push(l))).toBe(chromium);
    expect(lines).toEqual([]);
  });

  it('prints exactly one skip line naming the tool and how to install it when the tool is absent', () => {
    const lines: string[] = [];
    expect(toolForTests('plink', 'plink.test.ts', { PATH: without }, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^${TOOL_SKIP_PREFIX} plink — plink.test.ts: PLINK 1.9 not found .*apt-get install plink1.9.*\\n$`),
    );
    expect(lines[0].trimEnd()).not.toContain('\n');
  });

  it('throws instead of skipping when FLEXMOE_REQUIRE_TOOLS=1', () => {
    const lines: string[] = [];
    expect(() =>
      toolForTests('chromium', 'x', { PATH: without, FLEXMOE_REQUIRE_TOOLS: '1' }, (l) => lines.push(l)),
    ).toThrow(/FLEXMOE_REQUIRE_TOOLS=1 but Chromium not found .*apt-get install chromium/);
    expect(lines).toEqual([]);
    expect(toolForTests('chromium', 'x', { PATH: withTool, FLEXMOE_REQUIRE_TOOLS: '1' })).toBe(chromium);
  });
});
