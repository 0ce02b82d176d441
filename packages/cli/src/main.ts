#!/usr/bin/env node
/** The `flexmoe` executable (bin of @flexmoe/trainer). */
import type { Command } from 'commander';
import type { WebAppProvider } from '@flexmoe/export';
import { runCli, type CommandRegistrar } from './program.js';

/** `export --web` and `serve --ui` ship the browser app of @flexmoe/web, loaded only when one of them runs. */
const lazyWebApp: WebAppProvider = {
  appDir: async () => (await import('@flexmoe/web')).webAppProvider.appDir(),
  indexHtml: async (modelUrl) => (await import('@flexmoe/web')).webAppProvider.indexHtml(modelUrl),
  writeApp: async (outDir, modelFile) => (await import('@flexmoe/web')).webAppProvider.writeApp(outDir, modelFile),
};

/** @flexmoe/export's command registration, when that package provides it (loaded only when needed). */
async function exportCommands(argv: string[]): Promise<CommandRegistrar[]> {
  const first = argv[0];
  const wanted = first === undefined || ['export', 'predict', 'serve', 'help', '--help', '-h'].includes(first);
  if (!wanted) return [];
  try {
    const mod = (await import('@flexmoe/export')) as Record<string, unknown>;
    const register = mod.registerExportCommands;
    return typeof register === 'function'
      ? [(program: Command) => (register as (p: Command, hooks: { webApp: WebAppProvider }) => void)(program, { webApp: lazyWebApp })]
      : [];
  } catch (err) {
    process.stderr.write(`[flexmoe] export/predict/serve unavailable: ${(err as Error).message}\n`);
    return [];
  }
}

const argv = process.argv.slice(2);
const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr }, await exportCommands(argv));
// serve keeps the process alive on its own; every other command ends here.
if (code !== 0) process.exitCode = code;
