/**
 * The categories a categorical column keeps: only values seen in at least `minCount` training patients, so
 * that a rare value (a name, a comment, an id typed into the wrong column) never becomes a feature name in
 * transforms.json or a model file. Rarer values, and values unseen at inference, map to one "other" category.
 */

/** Default minimum number of training patients holding a category (docs/privacy.md). */
export const DEFAULT_MIN_CATEGORY_COUNT = 5;

/** Name of the category that stands for every rare or unseen value. */
export const OTHER_CATEGORY = '(other)';

/** The kept categories of a column and, when some values were too rare, the "other" category's name. */
export interface CategoryVocabulary {
  /** Sorted kept categories, followed by the "other" category when there is one. */
  categories: string[];
  /** The category rare and unseen values map to (absent when every value was frequent enough). */
  other?: string;
}

function stableCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Counts the training values of one column (one value per training patient) and keeps those held by at least
 * `minCount` patients.
 */
export function categoryVocabulary(
  values: readonly string[],
  minCount = DEFAULT_MIN_CATEGORY_COUNT,
): CategoryVocabulary {
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new Error(`the minimum category count must be an integer ≥ 1, got ${minCount}`);
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const kept = [...counts]
    .filter(([, n]) => n >= minCount)
    .map(([v]) => v)
    .sort(stableCompare);
  if (kept.length === counts.size) return { categories: kept };
  let other = OTHER_CATEGORY;
  while (counts.has(other)) other = `(${other})`; // a real category spelled "(other)" keeps its own name
  return { categories: [...kept, other], other };
}

/** Maps one training value to its category in `vocabulary` (rare values → the "other" category). */
export function categoryOf(value: string, vocabulary: CategoryVocabulary): string {
  return vocabulary.other !== undefined && !vocabulary.categories.includes(value) ? vocabulary.other : value;
}
