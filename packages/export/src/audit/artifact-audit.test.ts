import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportRun } from '../export-run.js';
import { fixturePatientId, writeFixtureRun } from '../testing/fixture-run.js';
import { auditArtifact, containsToken } from './artifact-audit.js';

describe('artifact audit', () => {
  let root: string;
  let runDir: string;
  let datasetDir: string;
  let modelPath: string;
  let rawFile: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-audit-'));
    ({ runDir, datasetDir } = await writeFixtureRun(root));
    modelPath = path.join(root, 'model', 'model.onnx');
    await exportRun(runDir, modelPath, { counterfactualRows: 8 });
    // A raw table of the training patients (12..39): a common site, and one patient's free-text note.
    const lines = ['PTID,SITE,NOTE'];
    for (let i = 12; i < 40; i++)
      lines.push(`${fixturePatientId(i)},North Clinic,${i === 20 ? 'seen by Dr Quimby at home' : ''}`);
    rawFile = path.join(root, 'clinical.csv');
    await writeFile(rawFile, `${lines.join('\n')}\n`);
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('finds nothing in an exported model (synthetic counterfactual rows, no ids)', async () => {
    const r = await auditArtifact(modelPath, datasetDir, { rawFiles: [rawFile] });
    expect(r.ids).toBe(28);
    expect(r.values).toBe(1); // the note; "North Clinic" is held by 28 training patients
    expect(r.scannedFiles).toEqual([modelPath]);
    expect(r.hits).toEqual([]);
  });

  it('finds planted ids and values, naming file and source but not the value', async () => {
    const planted = path.join(root, 'planted');
    await mkdir(planted, { recursive: true });
    await writeFile(path.join(planted, 'report.html'), `<p>patient ${fixturePatientId(15)}</p>`);
    await writeFile(
      path.join(planted, 'notes.json'),
      JSON.stringify({ comment: 'seen by Dr Quimby at home', site: 'North Clinic' }),
    );
    // The model file with a planted metadata value: strings inside the ONNX protobuf are scanned too.
    const bytes = Buffer.from(await readFile(modelPath));
    await writeFile(path.join(planted, 'copy.onnx'), bytes);
    const r = await auditArtifact(planted, datasetDir, { rawFiles: [rawFile] });
    expect(r.hits).toEqual([
      { file: path.join(planted, 'notes.json'), kind: 'value', source: 'clinical.csv column NOTE row 9' },
      { file: path.join(planted, 'report.html'), kind: 'id', source: 'training patient 4' },
    ]);
    expect(JSON.stringify(r.hits)).not.toContain('Quimby');
  });

  it('finds the ids a run directory lists (the fixture run.json holds per-sample ids)', async () => {
    const r = await auditArtifact(runDir, datasetDir);
    expect(r.hits.filter((h) => h.kind === 'id' && h.file.endsWith('run.json'))).toHaveLength(28);
  });

  it('matches whole tokens only', () => {
    expect(containsToken('"p1"', 'p1')).toBe(true);
    expect(containsToken('p10 xp1', 'p1')).toBe(false);
    expect(containsToken('id=p1;', 'p1')).toBe(true);
  });
});
