/**
 * The model contract of docs/architecture.md §1, as export needs it. Structurally identical to
 * `FlexMoEConfig` of @flexmoe/moe-core, declared here so export builds without TF.js.
 */
export interface ExportModelConfig {
  modalities: { name: string; letter: string; width: number }[];
  patches: number;
  hidden: number;
  heads: number;
  experts: number;
  topK: number;
  layers: number;
  classes: number;
  dropout?: number;
  routerLossWeight?: number;
  ablation?: 'none' | 'no-es' | 'no-es-eg' | 'no-bank';
}

/** One named weight tensor: row-major float32 values and its shape. */
export interface NamedWeight {
  values: Float32Array;
  shape: number[];
}

/** Weights by architecture.md name (`encoder0/patch_kernel`, `layer0/ln1_gamma`, `bank`, …). */
export type NamedWeights = Map<string, NamedWeight>;
