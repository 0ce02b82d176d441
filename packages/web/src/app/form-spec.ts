/**
 * What to ask for, per modality, to build one raw patient record (`{ modalities: { <name>: raw } }`, the
 * format `flexmoe predict` reads), derived from the fitted transforms embedded in the model. Pure: no DOM.
 */
import type { DatasetTransforms, ModalityTransform } from '@flexmoe/data/transform';
import type { ModalityMetadata } from '@flexmoe/export/browser';

/** One input of a modality's form. */
export type FieldSpec =
  | { kind: 'number'; key: string; label: string; range: [number, number] }
  | { kind: 'select'; key: string; label: string; options: string[]; numeric: boolean; mode: string }
  | { kind: 'date'; key: string; label: string }
  | { kind: 'dosage'; key: string; label: string; alleles: string }
  | { kind: 'list'; key: string; label: string; placeholder: string }
  | { kind: 'json'; key: string; label: string; placeholder: string }
  | { kind: 'text'; key: string; label: string };

/** The form of one modality. */
export interface ModalityForm {
  name: string;
  letter: string;
  /** How the raw part is assembled from the field values. */
  shape: 'columns' | 'genotypes' | 'voxels' | 'codes' | 'text' | 'json';
  fields: FieldSpec[];
  /** Shown under the title (e.g. why there is one text box instead of one field per feature). */
  note?: string;
}

/** Most SNPs shown as one select each; more are entered as JSON. */
export const MAX_DOSAGE_FIELDS = 64;

/** Forms for the model's modalities; a modality without an embedded transform gets a features (JSON array) box. */
export function modalityForms(
  modalities: readonly ModalityMetadata[],
  transforms: DatasetTransforms | undefined,
): ModalityForm[] {
  return modalities.map((m) => {
    const t = transforms?.modalities[m.name];
    return t ? formOfTransform(m, t) : featuresForm(m);
  });
}

function featuresForm(m: ModalityMetadata): ModalityForm {
  return {
    name: m.name,
    letter: m.letter,
    shape: 'json',
    fields: [
      { kind: 'json', key: 'features', label: `${m.width} transformed features`, placeholder: '[0.1, -0.5, …]' },
    ],
    note: 'the model carries no transforms for this modality: enter its transformed feature vector',
  };
}

function formOfTransform(m: ModalityMetadata, t: ModalityTransform): ModalityForm {
  const base = { name: m.name, letter: m.letter };
  switch (t.kind) {
    case 'columns':
      return {
        ...base,
        shape: 'columns',
        fields: t.columns.map((c): FieldSpec => {
          if (c.type === 'numerical') return { kind: 'number', key: c.column, label: c.column, range: [c.min, c.max] };
          if (c.type === 'categorical') {
            return {
              kind: 'select',
              key: c.column,
              label: c.column,
              options: c.categories,
              numeric: c.numericCategories,
              mode: c.mode,
            };
          }
          return { kind: 'date', key: c.column, label: c.column };
        }),
        note: 'an empty field is imputed as in training',
      };
    case 'genotypes':
      if (t.snps.length <= MAX_DOSAGE_FIELDS) {
        return {
          ...base,
          shape: 'genotypes',
          fields: t.snps.map((snp, i) => ({ kind: 'dosage', key: snp, label: snp, alleles: t.alleles[i] ?? '' })),
          note: 'copies of the first allele; empty = imputed',
        };
      }
      return {
        ...base,
        shape: 'json',
        fields: [
          {
            kind: 'json',
            key: 'genotypes',
            label: `${t.snps.length} SNPs`,
            placeholder: `{ "${t.snps[0]}": 0, "${t.snps[1] ?? t.snps[0]}": 2 }`,
          },
        ],
        note: 'SNP id → 0, 1 or 2 copies of the first allele; absent SNPs are imputed',
      };
    case 'image':
      return {
        ...base,
        shape: 'voxels',
        fields: [
          {
            kind: 'list',
            key: 'voxels',
            label: `${t.voxelCount} masked voxel intensities`,
            placeholder: '812.5 790 …',
          },
        ],
        note: 'numbers separated by spaces, commas or new lines',
      };
    case 'codes':
      return {
        ...base,
        shape: 'codes',
        fields: [{ kind: 'list', key: 'codes', label: 'ICD-9 codes', placeholder: '4019, 25000' }],
      };
    case 'text':
      return { ...base, shape: 'text', fields: [{ kind: 'text', key: 'text', label: 'note text' }] };
    case 'aggregates':
      return {
        ...base,
        shape: 'json',
        fields: [
          {
            kind: 'json',
            key: 'aggregates',
            label: 'measurements',
            placeholder: `{ "${t.items[0] ?? 'lab:50912'}": [1.1, 0.9] }`,
          },
        ],
        note: 'item key → the values measured during the stay',
      };
    default:
      return featuresForm(m);
  }
}

