import { createRecordTransformer, type DatasetTransforms } from '@flexmoe/data/transform';
import type { ModalityMetadata } from '@flexmoe/export/browser';
import { FormValueError, modalityForms, rawPart, recordFromForms, type FieldValues } from './form-spec.js';

const modality = (name: string, letter: string, width: number): ModalityMetadata => ({
  name,
  letter,
  width,
  input: `x_${name}`,
  featureNames: [],
});

const transforms: DatasetTransforms = {
  formatVersion: 1,
  modalities: {
    clinical: {
      kind: 'columns',
      columns: [
        { column: 'AGE', type: 'numerical', min: 50, max: 90, mean: 0.25, missingCodes: [] },
        {
          column: 'SEX',
          type: 'categorical',
          categories: ['1', '2'],
          mode: '2',
          numericCategories: true,
          missingCodes: [],
        },
        { column: 'VISIT', type: 'date', edges: [0, 100, 200], mode: 50, missingCodes: [] },
      ],
    },
    genomic: { kind: 'genotypes', snps: ['rs1', 'rs2'], alleles: ['A/G', 'C/T'], modes: [1, 0] },
    image: { kind: 'image', voxelCount: 3, maskLabel: 1, mean: 10, std: 2 },
  },
};
const modalities = [
  modality('clinical', 'C', 1 + 2 + 2),
  modality('genomic', 'G', 2),
  modality('image', 'I', 3),
  modality('labs', 'L', 2),
];

describe('forms from the embedded transforms', () => {
  const forms = modalityForms(modalities, transforms);

  test('one field per raw column, SNP or list; a modality without a transform takes features', () => {
    expect(forms.map((f) => [f.name, f.shape, f.fields.map((x) => `${x.kind}:${x.key}`)])).toEqual([
      ['clinical', 'columns', ['number:AGE', 'select:SEX', 'date:VISIT']],
      ['genomic', 'genotypes', ['dosage:rs1', 'dosage:rs2']],
      ['image', 'voxels', ['list:voxels']],
      ['labs', 'json', ['json:features']],
    ]);
    expect(forms[0].fields[1]).toMatchObject({ options: ['1', '2'], numeric: true, mode: '2' });
  });

  test('typed values become the raw record flexmoe predict reads, and transform to the hand-computed features', () => {
    const record = recordFromForms(
      forms,
      new Map<string, FieldValues>([
        ['clinical', { AGE: ' 70 ', SEX: '1', VISIT: '' }],
        ['genomic', { rs1: '2', rs2: '' }],
        ['image', { voxels: '12, 8\n10' }],
      ]),
    );
    expect(record).toEqual({
      modalities: {
        clinical: { AGE: 70, SEX: 1, VISIT: null },
        genomic: { rs1: 2, rs2: null },
        image: { voxels: [12, 8, 10] },
      },
    });
    const t = createRecordTransformer(modalities.slice(0, 3), ['a', 'b'], transforms);
    const out = t.transformRecord(record as { modalities: Record<string, unknown> });
    // AGE 70 → MinMax to [-1, 1] over [50, 90] = 0; SEX 1 → [+1, -1]; VISIT missing → mode 50 → bin 0 of 2.
    expect(Array.from(out.inputs[0] as Float32Array)).toEqual([0, 1, -1, 1, -1]);
    // dosage − 1, the missing SNP takes its mode (0) → -1
    expect(Array.from(out.inputs[1] as Float32Array)).toEqual([1, -1]);
    // (v − 10) / 2
    expect(Array.from(out.inputs[2] as Float32Array)).toEqual([1, -1, 0]);
  });

  test('text in a number field is passed on (the transform names it); bad lists and JSON name the field', () => {
    expect(rawPart(forms[0], { AGE: '<8', SEX: '', VISIT: '2020-01-02' })).toEqual({
      AGE: '<8',
      SEX: null,
      VISIT: '2020-01-02',
    });
    expect(() => rawPart(forms[2], { voxels: '1 two 3' })).toThrow(
      new FormValueError('image, 3 masked voxel intensities: value 2 "two" is not a number'),
    );
    expect(() => rawPart(forms[3], { features: '[1,' })).toThrow(/^labs, 2 transformed features: not valid JSON/);
    expect(recordFromForms(forms, new Map([['labs', { features: '[0.5, -1]' }]]))).toEqual({
      features: { labs: [0.5, -1] },
    });
    expect(() =>
      recordFromForms(
        forms,
        new Map<string, FieldValues>([
          ['labs', { features: '[0.5, -1]' }],
          ['image', { voxels: '1 2 3' }],
        ]),
      ),
    ).toThrow(FormValueError);
  });

  test('many SNPs are entered as one JSON object', () => {
    const snps = Array.from({ length: 100 }, (_, i) => `rs${i}`);
    const [form] = modalityForms([modality('genomic', 'G', 100)], {
      formatVersion: 1,
      modalities: { genomic: { kind: 'genotypes', snps, alleles: snps.map(() => 'A/G'), modes: snps.map(() => 0) } },
    });
    expect(form.fields.map((f) => f.kind)).toEqual(['json']);
    expect(rawPart(form, { genotypes: '{"rs3": 2}' })).toEqual({ rs3: 2 });
  });
});
