/**
 * What `--resume` verifies before continuing a run (docs/training.md "Resuming"): the run directory and its
 * run.json exist and parse, the dataset is the one the run was trained on (manifest hash, modalities,
 * widths, classes), and every seed's checkpoint agrees with run.json (seed, epochs). Each error names the
 * field or flag that differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of run.json that resuming relies on. */
export interface ResumableRun {
  options: { data: string; epochs: number; seeds: number[] } & Record<string, unknown>;
  config: { modalities: { name: string; letter: string; width: number }[]; classes: number };
  dataset: { path: string; manifestSha256: string; classes: string[]; modalities: string[] };
}

/** The dataset a resume would continue on. */
export interface ResumeDataset {
  dir: string;
  manifestSha256: string;
  classes: string[];
  modalities: { name: string; letter: string; width: number }[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reads run.json of a run to resume.
 * @throws when the directory or run.json does not exist, or run.json lacks a field resuming needs
 */
export function readRunForResume(runDir: string): ResumableRun {
  if (!existsSync(runDir))
    throw new Error(`--resume: run directory ${runDir} does not exist (--out must name a run started earlier)`);
  const file = join(runDir, 'run.json');
  if (!existsSync(file))
    throw new Error(`--resume: ${file} is missing; without it the run's options are unknown (start a new run instead)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--resume: ${file} is not valid JSON (${(e as Error).message})`);
  }
  const need = (ok: boolean, field: string): void => {
    if (!ok) throw new Error(`--resume: ${file}: field ${field} is missing or malformed`);
  };
  need(isObject(value), 'run.json (an object)');
  const run = value as Record<string, unknown>;
  need(isObject(run.options), 'options');
  const options = run.options as Record<string, unknown>;
  need(typeof options.data === 'string', 'options.data');
  need(Number.isInteger(options.epochs) && (options.epochs as number) > 0, 'options.epochs');
  need(Array.isArray(options.seeds) && options.seeds.every(Number.isInteger), 'options.seeds');
  need(isObject(run.config) && Array.isArray((run.config as Record<string, unknown>).modalities), 'config.modalities');
  need(
    isObject(run.dataset) && typeof (run.dataset as Record<string, unknown>).manifestSha256 === 'string',
    'dataset.manifestSha256',
  );
  return value as ResumableRun;
}

/**
 * Refuses to resume on a dataset other than the run's.
 * @throws naming `--data` and the run.json field that differs
 */
export function checkResumeDataset(run: ResumableRun, runJson: string, dataset: ResumeDataset): void {
  const refuse = (field: string, stored: unknown, found: unknown): never => {
    throw new Error(
      `--resume: --data ${dataset.dir} is not the run's dataset: ${runJson} field ${field} is ${JSON.stringify(stored)}, ` +
        `the dataset has ${JSON.stringify(found)} (resume with the dataset the run was started on)`,
    );
  };
  if (run.dataset.manifestSha256 !== dataset.manifestSha256)
    refuse('dataset.manifestSha256', run.dataset.manifestSha256, dataset.manifestSha256);
  const letters = dataset.modalities.map((m) => m.letter);
  if (JSON.stringify(run.dataset.modalities) !== JSON.stringify(letters))
    refuse('dataset.modalities', run.dataset.modalities, letters);
  if (JSON.stringify(run.dataset.classes) !== JSON.stringify(dataset.classes))
    refuse('dataset.classes', run.dataset.classes, dataset.classes);
  run.config.modalities.forEach((m, i) => {
    const found = dataset.modalities[i];
    if (!found || found.width !== m.width) refuse(`config.modalities[${i}].width (${m.name})`, m.width, found?.width);
  });
}

/** The checkpoint header fields compared with run.json. */
export interface CheckpointIdentity {
  seed: number;
  epochsCompleted: number;
  history: unknown[];
}

/**
 * Refuses a checkpoint that disagrees with run.json (its seed, or more epochs than the run has).
 * @throws naming the checkpoint file and field
 */
export function checkCheckpointAgainstRun(
  header: CheckpointIdentity,
  file: string,
  expected: { seed: number; epochs: number },
): void {
  if (header.seed !== expected.seed) {
    throw new Error(`--resume: ${file}: field seed is ${header.seed}, run.json expects seed ${expected.seed}`);
  }
  if (
    !Number.isInteger(header.epochsCompleted) ||
    header.epochsCompleted < 0 ||
    header.epochsCompleted > expected.epochs
  ) {
    throw new Error(
      `--resume: ${file}: field epochsCompleted is ${header.epochsCompleted}, run.json options.epochs is ${expected.epochs}`,
    );
  }
  if (header.history.length !== header.epochsCompleted) {
    throw new Error(
      `--resume: ${file}: field epochsCompleted is ${header.epochsCompleted} but the history holds ${header.history.length} epochs`,
    );
  }
}
