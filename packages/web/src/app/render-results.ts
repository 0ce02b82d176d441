/**
 * The result of one prediction as the page shows it: calibrated probabilities as bars, the combination of
 * modalities used, and for each missing modality the value of acquiring it as a chart (expected class
 * probabilities if acquired next to today's, and how often the predicted class would change).
 */
import type { FlexMoEModelMetadata, MissingModalityEffect, Prediction } from '@flexmoe/export/browser';
import { h, s } from './dom.js';

/** Colour of class i (colour-blind-safe palette, Okabe–Ito). */
export function classColour(i: number): string {
  const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  return palette[i % palette.length];
}

const pct = (p: number, digits = 1): string => `${(100 * p).toFixed(digits)} %`;

/** Probability bars, one per class, the predicted class first in bold. */
function probabilityBars(prediction: Prediction, classes: readonly string[]): HTMLElement {
  const rows = classes.map((c, i) => {
    const p = prediction.probabilities[c];
    return h(
      'div',
      {
        class: `prob-row${c === prediction.predictedClass ? ' predicted' : ''}`,
        'data-class': c,
        'data-probability': p,
      },
      h('span', { class: 'prob-label' }, c),
      h(
        'span',
        { class: 'prob-track' },
        h('span', { class: 'prob-fill', style: `width:${(100 * p).toFixed(2)}%;background:${classColour(i)}` }),
      ),
      h('span', { class: 'prob-value' }, pct(p)),
    );
  });
  return h('div', { class: 'prob-bars', id: 'probabilities' }, ...rows);
}

/** A 100 %-wide bar split into the class probabilities. */
function stackedBar(
  probabilities: Record<string, number>,
  classes: readonly string[],
  y: number,
  height: number,
  width: number,
  x0: number,
): SVGElement {
  const g = s('g');
  let x = x0;
  classes.forEach((c, i) => {
    const w = probabilities[c] * width;
    g.append(
      s(
        'rect',
        { x: x.toFixed(2), y, width: Math.max(0, w).toFixed(2), height, fill: classColour(i) },
        s('title', {}, `${c}: ${pct(probabilities[c])}`),
      ),
    );
    x += w;
  });
  return g;
}

/** The "value of acquiring" chart: one row per missing modality with stored profiles, most informative first. */
function acquisitionChart(
  prediction: Prediction,
  metadata: FlexMoEModelMetadata,
  effects: readonly MissingModalityEffect[],
): SVGElement {
  const classes = metadata.classes;
  const rowHeight = 64;
  const labelWidth = 170;
  const barWidth = 360;
  const width = labelWidth + barWidth + 190;
  const height = 28 + effects.length * rowHeight;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': 'value of acquiring each missing modality',
  });
  svg.append(s('text', { x: labelWidth, y: 14, class: 'axis' }, 'now (thin) vs. expected if acquired (thick)'));
  svg.append(s('text', { x: labelWidth + barWidth + 12, y: 14, class: 'axis' }, 'prediction changes in'));
  effects.forEach((e, r) => {
    const y = 28 + r * rowHeight;
    const name = metadata.modalities.find((m) => m.name === e.modality);
    const row = s('g', { class: 'acq-row', 'data-modality': e.modality });
    row.append(s('text', { x: 0, y: y + 20, class: 'acq-name' }, `${e.modality} (${e.letter})`));
    row.append(s('text', { x: 0, y: y + 38, class: 'acq-sub' }, `±${(100 * e.maxAbsShift).toFixed(1)} pts at most`));
    row.append(stackedBar(prediction.probabilities, classes, y + 4, 8, barWidth, labelWidth));
    row.append(stackedBar(e.expectedProbabilities, classes, y + 16, 24, barWidth, labelWidth));
    row.append(
      s(
        'text',
        { x: labelWidth, y: y + 54, class: 'acq-sub' },
        `expected: ${e.expectedPredictedClass} · over ${e.samples} stored profiles`,
      ),
    );
    // change-probability gauge
    const gx = labelWidth + barWidth + 12;
    row.append(s('rect', { x: gx, y: y + 16, width: 120, height: 24, class: 'gauge-track' }));
    row.append(
      s('rect', {
        x: gx,
        y: y + 16,
        width: (120 * e.predictedClassChangeProbability).toFixed(2),
        height: 24,
        class: 'gauge-fill',
      }),
    );
    row.append(s('text', { x: gx + 126, y: y + 33, class: 'acq-value' }, pct(e.predictedClassChangeProbability, 0)));
    if (!name) row.append(s('title', {}, e.modality));
    svg.append(row);
  });
  return svg;
}

