/**
 * What every modality transform kind provides to the registry (modality-transform.ts): applying the
 * fitted transform to one patient's raw record part, and the number of features it produces.
 * Fitting is kind-specific (each kind's file exports its own `fit…`), since the training inputs differ.
 */
export interface TransformKind<T extends { kind: string }> {
  kind: T['kind'];
  /**
   * @param t the fitted transform
   * @param raw the modality's raw part of a record (shape per kind, docs/data.md "Raw patient records")
   * @param where the record and modality for error messages, e.g. `records.jsonl line 3, modality clinical`
   */
  apply(t: T, raw: unknown, where: string): Float32Array;
  /** Number of features (the modality width). */
  width(t: T): number;
}
