import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findExternalTool, findOnPath, missingToolMessage } from './external-tools.js';

/** Makes `dir/name` an executable shell script (or a non-executable file when `executable` is false). */
function fakeProgram(dir: string, name: string, executable = true): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, executable ? 0o755 : 0o644);
  return path;
}

describe('external tools lookup', () => {
  const root = mkdtempSync(join(tmpdir(), 'flexmoe-tools-'));
  const a = join(root, 'a');
  const b = join(root, 'b');
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const plinkInB = fakeProgram(b, 'plink');
  const plink19InA = fakeProgram(a, 'plink1.9');
  const chromeInB = fakeProgram(b, 'google-chrome');
  fakeProgram(a, 'chromium', false);

  it('finds plink1.9 before plink, and plink when plink1.9 is absent', () => {
    expect(findExternalTool('plink', { PATH: [b, a].join(delimiter) })).toBe(plink19InA);
    expect(findExternalTool('plink', { PATH: b })).toBe(plinkInB);
    expect(findExternalTool('plink', { PATH: empty })).toBeUndefined();
  });

  it('finds Chromium under any of its names and ignores files that are not executable', () => {
    expect(findExternalTool('chromium', { PATH: [a, b].join(delimiter) })).toBe(chromeInB);
    expect(findExternalTool('chromium', { PATH: a })).toBeUndefined();
  });

  it('takes the environment variable first, as a path or a name on PATH', () => {
    expect(findExternalTool('chromium', { PATH: b, CHROMIUM_PATH: plink19InA })).toBe(plink19InA);
    expect(findExternalTool('plink', { PATH: b, FLEXMOE_PLINK: 'google-chrome' })).toBe(chromeInB);
    // An explicit setting that does not exist is not silently replaced by another program.
    expect(findExternalTool('plink', { PATH: b, FLEXMOE_PLINK: join(root, 'nope') })).toBeUndefined();
  });

  it('says what was looked for and how to install it', () => {
    expect(missingToolMessage('plink', { PATH: empty })).toBe(
      'PLINK 1.9 not found (none of plink1.9, plink is on PATH and FLEXMOE_PLINK is not set): install PLINK 1.9 ' +
        '(Debian/Ubuntu: apt-get install plink1.9; or https://www.cog-genomics.org/plink/) or set FLEXMOE_PLINK',
    );
    expect(missingToolMessage('chromium', { CHROMIUM_PATH: '/x/chrome' })).toMatch(
      /^Chromium not found \(CHROMIUM_PATH='\/x\/chrome' is not an executable file\): install Chromium/,
    );
  });

  it('findOnPath skips empty PATH entries and directories named like the program', () => {
    mkdirSync(join(root, 'c', 'plink'), { recursive: true });
    expect(findOnPath(['plink'], ['', join(root, 'c'), b].join(delimiter))).toBe(plinkInB);
  });
});
