import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { readDataset } from '@flexmoe/data';
import { prepareData, runBaselines, writeJsonAtomic, type BaselineResult, type SelectMetric } from '@flexmoe/trainer';
import type { CliIo } from '../program.js';

function letterList(v: string): string[] {
  return v.includes(',') ? v.split(',').map((s) => s.trim()) : [...v.trim()];
}

/** One text line per baseline. */
function row(name: string, r: BaselineResult): string {
  const pct = (x: number): string => (Number.isNaN(x) ? '-' : (x * 100).toFixed(2)).padStart(7);
  return (
    `${name.padEnd(24)} ${String(r.n.testing).padStart(6)} ${String(r.c).padStart(7)} ` +
    `${pct(r.validation.accuracy.mean)} ${pct(r.validation.auc.mean)} ` +
    `${pct(r.test.accuracy.mean)} ${pct(r.test.macroF1.mean)} ${pct(r.test.auc.mean)}`
  );
}

/** `flexmoe baseline`: L2 logistic regression baselines on a dataset's own split. */
export function registerBaselineCommand(program: Command, io: CliIo): void {
  program
    .command('baseline')
    .description(
      'fit L2 logistic regression baselines (all modalities, mean-imputed with missing indicators; each modality alone)',
    )
    .requiredOption('--data <dir>', 'dataset directory (flexmoe data …)')
    .option('--modalities <letters>', 'modality subset, e.g. I,G; default all', letterList)
    .addOption(
      new Option('--select-metric <m>', 'validation metric that picks C and the best baseline')
        .choices(['accuracy', 'auc', 'macroF1'])
        .default('accuracy'),
    )
    .option('--class-weights <w>', 'none | balanced | w0,w1,…', 'none')
    .option('--json [file]', 'write {"baselines": …} as JSON: to stdout without a value, else to the file')
    .action(
      async (o: {
        data: string;
        modalities?: string[];
        selectMetric: SelectMetric;
        classWeights: string;
        json?: string | true;
      }) => {
        const dataset = await readDataset(resolve(o.data));
        const data = prepareData(dataset, { modalities: o.modalities });
        const baselines = runBaselines(data, { selectMetric: o.selectMetric, classWeights: o.classWeights });
        if (o.json === true) {
          io.stdout.write(`${JSON.stringify({ baselines }, null, 2)}\n`);
          return;
        }
        if (typeof o.json === 'string') writeJsonAtomic(resolve(o.json), { baselines });
        const lines = [
          `baseline                 test n       C  val acc val AUC    acc % macroF1 %   AUC %`,
          row('logistic (all)', baselines.logistic),
          ...Object.entries(baselines.perModality).map(([name, r]) => row(`logistic (${name})`, r)),
          `best baseline on validation ${o.selectMetric}: ${baselines.best}`,
        ];
        io.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
