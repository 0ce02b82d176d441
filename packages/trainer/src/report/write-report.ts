import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '@flexmoe/data';
import type { RunFile } from '../run/train.js';
import type { EpochRecord, RunAnalysis, SeedResult } from '../run/run-types.js';
import { renderReport, type ReportInput } from './render-report.js';

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${path}: cannot read ${what} (${(err as Error).message})`);
  }
}

/** Collects what the report shows from a finished run directory. */
export function loadReportInput(runDir: string): ReportInput {
  const dir = resolve(runDir);
  const run = readJson<RunFile>(join(dir, 'run.json'), 'the run description');
  if (run.status !== 'complete' || !run.metrics) {
    throw new Error(
      `${join(dir, 'run.json')}: the run is not complete (status '${run.status}'); finish it with flexmoe train --resume`,
    );
  }
  const analysis = readJson<RunAnalysis & { histories: Record<string, EpochRecord[]> }>(
    join(dir, 'analysis.json'),
    'the run analysis',
  );
  const m = run.metrics;
  const seeds: SeedResult[] = m.seeds.map((s) => ({ ...s, history: analysis.histories[String(s.seed)] ?? [] }));
  const { training, ...model } = m.config;
  return {
    title: `Flex-MoE run: ${dir.split('/').pop() ?? dir}`,
    backend: m.backend,
    config: {
      modalities: model.modalities.map((x) => x.letter).join(''),
      classes: model.classes,
      patches: model.patches,
      // Runs from before the option projected every patch with one shared layer.
      patchProjection: model.patchProjection ?? 'shared',
      hidden: model.hidden,
      heads: model.heads,
      experts: model.experts,
      topK: model.topK,
      layers: model.layers,
      ablation: training.ablation,
      epochs: training.epochs,
      warmup: training.warmup,
      batchSize: training.batchSize,
      lr: training.lr,
      // Older runs predate these options: their training was the paper's (no decay, constant rate, all epochs).
      weightDecay: training.weightDecay ?? 0,
      lrSchedule: training.lrSchedule ?? 'constant',
      lrWarmup: training.lrWarmup ?? 0,
      patience: training.patience ?? 0,
      parameters: m.parameters,
    },
    test: m.test,
    validation: m.validation,
    perCombination: m.perCombination,
    ensemble: m.ensemble,
    seeds,
    analysis,
    baselines: m.baselines,
  };
}

/** Writes the self-contained HTML report of a run to `outPath` (atomically). */
export function writeReport(runDir: string, outPath: string): void {
  writeFileAtomicSync(resolve(outPath), renderReport(loadReportInput(runDir)));
}
