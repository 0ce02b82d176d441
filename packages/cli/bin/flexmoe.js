#!/usr/bin/env node
// Thin launcher so the bin exists (and is executable) before `npm run build` writes dist/.
import '../dist/main.js';
