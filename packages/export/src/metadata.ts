import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { base64ToBytes } from './base64.js';
import type { GraphVariant } from './onnx/flexmoe-graph.js';
import type { ExportModelConfig } from './model-types.js';

/** A modality as the exported model describes it. */
export interface ModalityMetadata {
  name: string;
  letter: string;
  width: number;
  /** Graph input name (`x_<name>`). */
  input: string;
  featureNames: string[];
}

/** Temperature scaling fitted on a validation split. */
export interface CalibrationReport {
  temperature: number;
  validationSamples: number;
  nllBefore: number;
  nllAfter: number;
  eceBefore: number;
  eceAfter: number;
  bins: number;
}

/** K training rows of one modality (transformed features, no ids) for counterfactual predictions. */
export interface CounterfactualSample {
  modality: string;
  rows: number;
  width: number;
  values: Float32Array;
}

/**
 * A seed ensemble exported as one graph (docs/onnx.md, "Seed ensembles"): `probabilities` is the mean of the
 * members' softmax outputs, `logits` its log; `topk_experts` / `topk_gates` are member 0's.
 */
export interface EnsembleMetadata {
  /** Number of member models (at least 2). */
  members: number;
  /** The training seed of each member, in member order. */
  seeds: number[];
  combine: 'mean-probability';
}

/** Everything the exported file says about itself (stored as ONNX metadata_props). */
export interface FlexMoEModelMetadata {
  formatVersion: 1;
  producer: { name: string; version: string };
  config: ExportModelConfig;
  modalities: ModalityMetadata[];
  classes: string[];
  /** Training options of the run (JSON), if known. */
  training?: Record<string, unknown>;
  /** sha256 (hex) of the dataset's transforms.json. */
  transformsSha256?: string;
  /** The dataset's fitted transforms (transforms.json text), so the model can transform raw records alone. */
  transformsJson?: string;
  datasetManifestSha256?: string;
  /** Softmax temperature already applied to `probabilities` in the graph (1 = none). */
  temperature: number;
  calibration?: CalibrationReport;
  counterfactualSamples: CounterfactualSample[];
  graphVariant: GraphVariant;
  /** Present only when the graph averages several models (absent for a single model and in older files). */
  ensemble?: EnsembleMetadata;
}

/** metadata_props keys. */
export const METADATA_KEYS = {
  formatVersion: 'flexmoe.format_version',
  producer: 'flexmoe.producer',
  config: 'flexmoe.config',
  modalities: 'flexmoe.modalities',
  modalityNames: 'flexmoe.modality_names',
  modalityLetters: 'flexmoe.modality_letters',
  featureNames: 'flexmoe.feature_names',
  classes: 'flexmoe.class_names',
  training: 'flexmoe.training_config',
  transformsSha256: 'flexmoe.transforms_sha256',
  transformsJson: 'flexmoe.transforms_json',
  datasetManifestSha256: 'flexmoe.dataset_manifest_sha256',
  temperature: 'flexmoe.temperature',
  calibration: 'flexmoe.calibration',
  counterfactualSamples: 'flexmoe.counterfactual_samples',
  graphVariant: 'flexmoe.graph_variant',
  ensemble: 'flexmoe.ensemble',
  io: 'flexmoe.io',
} as const;

const IO_DESCRIPTION =
  'inputs: x_<modality> float [batch, width] (rows of samples lacking the modality are ignored; zeros), ' +
  'observed bool [batch, M]; outputs: probabilities [batch, classes] (softmax(logits / temperature)), ' +
  'logits [batch, classes], combination int64 [batch] (docs/algorithm.md §1 index, -1 = no modality), ' +
  'topk_experts int64 [batch, layers, M, P, k], topk_gates float [batch, layers, M, P, k]';

/** Why `value` is not valid {@link EnsembleMetadata}, or undefined when it is. */
function ensembleProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected an object';
  const { members, seeds, combine } = value as Record<string, unknown>;
  if (!Number.isInteger(members) || (members as number) < 2)
    return `members must be an integer >= 2, got ${JSON.stringify(members)}`;
  if (!Array.isArray(seeds) || seeds.length !== members || !seeds.every((s) => Number.isInteger(s) && s >= 0))
    return `seeds must list ${members as number} non-negative integers (one per member), got ${JSON.stringify(seeds)}`;
  if (combine !== 'mean-probability') return `combine must be "mean-probability", got ${JSON.stringify(combine)}`;
  return undefined;
}

