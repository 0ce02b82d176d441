import { parseModalitySelection } from './modality-selection.js';

const ADNI = [
  { name: 'image', letter: 'I' },
  { name: 'genomic', letter: 'G' },
  { name: 'clinical', letter: 'C' },
  { name: 'biospecimen', letter: 'B' },
];

describe('parseModalitySelection', () => {
  it('accepts letters run together, comma-separated letters, names, and a mix, in the order given', () => {
    expect(parseModalitySelection('--withhold', 'IG', ADNI)).toEqual(['I', 'G']);
    expect(parseModalitySelection('--withhold', 'I,G', ADNI)).toEqual(['I', 'G']);
    expect(parseModalitySelection('--modalities', ' G , I ', ADNI)).toEqual(['G', 'I']);
    expect(parseModalitySelection('--modalities', 'image,Genomic', ADNI)).toEqual(['I', 'G']);
    expect(parseModalitySelection('--modalities', 'CB,image', ADNI)).toEqual(['C', 'B', 'I']);
    expect(parseModalitySelection('--modalities', ['I', 'G'], ADNI)).toEqual(['I', 'G']);
  });

  it('prefers a name over letters when a part is both', () => {
    const mods = [
      { name: 'CB', letter: 'X' },
      { name: 'c', letter: 'C' },
      { name: 'b', letter: 'B' },
    ];
    expect(parseModalitySelection('--modalities', 'CB', mods)).toEqual(['X']);
  });

  it('names the flag, the part and what is accepted on bad input', () => {
    expect(() => parseModalitySelection('--withhold', 'IX', ADNI)).toThrow(
      "--withhold: 'IX' is not a modality ('X' is unknown; expected letters IGCB (e.g. IG or I,G) " +
        'or names image, genomic, clinical, biospecimen)',
    );
    expect(() => parseModalitySelection('--modalities', 'imaging', ADNI)).toThrow(
      /--modalities: 'imaging' is not a modality/,
    );
    expect(() => parseModalitySelection('--modalities', 'I,image', ADNI)).toThrow(
      "--modalities: modality I is given twice ('image')",
    );
    expect(() => parseModalitySelection('--withhold', ' , ', ADNI)).toThrow(/--withhold: no modality given/);
  });
});
