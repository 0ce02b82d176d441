import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCheckpointAgainstRun, checkResumeDataset, readRunForResume, type ResumableRun } from './resume-check.js';

const run: ResumableRun = {
  options: { data: '/ds', epochs: 2, seeds: [0] },
  config: {
    modalities: [
      { name: 'clinical', letter: 'C', width: 5 },
      { name: 'bio', letter: 'B', width: 3 },
    ],
    classes: 2,
  },
  dataset: { path: '/ds', manifestSha256: 'aa', classes: ['no', 'yes'], modalities: ['C', 'B'] },
};
const dataset = { dir: '/other', manifestSha256: 'aa', classes: ['no', 'yes'], modalities: run.config.modalities };

describe('resume checks', () => {
  it('needs an existing run directory with a readable run.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'flexmoe-resume-'));
    try {
      expect(() => readRunForResume(join(root, 'nope'))).toThrow(/--resume: run directory .*nope does not exist/);
      mkdirSync(join(root, 'run'));
      expect(() => readRunForResume(join(root, 'run'))).toThrow(/--resume: .*run\.json is missing/);
      writeFileSync(join(root, 'run', 'run.json'), JSON.stringify({ options: { data: '/ds', epochs: 2, seeds: [0] } }));
      expect(() => readRunForResume(join(root, 'run'))).toThrow(
        /run\.json: field config\.modalities is missing or malformed/,
      );
      writeFileSync(join(root, 'run', 'run.json'), JSON.stringify(run));
      expect(readRunForResume(join(root, 'run')).options.epochs).toBe(2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses another dataset, naming the field that differs', () => {
    expect(() => checkResumeDataset(run, 'RUN/run.json', dataset)).not.toThrow();
    expect(() => checkResumeDataset(run, 'RUN/run.json', { ...dataset, manifestSha256: 'bb' })).toThrow(
      '--resume: --data /other is not the run\'s dataset: RUN/run.json field dataset.manifestSha256 is "aa", the dataset has "bb"',
    );
    const wider = { ...dataset, modalities: [dataset.modalities[0], { ...dataset.modalities[1], width: 4 }] };
    expect(() => checkResumeDataset(run, 'RUN/run.json', wider)).toThrow(
      /field config\.modalities\[1\]\.width \(bio\) is 3, the dataset has 4/,
    );
    expect(() => checkResumeDataset(run, 'RUN/run.json', { ...dataset, classes: ['a', 'b'] })).toThrow(
      /field dataset\.classes/,
    );
  });

  it('refuses a checkpoint that disagrees with run.json', () => {
    const history = [{}, {}];
    expect(() =>
      checkCheckpointAgainstRun({ seed: 0, epochsCompleted: 2, history }, 'c.bin', { seed: 0, epochs: 2 }),
    ).not.toThrow();
    expect(() =>
      checkCheckpointAgainstRun({ seed: 0, epochsCompleted: 9, history }, 'c.bin', { seed: 0, epochs: 2 }),
    ).toThrow('--resume: c.bin: field epochsCompleted is 9, run.json options.epochs is 2');
    expect(() =>
      checkCheckpointAgainstRun({ seed: 1, epochsCompleted: 2, history }, 'c.bin', { seed: 0, epochs: 2 }),
    ).toThrow(/field seed is 1/);
    expect(() =>
      checkCheckpointAgainstRun({ seed: 0, epochsCompleted: 1, history }, 'c.bin', { seed: 0, epochs: 2 }),
    ).toThrow(/history holds 2 epochs/);
  });
});