/** Encodes metadata as metadata_props entries (string → string). */
export function encodeMetadata(meta: FlexMoEModelMetadata): { key: string; value: string }[] {
  if (meta.ensemble !== undefined) {
    // Never write what decodeMetadata would refuse.
    const problem = ensembleProblem(meta.ensemble);
    if (problem) throw new Error(`metadata ${METADATA_KEYS.ensemble}: ${problem}`);
  }
  const { ensemble } = meta;
  const entries: [string, string | undefined][] = [
    [METADATA_KEYS.formatVersion, String(meta.formatVersion)],
    [METADATA_KEYS.producer, JSON.stringify(meta.producer)],
    [METADATA_KEYS.config, JSON.stringify(meta.config)],
    [METADATA_KEYS.modalities, JSON.stringify(meta.modalities)],
    [METADATA_KEYS.modalityNames, meta.modalities.map((m) => m.name).join(',')],
    [METADATA_KEYS.modalityLetters, meta.modalities.map((m) => m.letter).join('')],
    [
      METADATA_KEYS.featureNames,
      JSON.stringify(Object.fromEntries(meta.modalities.map((m) => [m.name, m.featureNames]))),
    ],
    [METADATA_KEYS.classes, JSON.stringify(meta.classes)],
    [METADATA_KEYS.training, meta.training === undefined ? undefined : JSON.stringify(meta.training)],
    [METADATA_KEYS.transformsSha256, meta.transformsSha256],
    [METADATA_KEYS.transformsJson, meta.transformsJson],
    [METADATA_KEYS.datasetManifestSha256, meta.datasetManifestSha256],
    [METADATA_KEYS.temperature, String(meta.temperature)],
    [METADATA_KEYS.calibration, meta.calibration === undefined ? undefined : JSON.stringify(meta.calibration)],
    [
      METADATA_KEYS.counterfactualSamples,
      JSON.stringify(
        meta.counterfactualSamples.map((s) => ({
          modality: s.modality,
          rows: s.rows,
          width: s.width,
          float32Base64: Buffer.from(s.values.buffer, s.values.byteOffset, s.values.byteLength).toString('base64'),
        })),
      ),
    ],
    [METADATA_KEYS.graphVariant, JSON.stringify(meta.graphVariant)],
    [
      METADATA_KEYS.ensemble,
      ensemble === undefined
        ? undefined
        : JSON.stringify({ members: ensemble.members, seeds: ensemble.seeds, combine: ensemble.combine }),
    ],
    [
      METADATA_KEYS.io,
      ensemble === undefined
        ? IO_DESCRIPTION
        : `${IO_DESCRIPTION}; seed ensemble of ${ensemble.members} models: probabilities = mean of their ` +
          'softmax outputs (softmax(logits / temperature) when calibrated), logits = log of that mean, topk_* of member 0',
    ],
  ];
  return entries.filter((e): e is [string, string] => e[1] !== undefined).map(([key, value]) => ({ key, value }));
}

/** Decodes metadata_props written by {@link encodeMetadata}; throws naming the missing/bad key. */
export function decodeMetadata(
  props: readonly { key: string; value: string }[],
  source = 'model',
): FlexMoEModelMetadata {
  const map = new Map(props.map((p) => [p.key, p.value]));
  const required = (key: string): string => {
    const v = map.get(key);
    if (v === undefined) throw new Error(`${source}: metadata key ${key} is missing (not a Flex-MoE export?)`);
    return v;
  };
  const json = <T>(key: string, text: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`${source}: metadata key ${key} is not valid JSON (${(e as Error).message})`);
    }
  };
  const version = Number(required(METADATA_KEYS.formatVersion));
  if (version !== 1) throw new Error(`${source}: metadata format version ${version} is not supported (expected 1)`);
  const optional = <T>(key: string): T | undefined => (map.has(key) ? json<T>(key, map.get(key) as string) : undefined);
  const samples =
    optional<{ modality: string; rows: number; width: number; float32Base64: string }[]>(
      METADATA_KEYS.counterfactualSamples,
    ) ?? [];
  const temperature = Number(required(METADATA_KEYS.temperature));
  if (!(temperature > 0)) throw new Error(`${source}: metadata ${METADATA_KEYS.temperature} must be > 0`);
  const ensemble = optional<EnsembleMetadata>(METADATA_KEYS.ensemble);
  if (ensemble !== undefined) {
    const problem = ensembleProblem(ensemble);
    if (problem) throw new Error(`${source}: metadata key ${METADATA_KEYS.ensemble} is invalid: ${problem}`);
  }
  return {
    formatVersion: 1,
    producer: json(METADATA_KEYS.producer, required(METADATA_KEYS.producer)),
    config: json(METADATA_KEYS.config, required(METADATA_KEYS.config)),
    modalities: json(METADATA_KEYS.modalities, required(METADATA_KEYS.modalities)),
    classes: json(METADATA_KEYS.classes, required(METADATA_KEYS.classes)),
    training: optional(METADATA_KEYS.training),
    transformsSha256: map.get(METADATA_KEYS.transformsSha256),
    transformsJson: map.get(METADATA_KEYS.transformsJson),
    datasetManifestSha256: map.get(METADATA_KEYS.datasetManifestSha256),
    temperature,
    calibration: optional(METADATA_KEYS.calibration),
    counterfactualSamples: samples.map((s) => {
      let bytes: Uint8Array;
      try {
        bytes = base64ToBytes(s.float32Base64);
      } catch {
        throw new Error(`${source}: counterfactual sample of ${s.modality} is not valid base64`);
      }
      if (bytes.length % 4 !== 0)
        throw new Error(`${source}: counterfactual sample of ${s.modality} is not float32 data`);
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      if (values.length !== s.rows * s.width) {
        throw new Error(
          `${source}: counterfactual sample of ${s.modality} has ${values.length} values, expected ${s.rows}×${s.width}`,
        );
      }
      return { modality: s.modality, rows: s.rows, width: s.width, values };
    }),
    graphVariant: json(METADATA_KEYS.graphVariant, required(METADATA_KEYS.graphVariant)),
    // Only the known fields, and no key at all for single models.
    ...(ensemble && { ensemble: { members: ensemble.members, seeds: [...ensemble.seeds], combine: ensemble.combine } }),
  };
}

/** Parses an ONNX file's bytes. */
export function parseOnnx(bytes: Uint8Array, source = 'model'): ModelProto {
  try {
    return fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new Error(`${source}: not a valid ONNX protobuf (${(e as Error).message})`);
  }
}

/** Reads the Flex-MoE metadata of an exported ONNX file. */
export function readModelMetadata(bytes: Uint8Array, source = 'model'): FlexMoEModelMetadata {
  return decodeMetadata(parseOnnx(bytes, source).metadataProps, source);
}
