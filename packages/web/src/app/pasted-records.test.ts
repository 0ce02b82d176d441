import type { ModalityMetadata } from '@flexmoe/export/browser';
import { parsePastedRecords, PastedRecordError } from './pasted-records.js';

const modalities: ModalityMetadata[] = [
  { name: 'clinical', letter: 'C', width: 2, input: 'x_clinical', featureNames: ['AGE', 'MMSE'] },
  { name: 'biospecimen', letter: 'B', width: 1, input: 'x_biospecimen', featureNames: ['TAU'] },
];

describe('records pasted or dropped into the page', () => {
  test('one JSON record, pretty-printed or not', () => {
    const record = { id: 'p1', modalities: { clinical: { AGE: 70 } } };
    expect(parsePastedRecords(JSON.stringify(record, null, 2), modalities, 'pasted record')).toEqual([
      { where: 'pasted record', record },
    ]);
  });

  test('JSON lines and JSON arrays keep their order and say where each record is', () => {
    const text = '{"modalities":{"clinical":{"AGE":1}}}\n\n{"features":{"biospecimen":[0.5]}}\n';
    expect(parsePastedRecords(text, modalities, 'records.jsonl')).toEqual([
      { where: 'records.jsonl, line 1', record: { modalities: { clinical: { AGE: 1 } } } },
      { where: 'records.jsonl, line 3', record: { features: { biospecimen: [0.5] } } },
    ]);
    expect(parsePastedRecords('[{"a":1},{"b":2}]', modalities, 'x').map((r) => r.where)).toEqual([
      'x, record 1',
      'x, record 2',
    ]);
    expect(() => parsePastedRecords('{"a":1}\n{oops', modalities, 'records.jsonl')).toThrow(
      /^records.jsonl: line 2: not valid JSON/,
    );
  });

  test('a features CSV as flexmoe predict reads it: <modality>:<feature> or a unique feature name', () => {
    const csv = 'id,clinical:AGE,MMSE,TAU\np1,0.5,-0.25,\n';
    expect(parsePastedRecords(csv, modalities, 'row.csv')).toEqual([
      { where: 'row.csv, line 2', record: { id: 'p1', features: { clinical: [0.5, -0.25] } } },
    ]);
  });

  test('bad CSV and empty input name the line, column or what is expected', () => {
    expect(() => parsePastedRecords('  ', modalities, 'pasted record')).toThrow(
      new PastedRecordError('pasted record: empty; paste a JSON record or a CSV header and row'),
    );
    expect(() => parsePastedRecords('id,AGE\n', modalities, 'row.csv')).toThrow(
      'row.csv: a CSV needs a header line and at least one row',
    );
    expect(() => parsePastedRecords('AGE,MMSE\n1,x\n', modalities, 'row.csv')).toThrow(
      'row.csv: line 2, column MMSE: "x" is not a finite number',
    );
    expect(() => parsePastedRecords('AGE\n1\n', modalities, 'row.csv')).toThrow(
      /row.csv: line 2: modality clinical is partly empty/,
    );
  });
});
