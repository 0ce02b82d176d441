/** Minimal inline-SVG chart helpers for the self-contained HTML report (no scripts, no network). */

/** Escapes text for HTML/SVG content and attributes. */
export function esc(text: string | number): string {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Formats a number with `digits` decimals; `–` for NaN. */
export function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** One line of a {@link lineChart}. */
export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/** A line chart with axes, ticks and a legend. */
export function lineChart(
  title: string,
  series: Series[],
  opts: {
    xLabel: string;
    yLabel: string;
    yMin?: number;
    yMax?: number;
    width?: number;
    height?: number;
    diagonal?: boolean;
    integerX?: boolean;
    legendBottomRight?: boolean;
  },
): string {
  const width = opts.width ?? 420;
  const height = opts.height ?? 260;
  const m = { l: 50, r: 12, t: 26, b: 40 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let x0 = xs.length ? Math.min(...xs) : 0;
  let x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = opts.yMin ?? (ys.length ? Math.min(...ys) : 0);
  let y1 = opts.yMax ?? (ys.length ? Math.max(...ys) : 1);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (opts.diagonal) {
    x0 = 0;
    x1 = 1;
  }
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const sy = (y: number): number => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" class="ct">${esc(title)}</text>`);
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="#fff" stroke="#999"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 4}" y="${sy(yv) + 4}" text-anchor="end" class="tk">${fmt(yv, 2)}</text>`);
  }
  const xTicks = opts.integerX
    ? [...new Set(Array.from({ length: 5 }, (_, i) => Math.round(x0 + ((x1 - x0) * i) / 4)))]
    : Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4);
  for (const xv of xTicks) {
    parts.push(
      `<text x="${sx(xv)}" y="${height - m.b + 14}" text-anchor="middle" class="tk">${fmt(xv, Number.isInteger(xv) ? 0 : 2)}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 6}" text-anchor="middle" class="tk">${esc(opts.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(12 ${(m.t + height - m.b) / 2}) rotate(-90)" text-anchor="middle" class="tk">${esc(opts.yLabel)}</text>`,
  );
  if (opts.diagonal) {
    parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  }
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x));
    if (pts.length === 0) return;
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    if (pts.length === 1) parts.push(`<circle cx="${sx(pts[0].x)}" cy="${sy(pts[0].y)}" r="3" fill="${color}"/>`);
    // ROC curves hug the top-left corner, so their legend goes bottom-right.
    const lx = opts.legendBottomRight
      ? width - m.r - 8 - 6.2 * Math.max(...series.map((x) => x.label.length)) - 14
      : m.l + 8;
    const ly = opts.legendBottomRight ? height - m.b - 8 - (series.length - i) * 14 : m.t + 6 + i * 14;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="3" fill="${color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly + 5}" class="lg">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function heatColor(v: number, min: number, max: number): string {
  if (!Number.isFinite(v)) return '#ddd';
  const t = max === min ? 0.5 : Math.max(0, Math.min(1, (v - min) / (max - min)));
  // white -> dark blue
  const r = Math.round(255 - t * (255 - 8));
  const g = Math.round(255 - t * (255 - 48));
  const b = Math.round(255 - t * (255 - 107));
  return `rgb(${r},${g},${b})`;
}

/** A labelled heatmap with the value printed in each cell. */
export function heatmap(
  title: string,
  rowLabels: string[],
  colLabels: string[],
  matrix: number[][],
  opts: { min?: number; max?: number; digits?: number; cell?: number; rowTitle?: string; colTitle?: string } = {},
): string {
  const cell = opts.cell ?? 34;
  const left = 12 + Math.max(4, ...rowLabels.map((l) => l.length)) * 7.5 + 8;
  const top = 44 + Math.max(2, ...colLabels.map((l) => l.length)) * 6;
  const width = Math.max(left + colLabels.length * cell + 10, title.length * 7.2 + 20);
  const height = top + rowLabels.length * cell + 24;
  const values = matrix.flat().filter(Number.isFinite);
  const min = opts.min ?? (values.length ? Math.min(...values) : 0);
  const max = opts.max ?? (values.length ? Math.max(...values) : 1);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" class="ct">${esc(title)}</text>`);
  if (opts.colTitle)
    parts.push(
      `<text x="${left + (colLabels.length * cell) / 2}" y="32" text-anchor="middle" class="tk">${esc(opts.colTitle)}</text>`,
    );
  if (opts.rowTitle) parts.push(`<text x="4" y="${top - 6}" class="tk">${esc(opts.rowTitle)}</text>`);
  colLabels.forEach((l, j) => {
    const x = left + j * cell + cell / 2;
    parts.push(`<text transform="translate(${x + 4} ${top - 4}) rotate(-60)" class="tk">${esc(l)}</text>`);
  });
  rowLabels.forEach((l, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="tk">${esc(l)}</text>`,
    );
    colLabels.forEach((_, j) => {
      const v = matrix[i]?.[j] ?? Number.NaN;
      const x = left + j * cell;
      const y = top + i * cell;
      const t = max === min ? 0.5 : (v - min) / (max - min);
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${heatColor(v, min, max)}" stroke="#fff">` +
          `<title>${esc(`${l} / ${colLabels[j]}: ${fmt(v, 4)}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" class="cv" ` +
          `fill="${t > 0.55 ? '#fff' : '#222'}">${fmt(v, opts.digits ?? 2)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
