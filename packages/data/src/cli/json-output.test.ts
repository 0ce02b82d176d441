import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { commandOutput, jsonOption, type JsonTarget } from './json-output.js';

function capture(): {
  io: { stdout: { write(t: string): void }; stderr: { write(t: string): void } };
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t) => void out.push(t) }, stderr: { write: (t) => void err.push(t) } }, out, err };
}

/** What commander makes of `argv` for the `--json [file]` option. */
function parseJson(argv: string[]): JsonTarget {
  const cmd = new Command('x').addOption(jsonOption()).option('--out <dir>').exitOverride();
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<{ json?: JsonTarget }>().json;
}

describe('--json [file]', () => {
  it('parses as absent, a switch, or a file name', () => {
    expect(parseJson([])).toBeUndefined();
    expect(parseJson(['--json'])).toBe(true);
    expect(parseJson(['--json', '--out', 'd'])).toBe(true);
    expect(parseJson(['--json', 'r.json'])).toBe('r.json');
    expect(parseJson(['--json=r.json'])).toBe('r.json');
  });

  it('without a value: the result as JSON on stdout, human text on stderr', () => {
    const { io, out, err } = capture();
    const o = commandOutput(true, io);
    o.text('wrote x');
    o.result({ a: 1 });
    expect(JSON.parse(out.join(''))).toEqual({ a: 1 });
    expect(err.join('')).toBe('wrote x\n');
    expect(commandOutput('-', io).jsonOnStdout).toBe(true);
  });

  it('with a file: the JSON goes to the file, human text stays on stdout', () => {
    const { io, out, err } = capture();
    const file = join(mkdtempSync(join(tmpdir(), 'flexmoe-json-')), 'sub', 'r.json');
    const o = commandOutput(file, io);
    o.text('wrote x');
    o.result({ b: [1, 2] });
    expect(out.join('')).toBe('wrote x\n');
    expect(err).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ b: [1, 2] });
  });

  it('absent: only the human text, on stdout', () => {
    const { io, out, err } = capture();
    const o = commandOutput(undefined, io);
    o.text('done');
    o.result({ c: 3 });
    expect(out).toEqual(['done\n']);
    expect(err).toEqual([]);
  });
});
