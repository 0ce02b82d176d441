import { create, toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { ModelProtoSchema, OperatorSetIdProtoSchema, StringStringEntryProtoSchema } from 'onnx-buf';
import {
  encodeMetadata,
  type CalibrationReport,
  type CounterfactualSample,
  type FlexMoEModelMetadata,
} from './metadata.js';
import type { ExportModelConfig, NamedWeights } from './model-types.js';
import { buildFlexMoEGraph, modalityInputNames, type GraphVariant } from './onnx/flexmoe-graph.js';

/** ONNX IR version and default-domain opset written (Gelu needs opset 20, LayerNormalization 17). */
export const ONNX_IR_VERSION = 10;
export const ONNX_OPSET = 20;
export const PRODUCER = { name: '@flexmoe/export', version: '0.1.0' } as const;

/** Descriptive metadata stored with the graph. All optional; defaults are generic names. */
export interface ExportMetadataInput {
  /** Class names (default `class0`, `class1`, …). */
  classes?: string[];
  /** Feature names per modality name (default `<name>_<i>`). */
  featureNames?: Record<string, string[]>;
  /** Training options (JSON-serialisable). */
  training?: Record<string, unknown>;
  /** The dataset's transforms.json text; its sha256 is stored too. */
  transformsJson?: string;
  /** sha256 of transforms.json when the text itself is not embedded. */
  transformsSha256?: string;
  datasetManifestSha256?: string;
  /** Temperature scaling; its temperature is applied to `probabilities` in the graph. */
  calibration?: CalibrationReport;
  /** Training rows per modality for counterfactual "if acquired" predictions. */
  counterfactualSamples?: CounterfactualSample[];
  /** An ensemble's training seed per member, stored in `flexmoe.ensemble` (default: member positions 0, 1, …). */
  ensembleSeeds?: number[];
}

/** What {@link exportOnnx} exports: a model config, its named weights (architecture.md §1) and metadata. */
export interface ExportSource {
  config: ExportModelConfig;
  /**
   * The weights; two or more (same config) export a seed ensemble whose `probabilities` are the mean of the
   * members' (docs/onnx.md, "Seed ensembles"). A list of one is the single model.
   */
  namedWeights: NamedWeights | readonly NamedWeights[];
  metadata?: ExportMetadataInput;
}

/** A model object as @flexmoe/moe-core's FlexMoEModel exposes it. */
export interface ModelLike {
  config: ExportModelConfig;
  getNamedWeights(): NamedWeights;
}

/** A run read by `readRun` (structural, to keep this module free of file I/O). */
export interface RunLike {
  config: ExportModelConfig;
  namedWeights: NamedWeights;
  /** Every seed's model, when read as an ensemble (then exported instead of `namedWeights`). */
  members?: readonly { seed: number; namedWeights: NamedWeights }[];
  classes?: string[];
  datasetManifestSha256?: string;
  runJson?: Record<string, unknown>;
}

/** Export options. */
export interface ExportOptions {
  variant?: Partial<GraphVariant>;
}

/** Metadata as it will be stored for a source (also used by tests and the runtime). */
export function buildMetadata(source: ExportSource, variant: GraphVariant): FlexMoEModelMetadata {
  const { config } = source;
  const meta = source.metadata ?? {};
  const classes = meta.classes ?? Array.from({ length: config.classes }, (_, i) => `class${i}`);
  if (classes.length !== config.classes) {
    throw new Error(`metadata.classes has ${classes.length} names, the model has ${config.classes} classes`);
  }
  const inputs = modalityInputNames(config.modalities.map((m) => m.name));
  const modalities = config.modalities.map((m, i) => {
    const featureNames = meta.featureNames?.[m.name] ?? Array.from({ length: m.width }, (_, i) => `${m.name}_${i}`);
    if (featureNames.length !== m.width) {
      throw new Error(
        `metadata.featureNames.${m.name} has ${featureNames.length} names, the modality has width ${m.width}`,
      );
    }
    return { name: m.name, letter: m.letter, width: m.width, input: inputs[i], featureNames };
  });
  for (const s of meta.counterfactualSamples ?? []) {
    const m = config.modalities.find((x) => x.name === s.modality);
    if (!m) throw new Error(`counterfactual sample for unknown modality ${s.modality}`);
    if (s.width !== m.width || s.values.length !== s.rows * s.width) {
      throw new Error(
        `counterfactual sample of ${s.modality}: expected rows×${m.width} values, ` +
          `got ${s.values.length} for ${s.rows} rows of width ${s.width}`,
      );
    }
    if (!s.values.every(Number.isFinite))
      throw new Error(`counterfactual sample of ${s.modality} contains non-finite values`);
  }
  const memberCount = source.namedWeights instanceof Map ? 1 : source.namedWeights.length;
  const seeds = meta.ensembleSeeds ?? Array.from({ length: memberCount }, (_, i) => i);
  if (seeds.length !== memberCount) {
    throw new Error(`metadata.ensembleSeeds lists ${seeds.length} seeds, the ensemble has ${memberCount} members`);
  }
  const transformsSha256 =
    meta.transformsJson !== undefined
      ? createHash('sha256').update(meta.transformsJson).digest('hex')
      : meta.transformsSha256;
  return {
    formatVersion: 1,
    producer: { ...PRODUCER },
    config: { ...config, modalities: config.modalities.map((m) => ({ ...m })) },
    modalities,
    classes,
    training: meta.training,
    transformsSha256,
    transformsJson: meta.transformsJson,
    datasetManifestSha256: meta.datasetManifestSha256,
    temperature: meta.calibration?.temperature ?? 1,
    calibration: meta.calibration,
    counterfactualSamples: meta.counterfactualSamples ?? [],
    graphVariant: variant,
    ...(memberCount > 1 && { ensemble: { members: memberCount, seeds: [...seeds], combine: 'mean-probability' } }),
  };
}

/**
 * Exports a Flex-MoE model as ONNX bytes (IR 10, opset 20) that onnxruntime-node loads. One graph serves
 * every modality combination; see docs/onnx.md for inputs, outputs and metadata.
 */
export function exportOnnx(input: ExportSource | RunLike | ModelLike, options: ExportOptions = {}): Uint8Array {
  const source = toExportSource(input);
  const temperature = source.metadata?.calibration?.temperature ?? 1;
  const { builder, variant } = buildFlexMoEGraph(source.config, source.namedWeights, {
    variant: options.variant,
    temperature,
  });
  const metadata = buildMetadata(source, variant);
  const opsets = [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(ONNX_OPSET) })];
  for (const domain of builder.domains) opsets.push(create(OperatorSetIdProtoSchema, { domain, version: 1n }));
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(ONNX_IR_VERSION),
    opsetImport: opsets,
    producerName: PRODUCER.name,
    producerVersion: PRODUCER.version,
    domain: 'org.flexmoe',
    modelVersion: 1n,
    docString:
      'Flex-MoE (NeurIPS 2024) inference graph: modality encoders, missing-modality bank, attention, top-k SMoE, head.',
    graph: builder.build('flexmoe'),
    metadataProps: encodeMetadata(metadata).map((e) => create(StringStringEntryProtoSchema, e)),
  });
  return toBinary(ModelProtoSchema, model);
}

/** Normalises the accepted inputs (explicit source, a loaded run, a model object) to an {@link ExportSource}. */
export function toExportSource(input: ExportSource | RunLike | ModelLike): ExportSource {
  if ('getNamedWeights' in input && typeof input.getNamedWeights === 'function') {
    return { config: input.config, namedWeights: input.getNamedWeights() };
  }
  if (!('runJson' in input) || input.runJson === undefined || ('metadata' in input && input.metadata !== undefined))
    return input as ExportSource;
  const run: RunLike = input;
  const members = run.members && run.members.length > 1 ? run.members : undefined;
  return {
    config: run.config,
    namedWeights: members ? members.map((m) => m.namedWeights) : run.namedWeights,
    metadata: {
      classes: run.classes,
      datasetManifestSha256: run.datasetManifestSha256,
      ...(members && { ensembleSeeds: members.map((m) => m.seed) }),
    },
  };
}
