import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDataCli } from '@flexmoe/data';
import { makeTinyAdniDataset, runCliChild, TINY_MODEL_FLAGS } from './support/fixtures.js';

const env = { FLEXMOE_BACKEND: 'wasm' };
const silent = { stdout: { write: (): boolean => true }, stderr: { write: (): boolean => true } };

describe('patient data stays out of artifacts; bad input is refused early (CLI)', () => {
  let root = '';
  let raw = '';
  let ds = '';
  let run = '';
  let model = '';
  let report = '';
  beforeAll(async () => {
    ({ root, raw, ds } = await makeTinyAdniDataset());
    run = join(root, 'run');
    const t = await runCliChild(
      ['train', '--data', ds, '--out', run, '--epochs', '2', '--seeds', '0', '--no-progress', ...TINY_MODEL_FLAGS],
      { env },
    );
    if (t.code !== 0) throw new Error(t.stderr);
    model = join(root, 'model.onnx');
    const e = await runCliChild(['export', '--run', run, '--out', model]);
    if (e.code !== 0) throw new Error(e.stderr);
    report = join(root, 'report.html');
    const r = await runCliChild(['report', '--run', run, '--out', report]);
    if (r.code !== 0) throw new Error(r.stderr);
  }, 300000);

  it('flexmoe audit finds no training id or rare raw value in the model, run directory and report', async () => {
    for (const artifact of [model, run, report]) {
      const a = await runCliChild(['audit', artifact, '--data', ds, '--raw', raw]);
      expect({ artifact, code: a.code, out: a.stdout }).toEqual({
        artifact,
        code: 0,
        out: expect.stringMatching(
          /training ids and [1-9]\d* rare raw values \(from (9|1\d) raw file\(s\)\)[\s\S]*no patient data found/,
        ),
      });
    }
  }, 300000);

  it('flexmoe audit fails on a planted training id, naming the file', async () => {
    const planted = join(root, 'planted');
    mkdirSync(planted, { recursive: true });
    const split = JSON.parse(readFileSync(join(ds, 'splits.json'), 'utf8')) as { training: string[] };
    writeFileSync(join(planted, 'notes.txt'), `follow up ${split.training[3]} next week\n`);
    const a = await runCliChild(['audit', planted, '--data', ds, '--json']);
    expect(a.code).toBe(1);
    const result = JSON.parse(a.stdout) as { hits: { file: string; kind: string; source: string }[] };
    expect(result.hits).toEqual([{ file: join(planted, 'notes.txt'), kind: 'id', source: 'training patient 4' }]);
  }, 60000);

  it('--resume refuses a missing run, a deleted run.json, another dataset and a modified checkpoint', async () => {
    const nope = await runCliChild(['train', '--data', ds, '--out', join(root, 'nope'), '--resume'], { env });
    expect(nope.code).toBe(1);
    expect(nope.stderr).toMatch(/--resume: run directory .*nope does not exist/);
    expect(existsSync(join(root, 'nope'))).toBe(false);

    const other = join(root, 'ds-other');
    expect(await runDataCli(['adni', '--raw', raw, '--out', other, '--seed', '7'], silent)).toBe(0);
    const moved = await runCliChild(['train', '--data', other, '--out', run, '--resume'], { env });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(
      /--resume: --data .*ds-other is not the run's dataset: .*run\.json field dataset\.manifestSha256/,
    );

    const bin = join(run, 'seed-0', 'checkpoint.bin');
    const bytes = readFileSync(bin);
    const view = new Float32Array(bytes.buffer, bytes.byteOffset + bytes.length - 64, 16);
    for (let i = 0; i < view.length; i++) view[i] *= 3; // finite corruption of the last weights
    writeFileSync(bin, bytes);
    const tampered = await runCliChild(['train', '--data', ds, '--out', run, '--resume'], { env });
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/checkpoint\.bin: checksum mismatch .* the file was modified or is corrupt/);

    const runJson = join(run, 'run.json');
    const text = readFileSync(runJson, 'utf8');
    writeFileSync(runJson + '.bak', text);
    writeFileSync(runJson, '');
    const noRunJson = await runCliChild(['train', '--data', ds, '--out', run, '--resume'], { env });
    expect(noRunJson.code).toBe(1);
    expect(noRunJson.stderr).toMatch(/--resume: .*run\.json is not valid JSON/);
    writeFileSync(runJson, text);
  }, 300000);

  it('config errors name the flag and leave no run folder; an oversized model is refused with its estimate', async () => {
    const topK = await runCliChild(
      ['train', '--data', ds, '--out', join(root, 'k'), '--epochs', '1', '--experts', '16', '--top-k', '20'],
      { env },
    );
    expect(topK.code).toBe(1);
    expect(topK.stderr).toMatch(/^flexmoe: --top-k: k = 20 exceeds the number of experts E = 16/m);
    expect(existsSync(join(root, 'k'))).toBe(false);
    const huge = await runCliChild(
      ['train', '--data', ds, '--out', join(root, 'huge'), '--epochs', '1', '--experts', '100000'],
      { env },
    );
    expect(huge.code).toBe(1);
    expect(huge.stderr).toMatch(/--experts 100000 .*training needs an estimated [\d.]+ GiB/);
    expect(existsSync(join(root, 'huge'))).toBe(false);
  }, 120000);

  it("predict refuses its input as output, a zero batch size, another dataset's transforms and unknown fields", async () => {
    const input = join(root, 'records.jsonl');
    writeFileSync(input, `${JSON.stringify({ id: 'x', modalities: { C: {} }, extra: 1 })}\n`);
    const same = await runCliChild(['predict', '--model', model, '--input', input, '--out', input]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/--out .*records\.jsonl is the --input file/);
    const zero = await runCliChild([
      'predict',
      '--model',
      model,
      '--input',
      input,
      '--out',
      join(root, 'p.jsonl'),
      '--batch-size',
      '0',
    ]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/--batch-size must be an integer ≥ 1, got "0"/);
    const other = await runCliChild([
      'predict',
      '--model',
      model,
      '--input',
      input,
      '--out',
      join(root, 'p.jsonl'),
      '--data',
      join(root, 'ds-other'),
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /--data .*ds-other: manifest SHA-256 [0-9a-f]+ differs from the model's flexmoe\.dataset_manifest_sha256/,
    );
    const ok = await runCliChild([
      'predict',
      '--model',
      model,
      '--input',
      input,
      '--out',
      join(root, 'p.jsonl'),
      '--data',
      ds,
    ]);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(root, 'p.jsonl'), 'utf8')).toMatch(/unknown field \\"extra\\"/);
  }, 120000);

  it('serve refuses a non-loopback address without a token', async () => {
    const s = await runCliChild(['serve', '--model', model, '--host', '0.0.0.0', '--port', '0']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/--host 0\.0\.0\.0 listens beyond this machine.*--insecure/);
  }, 60000);

  it('synth refuses a non-empty output folder', async () => {
    const s = await runCliChild(['data', 'synth', 'adni', '--out', raw, '--scale', '0.05']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/--out .*raw: the directory is not empty/);
  }, 60000);
});
