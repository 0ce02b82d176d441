import { MAX_MODALITIES } from './combinations.js';

/** Ablation switches of docs/algorithm.md §6 / paper Table 3. */
export type Ablation = 'none' | 'no-es' | 'no-es-eg' | 'no-bank';

/** How the (token, expert) pairs are evaluated. */
export type Dispatch = 'sparse' | 'dense' | 'auto';

/**
 * How the tokens of a tabular vector are projected (docs/algorithm.md §2): `shared` = one dense layer for all P
 * patches (the reference code; the meaning of an absent field), `per-patch` = one dense layer per patch.
 */
export const PATCH_PROJECTIONS = ['shared', 'per-patch'] as const;
export type PatchProjection = (typeof PATCH_PROJECTIONS)[number];

/** Output channels of the 3D CNN's three conv pairs when a volume modality names none. */
export const DEFAULT_CNN_CHANNELS: readonly [number, number, number] = [8, 16, 32];

/** The CNN channels of a volume modality: its own, else {@link DEFAULT_CNN_CHANNELS}. */
export function cnnChannels(m: Pick<ModalitySpec, 'channels'>): [number, number, number] {
  return m.channels ? [...m.channels] : [...DEFAULT_CNN_CHANNELS];
}

/**
 * One input modality: display name, one-letter code (combination order), feature width. A `volume`
 * modality is a 3-D image flattened row-major (`[D][H][W]`, W fastest) into `width = D·H·W` features; its
 * encoder (the 3D CNN of @flexmoe/encoders) and the ONNX export read `volumeShape` and `channels`.
 */
export interface ModalitySpec {
  name: string;
  letter: string;
  width: number;
  /** `volume`: a flattened 3-D volume encoded by the 3D CNN; `tabular` (default): a flat feature vector. */
  kind?: 'tabular' | 'volume';
  /** `[D, H, W]` of a volume modality (required for `kind: 'volume'`); the product must equal `width`. */
  volumeShape?: [number, number, number];
  /** Output channels of the CNN's three conv pairs (volume modalities; default {@link DEFAULT_CNN_CHANNELS}). */
  channels?: [number, number, number];
}

/** Model configuration (docs/architecture.md §1). */
export interface FlexMoEConfig {
  /** Order = combination order (docs/algorithm.md §1). */
  modalities: ModalitySpec[];
  /** P, tokens per modality (default 16). */
  patches: number;
  /** Projection of the P patches of a vector to tokens; absent = `shared` (the reference code). */
  patchProjection?: PatchProjection;
  /** H, token width (default 128). */
  hidden: number;
  /** Attention heads (default 4); must divide H. */
  heads: number;
  /** E, >= 2^M - 1. */
  experts: number;
  /** k, 1 <= k <= E. */
  topK: number;
  /** Fusion layers, each an SMoE layer (default 1). */
  layers: number;
  /** Number of classes, >= 2. */
  classes: number;
  /** Dropout rate in [0, 1) (default 0.5; never applied at inference). */
  dropout: number;
  /** λ, weight of the summed router losses (default 0.01). */
  routerLossWeight: number;
  ablation: Ablation;
  /** Expert evaluation path (default 'auto'). Not part of the saved-weights contract. */
  dispatch?: Dispatch;
  /** Optional per-class weights of the task cross-entropy (e.g. MIMIC [0.25, 0.75]). */
  classWeights?: number[];
}

