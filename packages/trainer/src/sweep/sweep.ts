import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../checkpoint/training-checkpoint.js';
import { readCompleteRun as readComplete, runPool, runTrainChild, type TrialRunner } from '../trials/train-child.js';
import type { MeanStd } from '../metrics/classification.js';
import type { RunFile } from '../run/train.js';

/** Options of {@link sweep}. */
export interface SweepOptions {
  data: string;
  /** Directory for the grid's runs, logs, `sweep.json`. */
  out: string;
  experts: number[];
  topK: number[];
  layers: number[];
  /** Ablations to cross with the grid (paper Table 3); default: whatever `trainArgs` says (one point each). */
  ablations?: string[];
  /** Children running at once. */
  parallel: number;
  /** Extra `flexmoe train` flags for every point (e.g. `--epochs 5 --seeds 0,1`). */
  trainArgs: string[];
  /** Script that runs the flexmoe CLI (`dist/cli/main.js`), started with the current Node. */
  cliPath: string;
  /** Node flags for the children (default: the current process's execArgv). */
  nodeArgs?: string[];
  log?: (line: string) => void;
  /** Where points run (default: local child processes; e.g. a BullMQ queue). */
  runTrial?: TrialRunner;
}

/** One grid point. */
export interface SweepRow {
  name: string;
  experts: number;
  topK: number;
  layers: number;
  /** Set when the sweep crosses ablations. */
  ablation?: string;
  status: 'ok' | 'failed' | 'skipped' | 'reused';
  reason?: string;
  accuracy?: MeanStd;
  macroF1?: MeanStd;
  auc?: MeanStd;
  trainSamplesPerSecond?: number;
  msPerStep?: number;
  parameters?: number;
  seconds?: number;
}

function pointName(e: number, k: number, l: number, ablation?: string): string {
  return `e${e}-k${k}-l${l}${ablation === undefined ? '' : `-${ablation}`}`;
}

function fillFromRun(row: SweepRow, run: RunFile): void {
  const m = run.metrics!;
  row.accuracy = m.test.accuracy;
  row.macroF1 = m.test.macroF1;
  row.auc = m.test.auc;
  row.trainSamplesPerSecond = m.throughput.trainSamplesPerSecond;
  row.msPerStep = m.throughput.msPerStep;
  row.parameters = m.parameters;
}

/**
 * Runs a grid of experts × top-k × layers (paper Figure 6) as separate `flexmoe train` child processes,
 * at most `parallel` at once, and tabulates their test metrics. Points already complete in `out` are
 * reused; points with k > E are skipped.
 */
export async function sweep(options: SweepOptions): Promise<SweepRow[]> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!Number.isInteger(options.parallel) || options.parallel < 1)
    throw new Error(`--parallel: expected an integer >= 1, got ${options.parallel}`);
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const rows: SweepRow[] = [];
  const ablations: (string | undefined)[] = options.ablations?.length ? options.ablations : [undefined];
  for (const e of options.experts) {
    for (const k of options.topK) {
      for (const l of options.layers) {
        for (const a of ablations)
          rows.push({
            name: pointName(e, k, l, a),
            experts: e,
            topK: k,
            layers: l,
            ...(a === undefined ? {} : { ablation: a }),
            status: 'ok',
          });
      }
    }
  }
  const queue: SweepRow[] = [];
  for (const row of rows) {
    if (row.topK > row.experts) {
      row.status = 'skipped';
      row.reason = `top-k ${row.topK} > experts ${row.experts}`;
      continue;
    }
    const done = readComplete(join(out, row.name));
    if (done) {
      row.status = 'reused';
      fillFromRun(row, done);
      continue;
    }
    queue.push(row);
  }
  const runOne = async (row: SweepRow): Promise<void> => {
    const runDir = join(out, row.name);
    const args = [
      '--data',
      resolve(options.data),
      '--experts',
      String(row.experts),
      '--top-k',
      String(row.topK),
      '--layers',
      String(row.layers),
      ...options.trainArgs,
      // A later --ablation overrides the one in trainArgs (commander keeps the last value).
      ...(row.ablation === undefined ? [] : ['--ablation', row.ablation]),
    ];
    log(`[sweep] start ${row.name}`);
    const logPath = join(out, `${row.name}.log`);
    const child = await (options.runTrial
      ? options.runTrial({ name: row.name, runDir, args, logPath })
      : runTrainChild(options, runDir, args, logPath));
    row.seconds = child.seconds;
    const run = child.code === 0 ? readComplete(runDir) : null;
    if (run) fillFromRun(row, run);
    else {
      row.status = 'failed';
      row.reason = `exit code ${child.code}: ${child.lastLine}`;
    }
    log(`[sweep] ${row.name}: ${row.status}${row.reason ? ` (${row.reason})` : ''}`);
  };
  await runPool(queue, options.parallel, runOne);
  writeJsonAtomic(join(out, 'sweep.json'), { data: resolve(options.data), trainArgs: options.trainArgs, rows });
  return rows;
}

/** A plain-text table of the grid (percentages as mean ± std). */
export function formatSweepTable(rows: SweepRow[]): string {
  const pct = (m?: MeanStd): string => (m ? `${(m.mean * 100).toFixed(2)} ± ${(m.std * 100).toFixed(2)}` : '-');
  const header = [
    'point',
    'experts',
    'top-k',
    'layers',
    'ablation',
    'status',
    'test acc %',
    'macro-F1 %',
    'AUC %',
    'samples/s',
    'params',
  ];
  const body = rows.map((r) => [
    r.name,
    String(r.experts),
    String(r.topK),
    String(r.layers),
    r.ablation ?? '-',
    r.status + (r.reason ? ` (${r.reason})` : ''),
    pct(r.accuracy),
    pct(r.macroF1),
    pct(r.auc),
    r.trainSamplesPerSecond === undefined ? '-' : r.trainSamplesPerSecond.toFixed(1),
    r.parameters === undefined ? '-' : String(r.parameters),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
