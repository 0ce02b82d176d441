import { fitLogistic, predictLogistic } from './logistic-regression.js';

// Reference coefficients: numpy Newton iterations (100 steps, exact Hessian, pinv for the multinomial case
// whose intercepts are defined up to a common constant — both solvers start at 0 and keep their sum at 0)
// on the same objective 0.5·‖W‖² + C·Σ s_i·CE_i, intercept unpenalised. Computed once with numpy 1.x.
const X = [
  [0.5, -1.2, 2.0],
  [1.5, 0.3, -0.7],
  [-0.4, 2.2, 0.1],
  [2.1, -0.5, 1.3],
  [-1.7, 0.8, -1.1],
  [0.9, 1.9, 0.6],
  [-2.2, -0.3, 0.4],
  [1.1, -1.6, -2.0],
  [0.2, 0.7, 1.8],
  [-0.9, -2.1, 0.9],
  [1.8, 1.2, -0.3],
  [-1.3, 0.4, -1.6],
];
const yBinary = Int32Array.from([1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0]);
const yMulti = Int32Array.from([0, 1, 2, 1, 0, 2, 0, 1, 2, 0, 1, 2]);

function matrix(cols: number): Float64Array {
  return Float64Array.from(X.flatMap((r) => r.slice(0, cols)));
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol);
}

describe('fitLogistic (L-BFGS, L2)', () => {
  it('matches numpy Newton on a binary problem without weights (C = 3)', () => {
    const m = fitLogistic(matrix(3), 12, 3, yBinary, 2, { c: 3 });
    expect(m.converged).toBe(true);
    expectClose(m.coef, [1.962248388154, -0.678535247746, 0.384865581148]);
    expectClose(m.intercept, [-0.563947503605]);
  });

  it('matches numpy Newton with class weights (1.5 for class 1, 0.75 for class 0, C = 0.7)', () => {
    const w = Float64Array.from(yBinary, (y) => (y === 1 ? 1.5 : 0.75));
    const m = fitLogistic(matrix(3), 12, 3, yBinary, 2, { c: 0.7, sampleWeights: w });
    expectClose(m.coef, [1.179335040616, -0.392890464803, 0.215520627079]);
    expectClose(m.intercept, [0.306347759065]);
    // Weighting moved the solution: the unweighted fit at the same C differs.
    const plain = fitLogistic(matrix(3), 12, 3, yBinary, 2, { c: 0.7 });
    expect(Math.abs(plain.intercept[0] - m.intercept[0])).toBeGreaterThan(0.05);
  });

  it('matches numpy Newton on a 3-class multinomial problem (C = 1.3)', () => {
    const m = fitLogistic(matrix(2), 12, 2, yMulti, 3, { c: 1.3 });
    expectClose(
      m.coef,
      [-0.940712496861, -0.631026431522, 1.276072380044, -0.214185490223, -0.335359883183, 0.845211921745],
    );
    expectClose(m.intercept, [0.297310035151, -0.49197488894, 0.194664853789]);
  });

  it('predicts probabilities that sum to 1 and equal the sigmoid / softmax of the linear scores', () => {
    const m = fitLogistic(matrix(3), 12, 3, yBinary, 2, { c: 3 });
    const p = predictLogistic(m, matrix(3), 12);
    const z = 1.962248388154 * 0.5 - 0.678535247746 * -1.2 + 0.384865581148 * 2.0 - 0.563947503605;
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-z)), 4);
    for (let i = 0; i < 12; i++) expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 12);
    const mm = fitLogistic(matrix(2), 12, 2, yMulti, 3, { c: 1.3 });
    const pm = predictLogistic(mm, matrix(2), 12);
    expect(pm[0] + pm[1] + pm[2]).toBeCloseTo(1, 12);
  });

  it('names the row and column of a non-finite value and rejects bad labels', () => {
    const x = matrix(3);
    x[7] = Number.NaN;
    expect(() => fitLogistic(x, 12, 3, yBinary, 2, { c: 1 })).toThrow(/row 2, column 1 is NaN/);
    expect(() =>
      fitLogistic(
        matrix(3),
        12,
        3,
        Int32Array.from(yBinary, (y) => y * 2),
        2,
        { c: 1 },
      ),
    ).toThrow(/label 2/);
  });
});
