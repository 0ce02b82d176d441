import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURE_COLUMNS, writeFixtureRun } from '../testing/fixture-run.js';
import { registerExportCommands } from './register-export-commands.js';

function program(hooks: Parameters<typeof registerExportCommands>[1] = {}): Command {
  const p = new Command('flexmoe').exitOverride();
  p.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return registerExportCommands(p, { log: () => undefined, ...hooks });
}

describe('flexmoe export / predict / serve commands', () => {
  let root: string;
  let runDir: string;
  let model: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-cli-'));
    ({ runDir } = await writeFixtureRun(root));
    model = path.join(root, 'model.onnx');
    await program().parseAsync([
      'node',
      'flexmoe',
      'export',
      '--run',
      runDir,
      '--out',
      model,
      '--counterfactual-rows',
      '3',
    ]);
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  test('predict on records.jsonl: one output line per input line, errors stay on their line', async () => {
    const input = path.join(root, 'records.jsonl');
    const out = path.join(root, 'predictions.jsonl');
    await writeFile(
      input,
      [
        JSON.stringify({ id: 'a', modalities: { clinical: { AGE: 70, MMSE: 20 } } }),
        '{"id": "b", "modalities": {}}',
        'not json',
        '',
        JSON.stringify({ id: 'c', features: { biospecimen: [0.1, 0.2, 0.3] } }),
      ].join('\n'),
    );
    await program().parseAsync([
      'node',
      'flexmoe',
      'predict',
      '--model',
      model,
      '--input',
      input,
      '--out',
      out,
      '--counterfactuals',
    ]);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 5]);
    expect(lines[0].combination.letters).toBe('C');
    expect(lines[0].missingModalityEffects[0].modality).toBe('biospecimen');
    expect(lines[0].missingModalityEffects[0].samples).toBe(3);
    expect(lines[1].error).toMatch(/line 2/);
    expect(lines[2].error).toMatch(/line 3: not valid JSON/);
    expect(lines[3].combination.letters).toBe('B');
    expect(Object.keys(lines[3].probabilities)).toEqual(['stable', 'decline']);
  });

  test('predict on a features CSV equals the JSON features form', async () => {
    const header = [
      'id',
      ...FIXTURE_COLUMNS.clinical.map(([c]) => `clinical:${c}`),
      ...FIXTURE_COLUMNS.biospecimen.map(([c]) => c),
    ];
    const csv = path.join(root, 'records.csv');
    await writeFile(
      csv,
      `${header.join(',')}\nx1,0.1,0.2,0.3,0.4,0.5,,,\nx2,,,,,,0.1,0.2,0.3\nx3,0.1,,0.3,0.4,0.5,,,\n`,
    );
    const out = path.join(root, 'csv-predictions.jsonl');
    await program().parseAsync(['node', 'flexmoe', 'predict', '--model', model, '--input', csv, '--out', out]);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].combination.letters).toBe('C');
    expect(lines[1].id).toBe('x2');
    const jsonOut = path.join(root, 'predictions.jsonl');
    const fromJson = (await readFile(jsonOut, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))[3];
    expect(lines[1].logits[0]).toBeCloseTo(fromJson.logits[0], 6);
    expect(lines[2].error).toMatch(/line 4: modality clinical is partly empty \(e\.g\. MMSE\)/);
  });

  test('serve listens and answers; bad options are rejected', async () => {
    let app: FastifyInstance | undefined;
    let address = '';
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
    await program({
      io,
      installSignalHandlers: false,
      onListening: (a, addr) => ((app = a), (address = addr)),
    }).parseAsync(['node', 'flexmoe', 'serve', '--model', model, '--port', '0', '--log-level', 'silent', '--json']);
    try {
      // --json: the startup information on stdout; the plain "listening on" line on stderr.
      const port = Number(new URL(address).port);
      expect(port).toBeGreaterThan(0);
      expect(err.join('')).toBe(`listening on http://127.0.0.1:${port}\n`);
      expect(JSON.parse(out.join(''))).toEqual({ url: address, host: '127.0.0.1', port, model, device: 'cpu' });
      const res = await fetch(`${address}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modalities: { biospecimen: { ABETA: 900, TAU: 300, PTAU: 30 } } }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).combination.letters).toBe('B');
    } finally {
      await app?.close();
    }
    await expect(
      program().parseAsync([
        'node',
        'flexmoe',
        'predict',
        '--model',
        model,
        '--input',
        'x',
        '--out',
        'y',
        '--device',
        'tpu',
      ]),
    ).rejects.toThrow(/device/);
  });
});
