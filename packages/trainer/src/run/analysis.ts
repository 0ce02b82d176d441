import { activationRatios, type FlexMoEModel, type NamedWeight } from '@flexmoe/moe-core';
import { binaryAuc, confusionMatrix, rocCurve } from '../metrics/classification.js';
import type { RunAnalysis } from './run-types.js';
import type { RowPredictions } from './evaluate-rows.js';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : Number.NaN;
}

/**
 * Figure 4 from the bank `[C, M, P, H]`. Rows (observed combinations `used`): similarity of two
 * combinations = mean over the modalities both lack of cos(bank[c1, m], bank[c2, m]) (NaN when they lack
 * none in common; a combination lacking nothing has no used entry). Columns (missing modalities):
 * similarity of m1 and m2 = mean over the used combinations lacking both of cos(bank[c, m1], bank[c, m2]).
 * Only entries that training actually uses (m missing from c) enter.
 */
export function bankSimilarity(
  bank: NamedWeight,
  letters: string[],
  used: { index: number; letters: string; mask: boolean[] }[],
): NonNullable<RunAnalysis['bankSimilarity']> {
  const [, M, P, H] = bank.shape;
  const width = P * H;
  const entry = (c: number, m: number): Float32Array =>
    bank.values.subarray((c * M + m) * width, (c * M + m + 1) * width);
  const combos = used.filter((c) => c.mask.some((seen) => !seen));
  const comboMatrix = combos.map((a) =>
    combos.map((b) => {
      const sims: number[] = [];
      for (let m = 0; m < M; m++) if (!a.mask[m] && !b.mask[m]) sims.push(cosine(entry(a.index, m), entry(b.index, m)));
      return sims.length ? sims.reduce((x, y) => x + y, 0) / sims.length : Number.NaN;
    }),
  );
  const modalityMatrix = letters.map((_, m1) =>
    letters.map((__, m2) => {
      const sims: number[] = [];
      for (const c of combos) if (!c.mask[m1] && !c.mask[m2]) sims.push(cosine(entry(c.index, m1), entry(c.index, m2)));
      return sims.length ? sims.reduce((x, y) => x + y, 0) / sims.length : Number.NaN;
    }),
  );
  return {
    combinations: { labels: combos.map((c) => c.letters), matrix: comboMatrix },
    missingModalities: { labels: letters, matrix: modalityMatrix },
  };
}

/** The report's figures for one trained model and its test predictions. */
export function analyse(
  model: FlexMoEModel,
  seed: number,
  classes: string[],
  test: RowPredictions,
  trainingCombinations: Set<number>,
  routing: { source: string; stats: RowPredictions['routing'] },
): RunAnalysis {
  const letters = model.config.modalities.map((m) => m.letter);
  const C = classes.length;
  const roc =
    C === 2
      ? [
          {
            className: classes[1],
            auc: binaryAuc(
              test.labels.map((l) => l === 1),
              test.probabilities.map((p) => p[1]),
            ),
            points: rocCurve(
              test.labels.map((l) => l === 1),
              test.probabilities.map((p) => p[1]),
            ),
          },
        ]
      : classes.map((name, c) => {
          const pos = test.labels.map((l) => l === c);
          const scores = test.probabilities.map((p) => p[c]);
          return { className: name, auc: binaryAuc(pos, scores), points: rocCurve(pos, scores) };
        });
  const used = model.table.all().filter((c) => trainingCombinations.has(c.index));
  const bank = model.config.ablation === 'no-bank' || letters.length < 2 ? null : model.getNamedWeights().get('bank')!;
  const ratios = activationRatios(routing.stats);
  const seenCombos = model.table.all().filter((c) => routing.stats.tokens[c.index] > 0);
  const experts = Array.from({ length: model.config.experts }, (_, e) =>
    e < model.table.count ? model.table.get(e).letters : `buffer ${e}`,
  );
  return {
    seed,
    classes,
    modalityLetters: letters,
    test: {
      labels: test.labels,
      probabilities: test.probabilities,
      combinations: test.combinations.map((c) => model.table.get(c).letters),
    },
    confusion: confusionMatrix(test.labels, test.predictions, C),
    roc,
    bankSimilarity: bank ? bankSimilarity(bank, letters, used) : null,
    expertActivation: seenCombos.length
      ? {
          source: routing.source,
          combinations: seenCombos.map((c) => c.letters),
          experts,
          ratio: seenCombos.map((c) => ratios[c.index]),
        }
      : null,
  };
}
