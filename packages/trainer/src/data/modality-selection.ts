/**
 * One syntax for every flag that names modalities (`--modalities`, `--withhold`): letters run together (`IG`),
 * separated by commas (`I,G`), or modality names (`image,genomic`, case-insensitive), mixed freely.
 */

/** A modality as far as naming goes. */
export interface NamedModality {
  name: string;
  letter: string;
}

/**
 * The letters a modality list selects, in the order given. Each comma-separated part is a modality name when one
 * matches (case-insensitive), else a run of one-letter codes. Throws naming `flag`, the part, `owner` (e.g.
 * `dataset DIR`) and what is accepted when a part matches nothing, or when a modality is given twice or not at all.
 */
export function parseModalitySelection(
  flag: string,
  text: string | readonly string[],
  modalities: readonly NamedModality[],
  owner?: string,
): string[] {
  const parts = (typeof text === 'string' ? [text] : text)
    .flatMap((t) => t.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const letters = modalities.map((m) => m.letter);
  const accepted =
    `letters ${letters.join('')} (e.g. ${letters.slice(0, 2).join('')} or ${letters.slice(0, 2).join(',')}) ` +
    `or names ${modalities.map((m) => m.name).join(', ')}`;
  if (parts.length === 0) throw new Error(`${flag}: no modality given; expected ${accepted}`);
  const out: string[] = [];
  const add = (letter: string, given: string): void => {
    if (out.includes(letter)) throw new Error(`${flag}: modality ${letter} is given twice ('${given}')`);
    out.push(letter);
  };
  for (const part of parts) {
    const byName = modalities.find((m) => m.name.toLowerCase() === part.toLowerCase());
    if (byName !== undefined) {
      add(byName.letter, part);
      continue;
    }
    for (const ch of part) {
      if (!letters.includes(ch))
        throw new Error(
          `${flag}: '${part}' is not a modality${owner ? ` of ${owner}` : ''} ` +
            `(${ch === part ? '' : `'${ch}' is unknown; `}expected ${accepted})`,
        );
      add(ch, part);
    }
  }
  return out;
}
