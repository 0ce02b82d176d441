/** The `flexmoe` command line as a library: build it, or run it on an argv. */
export { buildProgram, runCli, type CliIo, type CommandRegistrar } from './program.js';
