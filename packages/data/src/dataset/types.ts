/**
 * The in-memory shapes of a Flex-MoE dataset (docs/architecture.md §2, docs/data.md).
 * Builders (ADNI, MIMIC, user tables) produce a {@link DatasetContent}; `writeDataset` stores it;
 * `readDataset` returns a {@link LoadedDataset}.
 */
import type { DatasetTransforms } from '../transforms/modality-transform.js';

/** One modality's observed rows: only the patients that have this modality. */
export interface ModalityTable {
  /** Modality name, e.g. `clinical`; also the `modality-<name>.arrow` file name part. */
  name: string;
  /** One-letter code (docs/algorithm.md §1), e.g. `C`. */
  letter: string;
  /** Feature names, one per column of `features`. */
  featureNames: string[];
  /** Patients that observed this modality. */
  ids: string[];
  /** `ids.length × featureNames.length`, row-major. */
  features: Float32Array;
  /** Where the modality came from when a builder has a choice (e.g. ADNI's image route); stored in the manifest. */
  origin?: string;
}

/** Patient ids per split. Validation and testing hold only full-modality patients (docs/algorithm.md §7). */
export interface DatasetSplits {
  training: string[];
  validation: string[];
  testing: string[];
}

/** A raw input file the dataset was built from. */
export interface SourceFile {
  /** File name relative to the raw input directory (or as given on the command line). */
  file: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** Everything a builder hands to `writeDataset`. */
export interface DatasetContent {
  source: 'adni' | 'mimic' | 'tables';
  /** In modality order (docs/algorithm.md §1). */
  modalities: ModalityTable[];
  /** Class names; a label is an index into this list. */
  classes: string[];
  /** Every patient of the dataset (each has at least one modality). */
  labels: { ids: string[]; label: Int32Array };
  splits: DatasetSplits;
  /** Fitted on the training split only; JSON-serialisable. */
  transforms: DatasetTransforms;
  sources: SourceFile[];
}

/** One modality as described in `manifest.json`. */
export interface ManifestModality {
  name: string;
  letter: string;
  /** `modality-<name>.arrow` */
  file: string;
  width: number;
  featureNames: string[];
  kind: 'tabular';
  /** Where the modality came from (e.g. `FreeSurfer table UCSFFSX7_….csv: …`), when the builder had a choice. */
  origin?: string;
}

/** Counts stored in the manifest (checked again when the dataset is read). */
export interface ManifestCounts {
  patients: number;
  /** Letter → number of patients that observed the modality. */
  perModality: Record<string, number>;
  /** Combination letters in modality order (e.g. `IGCB`, `IC`) → number of patients. */
  perCombination: Record<string, number>;
  perSplit: { training: number; validation: number; testing: number };
  /** Class name → number of patients. */
  perClass: Record<string, number>;
}

/** `manifest.json` of a dataset directory. */
export interface DatasetManifest {
  formatVersion: 1;
  tool: { name: string; version: string };
  source: 'adni' | 'mimic' | 'tables';
  createdAt: string;
  modalities: ManifestModality[];
  classes: string[];
  counts: ManifestCounts;
  sources: SourceFile[];
  labelsFile: 'labels.arrow';
  splitsFile: 'splits.json';
  /** `generated`: docs/algorithm.md §7 splits (validation/test full-modality only); `given`: a user's splits.json used as is. */
  splitsOrigin: 'generated' | 'given';
  transformsFile: 'transforms.json';
  /** SHA-256 of the bytes of `transforms.json`. */
  transformsSha256: string;
  /** SHA-256 of every other file of the dataset directory (file-hashes.ts; absent in older datasets). */
  fileSha256?: Record<string, string>;
}

/** One modality of a loaded dataset, dense and aligned with {@link LoadedDataset.ids}. */
export interface LoadedModality {
  name: string;
  letter: string;
  width: number;
  featureNames: string[];
  /** `ids.length × width`, row-major; rows of patients without the modality are all 0. */
  features: Float32Array;
  /** 1 where the patient observed the modality, else 0. */
  observed: Uint8Array;
}

/** What `readDataset` returns. */
export interface LoadedDataset {
  dir: string;
  manifest: DatasetManifest;
  /** Every patient, in `labels.arrow` order. */
  ids: string[];
  labels: Int32Array;
  classes: string[];
  /** In modality order. */
  modalities: LoadedModality[];
  /** Split membership as indices into `ids` (ascending). */
  splitIndices: { training: Int32Array; validation: Int32Array; testing: Int32Array };
  splits: DatasetSplits;
  transforms: DatasetTransforms;
}
