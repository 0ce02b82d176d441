import { exportOnnx } from '../export-onnx.js';
import { Predictor } from '../runtime/predictor.js';
import { loadGoldenModel } from './golden.js';

/** A predictor over the golden model (classes CN/MCI/AD, modalities modL/modN/modC) plus valid records. */
export async function goldenPredictor(): Promise<{
  predictor: Predictor;
  validRecord: (b: number) => { id: string; features: Record<string, number[]> };
}> {
  const golden = loadGoldenModel();
  const rows = golden.config.modalities.map((m, i) => ({ m, x: golden.inputs[i] }));
  const stored = golden.config.modalities.map((m, i) => ({
    modality: m.name,
    rows: 2,
    width: m.width,
    values: golden.inputs[i].slice(0, 2 * m.width),
  }));
  const bytes = exportOnnx({
    config: golden.config,
    namedWeights: golden.namedWeights,
    metadata: { classes: ['CN', 'MCI', 'AD'], counterfactualSamples: stored },
  });
  const predictor = await Predictor.load(bytes, { intraOpThreads: 1 });
  const validRecord = (b: number): { id: string; features: Record<string, number[]> } => {
    const features: Record<string, number[]> = {};
    rows.forEach(({ m, x }, i) => {
      if (golden.observed[b][i]) features[m.name] = Array.from(x.subarray(b * m.width, (b + 1) * m.width));
    });
    return { id: `patient-${b}`, features };
  };
  return { predictor, validRecord };
}
