#!/usr/bin/env node
/** The `flexmoe` executable: every command, including @flexmoe/export's `export`, `predict` and `serve`. */
import { registerExportCommands } from '@flexmoe/export';
import { runCli } from './program.js';

const argv = process.argv.slice(2);
// Registered for every invocation so that `--help` (also the help shown after an error) lists every command.
const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr }, [(program) => registerExportCommands(program)]);
// serve keeps the process alive on its own; every other command ends here.
if (code !== 0) process.exitCode = code;