/** Values typed into one modality's form, by field key ('' = left empty). */
export type FieldValues = Record<string, string>;

/** Thrown for a value the user typed that cannot be read; names the modality and field. */
export class FormValueError extends Error {
  override readonly name = 'FormValueError';
}

/**
 * The raw part of one modality from its form's values (the shape its transform reads, docs/data.md), or, for
 * a modality given as transformed features, `{ features: number[] }`.
 */
export function rawPart(form: ModalityForm, values: FieldValues): unknown {
  const where = (f: FieldSpec): string => `${form.name}, ${f.label}`;
  switch (form.shape) {
    case 'columns': {
      const out: Record<string, string | number | null> = {};
      for (const f of form.fields) {
        const v = (values[f.key] ?? '').trim();
        if (v === '') out[f.key] = null;
        else if (f.kind === 'number') out[f.key] = Number.isFinite(Number(v)) ? Number(v) : v;
        else if (f.kind === 'select' && f.numeric) out[f.key] = Number(v);
        else out[f.key] = v;
      }
      return out;
    }
    case 'genotypes': {
      const out: Record<string, number | null> = {};
      for (const f of form.fields) {
        const v = (values[f.key] ?? '').trim();
        out[f.key] = v === '' ? null : Number(v);
      }
      return out;
    }
    case 'voxels':
      return { voxels: numberList(values.voxels ?? '', where(form.fields[0])) };
    case 'codes':
      return { codes: (values.codes ?? '').split(/[\s,;]+/).filter((c) => c !== '') };
    case 'text':
      return { text: values.text ?? '' };
    case 'json': {
      const f = form.fields[0];
      const text = (values[f.key] ?? '').trim();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new FormValueError(`${where(f)}: not valid JSON (${(e as Error).message})`);
      }
      return f.key === 'features' ? { features: parsed } : parsed;
    }
  }
}

function numberList(text: string, where: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  return parts.map((p, i) => {
    const v = Number(p);
    if (!Number.isFinite(v)) throw new FormValueError(`${where}: value ${i + 1} ${JSON.stringify(p)} is not a number`);
    return v;
  });
}

/**
 * The record `flexmoe predict` would read for the given modalities' values: the raw form
 * `{ modalities: { … } }`, or the features form `{ features: { … } }` when every given modality is entered as
 * transformed features (a model without embedded transforms).
 * @param given modality name → its field values, for the modalities the user has
 */
export function recordFromForms(
  forms: readonly ModalityForm[],
  given: ReadonlyMap<string, FieldValues>,
): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const features: Record<string, unknown> = {};
  for (const form of forms) {
    const values = given.get(form.name);
    if (!values) continue;
    const part = rawPart(form, values);
    if (form.shape === 'json' && form.fields[0].key === 'features')
      features[form.name] = (part as { features: unknown }).features;
    else raw[form.name] = part;
  }
  if (Object.keys(features).length > 0 && Object.keys(raw).length > 0) {
    throw new FormValueError(
      'this model mixes modalities with and without transforms; enter the record as JSON instead',
    );
  }
  return Object.keys(features).length > 0 ? { features } : { modalities: raw };
}