function legend(classes: readonly string[]): HTMLElement {
  return h(
    'div',
    { class: 'legend' },
    ...classes.map((c, i) =>
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${classColour(i)}` }), c),
    ),
  );
}

/** Facts of the run shown under the result. */
export interface RunFacts {
  provider: string;
  /** The prediction itself. */
  elapsedMs: number;
  /** The acquisition values (absent while they are computed). */
  acquisitionMs?: number;
  where: string;
}

/** Fills `target` with the prediction. */
export function renderPrediction(
  target: HTMLElement,
  prediction: Prediction,
  metadata: FlexMoEModelMetadata,
  facts: RunFacts,
): void {
  const observed = new Set(prediction.combination.letters.split(''));
  const chips = metadata.modalities.map((m) =>
    h(
      'span',
      { class: `chip ${observed.has(m.letter) ? 'have' : 'missing'}`, 'data-modality': m.name },
      `${m.letter} ${m.name}`,
    ),
  );
  const effects = prediction.missingModalityEffects ?? [];
  const missingWithout = metadata.modalities.filter(
    (m) => !observed.has(m.letter) && !effects.some((e) => e.modality === m.name),
  );
  const calibration =
    metadata.temperature !== 1
      ? `Probabilities are calibrated: temperature ${metadata.temperature.toFixed(3)} fitted on the validation split` +
        (metadata.calibration
          ? ` (ECE ${metadata.calibration.eceBefore.toFixed(3)} → ${metadata.calibration.eceAfter.toFixed(3)}).`
          : '.')
      : 'This model was exported without calibration (temperature 1): probabilities are the softmax of the logits.';
  target.replaceChildren(
    h('h2', {}, 'Prediction'),
    h(
      'p',
      { class: 'headline' },
      h('strong', { id: 'predicted-class' }, prediction.predictedClass),
      ` · ${pct(prediction.probabilities[prediction.predictedClass])}`,
    ),
    probabilityBars(prediction, metadata.classes),
    h('p', { class: 'note' }, calibration),
    h('h3', {}, 'Modalities used'),
    h(
      'p',
      { class: 'combination' },
      ...chips,
      h(
        'span',
        { class: 'note', id: 'combination' },
        ` combination ${prediction.combination.letters} (index ${prediction.combination.index})`,
      ),
    ),
    h('h3', {}, 'Value of acquiring a missing modality'),
    facts.acquisitionMs === undefined && observed.size < metadata.modalities.length
      ? h('p', { class: 'note', id: 'acquisition' }, 'Computing …')
      : effects.length > 0
        ? h('div', { id: 'acquisition' }, legend(metadata.classes), acquisitionChart(prediction, metadata, effects))
        : h(
            'p',
            { class: 'note', id: 'acquisition' },
            observed.size === metadata.modalities.length
              ? 'Every modality is present.'
              : 'The model stores no profiles to estimate this.',
          ),
    missingWithout.length > 0 && effects.length > 0
      ? h('p', { class: 'note' }, `No stored profiles for ${missingWithout.map((m) => m.name).join(', ')}.`)
      : '',
    h(
      'p',
      { class: 'note' },
      "Expected values average the model's prediction over profiles stored in the model for each missing modality.",
    ),
    h(
      'p',
      {
        class: 'facts',
        id: 'run-facts',
        'data-elapsed-ms': facts.elapsedMs.toFixed(2),
        'data-acquisition-ms': facts.acquisitionMs?.toFixed(2),
        'data-provider': facts.provider,
      },
      `${facts.where}: predicted on this device in ${facts.elapsedMs.toFixed(0)} ms` +
        (facts.acquisitionMs !== undefined ? `, acquisition values in ${facts.acquisitionMs.toFixed(0)} ms` : '') +
        ` (onnxruntime-web, ${facts.provider}).`,
    ),
    h(
      'details',
      {},
      h('summary', {}, 'Output as flexmoe predict writes it'),
      h('pre', { id: 'prediction-json' }, JSON.stringify(prediction, null, 2)),
    ),
  );
}
