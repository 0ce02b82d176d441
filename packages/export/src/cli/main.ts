#!/usr/bin/env node
/** Standalone entry (`node packages/export/dist/cli/main.js export|predict|serve …`); `flexmoe` embeds the same commands. */
import { Command } from 'commander';
import { registerExportCommands } from './register-export-commands.js';

const program = new Command('flexmoe-export').description('Flex-MoE ONNX export, prediction and serving');
registerExportCommands(program);
program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
