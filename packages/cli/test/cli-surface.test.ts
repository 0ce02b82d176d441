import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDataCli } from '@flexmoe/data';
import { registerExportCommands } from '@flexmoe/export';
import { buildProgram } from '../src/program.js';
import { REPO_ROOT, runCliChild } from './support/fixtures.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;
const ALL_COMMANDS = ['train', 'evaluate', 'sweep', 'report', 'data', 'export', 'predict', 'serve'];

/** Command names listed under "Commands:" in a help text. */
function listedCommands(help: string): string[] {
  const section = help.split('Commands:')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
}

describe('flexmoe command surface', () => {
  it('prints its version with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCliChild([flag]);
      expect({ flag, code: r.code, stdout: r.stdout }).toEqual({ flag, code: 0, stdout: `${VERSION}\n` });
    }
  }, 60000);

  it('lists every command in --help and in the help shown after an unknown option', async () => {
    const help = await runCliChild(['--help']);
    expect(help.code).toBe(0);
    expect(listedCommands(help.stdout)).toEqual(expect.arrayContaining(ALL_COMMANDS));
    const bad = await runCliChild(['--bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown option '--bogus'/);
    expect(listedCommands(bad.stderr)).toEqual(expect.arrayContaining(ALL_COMMANDS));
  }, 60000);

  it('documents --json [file] on every command that has a result', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const program = buildProgram(io, [(p) => registerExportCommands(p)]);
    for (const command of ['train', 'evaluate', 'sweep', 'report', 'export', 'predict', 'serve']) {
      const help = program.commands.find((c) => c.name() === command)?.helpInformation() ?? '';
      expect({ command, json: /--json \[file\]/.test(help) }).toEqual({ command, json: true });
    }
    let dataHelp = '';
    await runDataCli(['inspect', '--help'], { stdout: { write: (t: string) => (dataHelp += t) }, stderr: io.stderr });
    expect(dataHelp).toMatch(/--json \[file\]/);
  }, 60000);
});
