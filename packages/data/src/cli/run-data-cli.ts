/**
 * The `flexmoe-data` command line (also reused by the trainer's `flexmoe data …`):
 * `synth adni|mimic`, `adni`, `mimic`, `tables`, `inspect`. Errors go to stderr with exit code 1 and
 * nothing is written; `--json [file]` gives a machine-readable summary (json-output.ts, docs/cli.md).
 */
import { Command, CommanderError, Option } from 'commander';
import { buildAdniDataset } from '../adni/build-adni-dataset.js';
import { DEFAULT_FREESURFER_SUFFIXES, parseFreeSurferSuffixes, type FreeSurferSuffix } from '../adni/freesurfer.js';
import { readDataset } from '../dataset/read-dataset.js';
import { writeDataset } from '../dataset/write-dataset.js';
import { TOOL_VERSION } from '../dataset/tool-version.js';
import { generateAdniRaw } from '../synth/adni.js';
import { checkEmptyOutputDir } from '../synth/empty-output.js';
import { buildTablesDataset } from '../tables/build-tables-dataset.js';
import { runMimicBuild, runMimicSynth } from './mimic-commands.js';
import { formatInspect, inspectSummary } from './inspect.js';
import { createStepProgress, type StepProgress } from './progress.js';
import { commandOutput, jsonOption, type JsonTarget } from './json-output.js';

/** Where the CLI writes (defaults: the process streams). */
export interface DataCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

type SynthImage = 'ravens' | 'freesurfer' | 'both';
const SYNTH_IMAGE_WORDS: Record<SynthImage, string> = {
  ravens: 'NIfTI volumes',
  freesurfer: 'the FreeSurfer table',
  both: 'NIfTI volumes and the FreeSurfer table',
};

function parseSeed(v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new Error(`--seed must be a non-negative integer, got ${JSON.stringify(v)}`);
  return x;
}

function parseScale(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || x > 20)
    throw new Error(`--scale must be a number in (0, 20], got ${JSON.stringify(v)}`);
  return x;
}

function parseMinCount(v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1)
    throw new Error(`--min-category-count must be an integer ≥ 1, got ${JSON.stringify(v)}`);
  return x;
}

interface TablesCliOptions {
  modality: { name: string; file: string }[];
  letters?: string;
  labels: string;
  splits?: string;
  classes?: string;
  seed: number;
  out: string;
  json?: JsonTarget;
  categorical?: string;
  minCategoryCount: number;
}

function collectModality(v: string, list: { name: string; file: string }[]): { name: string; file: string }[] {
  const eq = v.indexOf('=');
  if (eq <= 0 || eq === v.length - 1) throw new Error(`--modality expects NAME=FILE, got ${JSON.stringify(v)}`);
  return [...list, { name: v.slice(0, eq), file: v.slice(eq + 1) }];
}

/**
 * Runs the data command line.
 * @param argv arguments after the program name, e.g. `['inspect', 'DS', '--json']`
 * @returns the exit code (0 success, 1 error)
 */
