/**
 * Detection of free-text columns (comments, notes, names): their values are mostly unique or long, so as
 * categories they would copy patients' text into feature names. Such a column is dropped with a warning that
 * names it, unless the user declares it categorical (then rare values still become "other").
 */

/** Thresholds of {@link freeTextReason}. */
export const FREE_TEXT_RULES = {
  /** Uniqueness is judged only with at least this many training values. */
  minValuesForUniqueness: 20,
  /** More than this share of distinct values among the training values = mostly unique. */
  maxDistinctShare: 0.5,
  /** Values this long on average (characters) = long strings. */
  minMeanLength: 40,
} as const;

/**
 * Why a text column looks like free text, or undefined when it looks like a categorical column.
 * The reason names counts only, never a value.
 */
export function freeTextReason(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const distinct = new Set(values).size;
  if (
    values.length >= FREE_TEXT_RULES.minValuesForUniqueness &&
    distinct > values.length * FREE_TEXT_RULES.maxDistinctShare
  ) {
    return `looks like free text: ${distinct} distinct values among ${values.length} training values`;
  }
  let length = 0;
  for (const v of values) length += v.length;
  const mean = length / values.length;
  if (mean >= FREE_TEXT_RULES.minMeanLength) {
    return `looks like free text: values are ${Math.round(mean)} characters long on average`;
  }
  return undefined;
}

/** The warning printed for a dropped column; for free text it names the flag that keeps the column. */
export function droppedColumnWarning(file: string, dropped: { column: string; reason: string }): string {
  const keep = dropped.reason.startsWith('looks like free text')
    ? `; declare it categorical with --categorical ${dropped.column} to keep it (rare values become "other")`
    : '';
  return `warning: ${file}: column ${dropped.column} dropped (${dropped.reason})${keep}`;
}
