#!/usr/bin/env node
/** The `flexmoe-data` executable. */
import { runDataCli } from './run-data-cli.js';

process.exitCode = await runDataCli(process.argv.slice(2));