export async function runDataCli(
  argv: string[],
  io: DataCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let progress: StepProgress | null = null;
  const startProgress = (json: JsonTarget, total: number): StepProgress => {
    progress = createStepProgress(total, json !== true && json !== '-' && io.stderr.isTTY === true, io.stderr);
    return progress;
  };
  const program = new Command('flexmoe-data')
    .description('Build Flex-MoE datasets (Apache Arrow) from ADNI, MIMIC-IV or your own tables')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('synth')
    .description('write synthetic raw data in the ADNI (or MIMIC-IV) layout')
    .argument('<kind>', 'adni or mimic')
    .requiredOption('--out <dir>', 'raw output directory')
    .option('--seed <n>', 'random seed', parseSeed, 0)
    .option('--scale <f>', 'size factor (ADNI: 1.0 = 2,380 patients)', parseScale, 1)
    .addOption(
      new Option('--image <kind>', 'ADNI image input: NIfTI volumes, the FreeSurfer table, or both')
        .choices(['ravens', 'freesurfer', 'both'])
        .default('ravens'),
    )
    .addOption(jsonOption('a summary'))
    .action(
      async (kind: string, o: { out: string; seed: number; scale: number; image: SynthImage; json?: JsonTarget }) => {
        const { text: out, result } = commandOutput(o.json, io);
        if (kind === 'adni' || kind === 'mimic') await checkEmptyOutputDir(o.out);
        if (kind === 'adni') {
          const p = startProgress(o.json, 8);
          const s = await generateAdniRaw({
            outDir: o.out,
            seed: o.seed,
            scale: o.scale,
            image: o.image,
            onStep: (x) => p.step(x),
          });
          p.stop();
          const { records: _r, labels: _l, ...summary } = s;
          void _r;
          void _l;
          out(`wrote synthetic ADNI raw data to ${s.outDir}`);
          out(
            `  dataset patients ${s.patients} (I ${s.perModality.I}, G ${s.perModality.G}, ` +
              `C ${s.perModality.C}, B ${s.perModality.B}; all four ${s.full})`,
          );
          out(
            `  excluded by label rules: ${s.excludedMissingDiagnosis} missing, ` +
              `${s.excludedChangingDiagnosis} changing diagnosis; ${s.labelOnly} without modality`,
          );
          out(`  image input: ${SYNTH_IMAGE_WORDS[s.image]}`);
          out(`  records.jsonl: ${s.recordPatients} patients outside the dataset`);
          result(summary);
        } else if (kind === 'mimic') {
          const summary = await runMimicSynth({ outDir: o.out, seed: o.seed, scale: o.scale });
          out(`wrote synthetic MIMIC-IV raw data to ${o.out}`);
          result(summary);
        } else {
          throw new Error(`synth: unknown kind ${JSON.stringify(kind)} (expected adni or mimic)`);
        }
      },
    );

  program
    .command('adni')
    .description('build the ADNI dataset (modalities I, G, C, B) from a raw directory')
    .requiredOption('--raw <dir>', 'raw ADNI directory (LONI tables, PLINK filesets, images)')
    .requiredOption('--out <dir>', 'dataset directory to write')
    .option('--seed <n>', 'split seed', parseSeed, 0)
    .addOption(
      new Option('--label-rule <rule>', 'stable: exclude missing/changing diagnoses; last: keep the latest diagnosis')
        .choices(['stable', 'last'])
        .default('stable'),
    )
    .option('--ld-prune', 'LD-prune the genotypes with PLINK 1.9 (needs plink on PATH)')
    .addOption(
      new Option(
        '--image <route>',
        'image input when both are there (default: freesurfer when UCSFFSX7_*.csv is found)',
      ).choices(['freesurfer', 'ravens']),
    )
    .addOption(
      new Option('--image-qc <rule>', 'FreeSurfer scans: pass = OVERALLQC Pass only; any = every scan')
        .choices(['pass', 'any'])
        .default('pass'),
    )
    .option(
      '--image-features <suffixes>',
      'FreeSurfer ST* column suffixes (of CV, SA, TA, TS, SV)',
      (v: string) => parseFreeSurferSuffixes(v),
      [...DEFAULT_FREESURFER_SUFFIXES],
    )
    .addOption(jsonOption('a summary'))
    .action(
      async (o: {
        raw: string;
        out: string;
        seed: number;
        labelRule: 'stable' | 'last';
        ldPrune?: boolean;
        image?: 'freesurfer' | 'ravens';
        imageQc: 'pass' | 'any';
        imageFeatures: FreeSurferSuffix[];
        json?: JsonTarget;
      }) => {
        const { text: out, result } = commandOutput(o.json, io);
        const p = startProgress(o.json, 10);
        const { content, report } = await buildAdniDataset({
          rawDir: o.raw,
          seed: o.seed,
          labelRule: o.labelRule,
          ldPrune: o.ldPrune,
          image: o.image,
          imageQc: o.imageQc,
          imageFeatures: o.imageFeatures,
          onStep: (x) => p.step(x),
        });
        p.step('writing');
        const manifest = await writeDataset(o.out, content);
        p.stop();
        const droppedColumns = Object.fromEntries(
          Object.entries(report.droppedColumns).map(([k, v]) => [k, v.map((x) => `${x.column} (${x.reason})`)]),
        );
        out(`wrote ADNI dataset to ${o.out}`);
        out(formatInspect(inspectSummary(manifest)));
        out(
          `excluded: ${report.excludedMissingDiagnosis} missing diagnosis, ` +
            `${report.excludedChangingDiagnosis} changing diagnosis, ` +
            `${report.labeledWithoutModality} labelled without any modality; ` +
            `${report.unmappedRocheRows} Roche rows without a PTID in APOERES`,
        );
        if (report.image) out(`image: ${report.image.description}`);
        const fs = report.image?.freesurfer;
        if (fs) {
          out(
            `  FreeSurfer table: ${fs.rows} rows, ${fs.failedQcRows} not passing QC, ` +
              `${fs.unknownRows} rows of ${fs.unknownPatients} patients unknown to DXSUM (dropped); ${fs.patients} patients kept`,
          );
        }
        if (report.skippedModalities.length > 0)
          out(`skipped (no input found): ${report.skippedModalities.join(', ')}`);
        result({ dataset: o.out, counts: manifest.counts, report: { ...report, droppedColumns } });
      },
    );

  program
    .command('mimic')
    .description('build the MIMIC-IV dataset (modalities L, N, C) from a raw directory')
    .requiredOption('--raw <dir>', 'raw MIMIC-IV directory')
    .requiredOption('--out <dir>', 'dataset directory to write')
    .option('--seed <n>', 'split seed', parseSeed, 0)
    .addOption(jsonOption('a summary'))
    .action(async (o: { raw: string; out: string; seed: number; json?: JsonTarget }) => {
      const { text: out, result } = commandOutput(o.json, io);
      const manifest = await runMimicBuild({ rawDir: o.raw, outDir: o.out, seed: o.seed });
      out(`wrote MIMIC-IV dataset to ${o.out}`);
      out(formatInspect(inspectSummary(manifest)));
      result({ dataset: o.out, counts: manifest.counts });
    });

  program
    .command('tables')
    .description('build a dataset from your own tables (one CSV/Arrow table per modality, first column = id)')
    .requiredOption('--modality <name=file>', 'a modality table, repeat in modality order', collectModality, [])
    .option('--letters <letters>', 'one letter per modality (default: upper-cased first letters)')
    .requiredOption('--labels <file>', 'labels table: id, label')
    .option('--splits <file>', 'splits.json to use as is')
    .option('--classes <names>', 'comma-separated known class names (a label outside them is an error)')
    .option('--seed <n>', 'split seed', parseSeed, 0)
    .requiredOption('--out <dir>', 'dataset directory to write')
    .addOption(jsonOption('a summary'))
    .option(
      '--categorical <columns>',
      'comma-separated text columns to keep as categorical even if they look like free text',
    )
    .option(
      '--min-category-count <k>',
      'text categories held by fewer training patients become "other"',
      parseMinCount,
      5,
    )
    .action(async (o: TablesCliOptions) => {
      const { text: out, result } = commandOutput(o.json, io);
      const p = startProgress(o.json, 2 * o.modality.length + 2);
      const content = await buildTablesDataset({
        modalities: o.modality,
        letters: o.letters,
        labelsFile: o.labels,
        splitsFile: o.splits,
        classes: o.classes?.split(',').map((c) => c.trim()),
        seed: o.seed,
        onStep: (x) => p.step(x),
        categoricalColumns: o.categorical?.split(',').map((c) => c.trim()),
        minCategoryCount: o.minCategoryCount,
        onWarning: (w) => io.stderr.write(`${w}\n`),
      });
      p.step('writing');
      const manifest = await writeDataset(o.out, content, { splitsGiven: content.splitsGiven });
      p.stop();
      out(`wrote dataset to ${o.out}`);
      out(formatInspect(inspectSummary(manifest)));
      result({ dataset: o.out, counts: manifest.counts });
    });

  program
    .command('inspect')
    .description('check a dataset and print its counts per modality combination, features and labels')
    .argument('<dataset>', 'dataset directory')
    .addOption(jsonOption('a summary'))
    .action(async (dir: string, o: { json?: JsonTarget }) => {
      const { text: out, result } = commandOutput(o.json, io);
      const ds = await readDataset(dir);
      const summary = inspectSummary(ds.manifest);
      out(formatInspect(summary));
      result(summary);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    (progress as StepProgress | null)?.stop();
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help'
        ? 0
        : e.exitCode || 1;
    }
    io.stderr.write(`flexmoe-data: error: ${(e as Error).message}\n`);
    return 1;
  }
}
