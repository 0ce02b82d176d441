/**
 * The model contract of docs/architecture.md §1, as export needs it: @flexmoe/moe-core's `FlexMoEConfig`
 * and `NamedWeight`, imported as types only, so export runs without TF.js. Training-only fields are optional
 * (a run's model.json may omit them).
 */
import type { FlexMoEConfig, NamedWeight } from '@flexmoe/moe-core';

export type { NamedWeight };

/** `FlexMoEConfig` with the fields inference does not need made optional. */
export type ExportModelConfig = Pick<
  FlexMoEConfig,
  'modalities' | 'patches' | 'hidden' | 'heads' | 'experts' | 'topK' | 'layers' | 'classes'
> &
  Partial<Pick<FlexMoEConfig, 'dropout' | 'routerLossWeight' | 'ablation' | 'patchProjection'>>;

/** Weights by architecture.md name (`encoder0/patch_kernel`, `layer0/ln1_gamma`, `bank`, …). */
export type NamedWeights = Map<string, NamedWeight>;
