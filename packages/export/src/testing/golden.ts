import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportModelConfig, NamedWeights } from '../model-types.js';

/** Directory of the shared golden fixtures (FLEXMOE_GOLDEN_DIR overrides). */
export function goldenDir(): string {
  return (
    process.env.FLEXMOE_GOLDEN_DIR ??
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/golden')
  );
}

type Nested = number | Nested[];

/** Flattens a nested JSON array row-major into float32, returning the shape too. */
export function flatten(value: Nested): { values: Float32Array; shape: number[] } {
  const shape: number[] = [];
  let cur: Nested = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const out: number[] = [];
  const walk = (v: Nested): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v);
  };
  walk(value);
  return { values: Float32Array.from(out), shape };
}

/** The golden model.json as export input, with batch inputs (zeros where a modality is missing). */
export interface GoldenModel {
  config: ExportModelConfig;
  namedWeights: NamedWeights;
  inputs: Float32Array[];
  observed: boolean[][];
  combinationIndex: number[];
  inferenceLogits: number[][];
  inferenceTopk: number[][][];
}

/** Loads golden model.json and maps its parameter names to architecture.md names. */
export function loadGoldenModel(): GoldenModel {
  const raw = JSON.parse(readFileSync(path.join(goldenDir(), 'model.json'), 'utf8'));
  const c = raw.config;
  const letters: string[] = c.order.split('');
  const config: ExportModelConfig = {
    modalities: letters.map((letter, i) => ({ name: `mod${letter}`, letter, width: c.widths[i] })),
    patches: c.P,
    hidden: c.H,
    heads: c.heads,
    experts: c.E,
    topK: c.k,
    layers: 1,
    classes: c.n_classes,
    dropout: 0,
    routerLossWeight: c.lambda_router,
    ablation: 'none',
  };
  const namedWeights: NamedWeights = new Map();
  for (const [name, value] of Object.entries(raw.params as Record<string, Nested>)) {
    const enc = /^patch_(kernel|bias)_(\d+)$/.exec(name);
    let mapped: string;
    if (enc) mapped = `encoder${enc[2]}/patch_${enc[1]}`;
    else if (name === 'bank' || name === 'pos_embed' || name.startsWith('head_')) mapped = name;
    else mapped = `layer0/${name}`;
    namedWeights.set(mapped, flatten(value));
  }
  const B: number = c.B;
  const inputs = raw.inputs.map((inp: { width: number; sample_indices: number[]; x: number[][] }) => {
    const x = new Float32Array(B * inp.width);
    inp.sample_indices.forEach((b, r) => x.set(inp.x[r], b * inp.width));
    return x;
  });
  return {
    config,
    namedWeights,
    inputs,
    observed: raw.samples.observed,
    combinationIndex: raw.samples.combination_index,
    inferenceLogits: raw.inference.logits,
    inferenceTopk: raw.inference.smoe_calls.map((call: { topk_indices: number[][] }) => call.topk_indices),
  };
}
