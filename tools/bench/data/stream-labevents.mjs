#!/usr/bin/env node
// Child process of run.mjs: streams one labevents file through the MIMIC lab aggregator and prints
// one JSON line { rows, seconds, rowsPerSecond, maxRssMiB, admissions, accumulators } (maxRSS of this process only).
import { aggregateLabEvents } from '../../../packages/data/dist/mimic/event-aggregates.js';

const [file, keepCount = '10000'] = process.argv.slice(2);
const keep = new Set(Array.from({ length: Number(keepCount) }, (_, i) => String(20000000 + i * 5)));
const into = new Map();
const t0 = performance.now();
const rows = await aggregateLabEvents(file, keep, into);
const seconds = (performance.now() - t0) / 1000;
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
// heap still reachable after a full GC (run with --expose-gc): the real state, without GC slack
if (global.gc) {
  global.gc();
  global.gc();
}
const heapAfterGcMiB = +(process.memoryUsage().heapUsed / 1048576).toFixed(1);
let accumulators = 0;
for (const m of into.values()) accumulators += m.size;
console.log(
  JSON.stringify({
    rows,
    seconds: +seconds.toFixed(2),
    rowsPerSecond: Math.round(rows / seconds),
    maxRssMiB: +maxRssMiB.toFixed(0),
    admissions: into.size,
    accumulators,
    heapAfterGcMiB,
  }),
);
