/**
 * Checks of a training config before anything is written or allocated: moe-core's validation with its
 * field names turned into the command-line flags that set them (`--top-k`, not `FlexMoEConfig.topK`), and a
 * memory estimate that refuses a model too large for the machine or backend (`--experts 100000` would
 * otherwise run for minutes into "memory access out of bounds").
 */
import { totalmem } from 'node:os';
import { validateConfig, type FlexMoEConfig } from '@flexmoe/moe-core';
import { weightShapes } from '@flexmoe/moe-core/spec';

/** The flag that sets each config field (fields without a flag keep their config name). */
export const CONFIG_FIELD_FLAGS: Record<string, string> = {
  topK: '--top-k',
  experts: '--experts',
  hidden: '--hidden',
  heads: '--heads',
  patches: '--patches',
  patchProjection: '--patch-projection',
  layers: '--layers',
  dropout: '--dropout',
  routerLossWeight: '--router-loss-weight',
  ablation: '--ablation',
  dispatch: '--dispatch',
  classWeights: '--class-weights',
  modalities: '--modalities',
};

/** Rewrites `FlexMoEConfig.<field>: …` as `<flag>: …`. */
export function configErrorWithFlag(message: string): string {
  const m = /^FlexMoEConfig\.([A-Za-z]+)(\S*): ([\s\S]*)$/.exec(message);
  if (!m) return message;
  const flag = CONFIG_FIELD_FLAGS[m[1]];
  return flag ? `${flag}: ${m[3]}` : `config field ${m[1]}${m[2]}: ${m[3]}`;
}

/** Validates a config, naming flags in the error. */
export function validateTrainConfig(config: FlexMoEConfig): void {
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(configErrorWithFlag((e as Error).message));
  }
}

/** Parameters of the model (moe-core's weight shapes, counted without allocating it). */
export function estimateParameters(config: FlexMoEConfig): number {
  let n = 0;
  for (const shape of weightShapes(config).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/**
 * Bytes training needs, roughly: weights, gradients, two Adam moments and the best-so-far copy (5 × 4 bytes
 * a parameter), plus the dense expert activations of one batch kept for the backward pass.
 */
export function estimateTrainingBytes(config: FlexMoEConfig, batchSize: number): number {
  const tokens = batchSize * config.modalities.length * config.patches;
  const activations = config.layers * tokens * config.experts * 3 * config.hidden * 4;
  return estimateParameters(config) * 4 * 5 + activations;
}

const GiB = 1024 ** 3;

/**
 * Refuses a model whose estimated training memory exceeds what the backend can address (WebAssembly: 4 GiB)
 * or 80 % of this machine's memory.
 * @throws naming the flags that size the model, with the estimate and the limit
 */
export function checkTrainingMemory(
  config: FlexMoEConfig,
  batchSize: number,
  backend: string,
  machineBytes = totalmem(),
): void {
  const need = estimateTrainingBytes(config, batchSize);
  const limit = Math.min(machineBytes * 0.8, backend === 'wasm' ? 4 * GiB : Infinity);
  if (need <= limit) return;
  throw new Error(
    `--experts ${config.experts} --hidden ${config.hidden} --layers ${config.layers} ` +
      `--batch-size ${batchSize}: training needs an estimated ` +
      `${(need / GiB).toFixed(1)} GiB (${estimateParameters(config).toLocaleString('en-US')} parameters), more than the ` +
      `${(limit / GiB).toFixed(1)} GiB available to the ${backend} backend here; use fewer experts, a smaller hidden width or batch`,
  );
}
