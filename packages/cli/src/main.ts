#!/usr/bin/env node
/** The `flexmoe` executable: every command, including @flexmoe/export's `export`, `predict` and `serve`. */
import { registerExportCommands, type WebAppProvider } from '@flexmoe/export';
import { runCli } from './program.js';

/** `export --web` and `serve --ui` ship the browser app of @flexmoe/web, loaded only when one of them runs. */
const lazyWebApp: WebAppProvider = {
  appDir: async () => (await import('@flexmoe/web')).webAppProvider.appDir(),
  indexHtml: async (modelUrl) => (await import('@flexmoe/web')).webAppProvider.indexHtml(modelUrl),
  writeApp: async (outDir, modelFile) => (await import('@flexmoe/web')).webAppProvider.writeApp(outDir, modelFile),
};

const argv = process.argv.slice(2);
// Registered for every invocation so that `--help` (also the help shown after an error) lists every command.
const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr }, [
  (program) => registerExportCommands(program, { webApp: lazyWebApp }),
]);
// serve keeps the process alive on its own; every other command ends here.
if (code !== 0) process.exitCode = code;
