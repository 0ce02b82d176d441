#!/usr/bin/env node
/** `npm run build:app -w @flexmoe/web`: bundles the app into dist/www and lists its files. */
import { buildWebApp } from './build-app.js';

const built = await buildWebApp();
for (const f of built.files) process.stdout.write(`${String(f.bytes).padStart(10)}  ${f.path}\n`);
process.stdout.write(`wrote ${built.dir}\n`);