/** A config with the paper defaults (Table 6) for the given modalities. */
export function defaultConfig(modalities: ModalitySpec[], overrides: Partial<FlexMoEConfig> = {}): FlexMoEConfig {
  const M = modalities.length;
  return {
    modalities,
    patches: 16,
    hidden: 128,
    heads: 4,
    experts: Math.max(16, (1 << M) - 1),
    topK: 4,
    layers: 1,
    classes: 2,
    dropout: 0.5,
    routerLossWeight: 0.01,
    ablation: 'none',
    dispatch: 'auto',
    ...overrides,
  };
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Throws an Error naming the field and what was expected when `config` is invalid. */
export function validateConfig(config: FlexMoEConfig): void {
  const fail = (field: string, msg: string): never => {
    throw new Error(`FlexMoEConfig.${field}: ${msg}`);
  };
  if (!Array.isArray(config.modalities)) fail('modalities', 'expected an array of {name, letter, width}');
  const M = config.modalities.length;
  if (M < 1 || M > MAX_MODALITIES) fail('modalities', `expected 1..${MAX_MODALITIES} modalities, got ${M}`);
  const letters = new Set<string>();
  config.modalities.forEach((m, i) => {
    if (typeof m.letter !== 'string' || [...m.letter].length !== 1)
      fail(`modalities[${i}].letter`, `expected one character, got ${JSON.stringify(m.letter)}`);
    if (letters.has(m.letter)) fail(`modalities[${i}].letter`, `duplicate letter "${m.letter}"`);
    letters.add(m.letter);
    if (!isInt(m.width) || m.width < 1) fail(`modalities[${i}].width`, `expected an integer >= 1, got ${m.width}`);
    validateVolume(m, i, fail);
  });
  const positive = (field: keyof FlexMoEConfig) => {
    const v = config[field];
    if (!isInt(v) || v < 1) fail(field, `expected an integer >= 1, got ${String(v)}`);
  };
  (['patches', 'hidden', 'heads', 'experts', 'topK', 'layers'] as const).forEach(positive);
  if (config.hidden % config.heads !== 0)
    fail('heads', `hidden (${config.hidden}) must be divisible by heads (${config.heads})`);
  const combos = (1 << M) - 1;
  if (config.experts < combos)
    fail(
      'experts',
      `E = ${config.experts} is smaller than the ${combos} combinations of ${M} modalities (E >= 2^M - 1 is required)`,
    );
  if (config.topK > config.experts)
    fail('topK', `k = ${config.topK} exceeds the number of experts E = ${config.experts}`);
  if (!isInt(config.classes) || config.classes < 2) fail('classes', `expected an integer >= 2, got ${config.classes}`);
  if (typeof config.dropout !== 'number' || !(config.dropout >= 0 && config.dropout < 1))
    fail('dropout', `expected a rate in [0, 1), got ${config.dropout}`);
  if (
    typeof config.routerLossWeight !== 'number' ||
    !Number.isFinite(config.routerLossWeight) ||
    config.routerLossWeight < 0
  ) {
    fail('routerLossWeight', `expected a finite number >= 0, got ${config.routerLossWeight}`);
  }
  if (!['none', 'no-es', 'no-es-eg', 'no-bank'].includes(config.ablation))
    fail('ablation', `expected none | no-es | no-es-eg | no-bank, got ${String(config.ablation)}`);
  if (config.patchProjection !== undefined && !PATCH_PROJECTIONS.includes(config.patchProjection))
    fail('patchProjection', `expected ${PATCH_PROJECTIONS.join(' | ')}, got ${String(config.patchProjection)}`);
  if (config.dispatch !== undefined && !['sparse', 'dense', 'auto'].includes(config.dispatch))
    fail('dispatch', `expected sparse | dense | auto, got ${String(config.dispatch)}`);
  if (config.classWeights !== undefined) {
    if (!Array.isArray(config.classWeights) || config.classWeights.length !== config.classes)
      fail('classWeights', `expected ${config.classes} numbers`);
    if (config.classWeights!.some((w) => typeof w !== 'number' || !(w > 0) || !Number.isFinite(w)))
      fail('classWeights', 'expected positive finite numbers');
  }
}

const isTriple = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((d) => isInt(d) && d >= 1);

/** The optional volume fields of one modality (`kind`, `volumeShape`, `channels`). */
function validateVolume(m: ModalitySpec, i: number, fail: (field: string, msg: string) => never): void {
  const at = `modalities[${i}]`;
  if (m.kind !== undefined && m.kind !== 'tabular' && m.kind !== 'volume')
    fail(`${at}.kind`, `expected tabular | volume, got ${JSON.stringify(m.kind)}`);
  if (m.kind !== 'volume') {
    if (m.volumeShape !== undefined)
      fail(`${at}.volumeShape`, `only volume modalities have a volumeShape (set kind: 'volume' on ${m.name})`);
    if (m.channels !== undefined)
      fail(`${at}.channels`, `only volume modalities have CNN channels (set kind: 'volume' on ${m.name})`);
    return;
  }
  if (m.volumeShape === undefined) fail(`${at}.volumeShape`, `volume modality ${m.name} needs volumeShape [D, H, W]`);
  if (!isTriple(m.volumeShape))
    fail(`${at}.volumeShape`, `expected three integers >= 1, got ${JSON.stringify(m.volumeShape)}`);
  const voxels = m.volumeShape![0] * m.volumeShape![1] * m.volumeShape![2];
  if (voxels !== m.width) {
    fail(
      `${at}.volumeShape`,
      `volume ${m.volumeShape!.join('×')} = ${voxels} voxels does not match width ${m.width} of modality ${m.name}`,
    );
  }
  if (m.channels !== undefined && !isTriple(m.channels))
    fail(`${at}.channels`, `expected three integers >= 1, got ${JSON.stringify(m.channels)}`);
}

/** Letters of the modalities, in order (the combination table's order). */
export function modalityOrder(config: FlexMoEConfig): string {
  return config.modalities.map((m) => m.letter).join('');
}
