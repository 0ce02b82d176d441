import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import type { Predictor } from '../runtime/predictor.js';
import { goldenPredictor } from '../testing/golden-service.js';
import { loadGoldenModel } from '../testing/golden.js';
import { buildServer, installShutdownHandlers } from './server.js';

const golden = loadGoldenModel();
const softmax = (row: number[]): number[] => {
  const z = row.reduce((s, v) => s + Math.exp(v), 0);
  return row.map((v) => Math.exp(v) / z);
};

describe('prediction service (inject)', () => {
  let app: FastifyInstance;
  let predictor: Predictor;
  let validRecord: (b: number) => { id: string; features: Record<string, number[]> };
  const logLines: string[] = [];
  beforeAll(async () => {
    ({ predictor, validRecord } = await goldenPredictor());
    const stream = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    app = await buildServer({ predictor, maxBatch: 8, bodyLimit: 64 * 1024, logger: { level: 'info', stream } });
  });
  afterAll(async () => {
    await app.close();
    await predictor.close();
  });

  const post = (payload: unknown, query = '') =>
    app.inject({
      method: 'POST',
      url: `/v1/predict${query}`,
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });

  test('health, readiness and model metadata', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    const model = (await app.inject('/v1/model')).json();
    expect(model.classes).toEqual(['CN', 'MCI', 'AD']);
    expect(model.modalities.map((m: { name: string; width: number }) => [m.name, m.width])).toEqual([
      ['modL', 7],
      ['modN', 5],
      ['modC', 3],
    ]);
    expect(model.limits).toEqual({ maxBatch: 8, bodyLimit: 64 * 1024 });
    expect(model.acceptsRawRecords).toBe(false);
  });

  test('one record and a batch give the golden probabilities', async () => {
    const one = await post(validRecord(4));
    expect(one.statusCode).toBe(200);
    const body = one.json();
    const expected = softmax(golden.inferenceLogits[4]);
    expect(body.probabilities.CN).toBeCloseTo(expected[0], 5);
    expect(body.combination).toEqual({ index: 3, letters: 'NC' });
    expect(body.id).toBe('patient-4');
    const batch = await post({ records: [0, 1, 2, 3, 4, 5].map(validRecord) });
    expect(batch.statusCode).toBe(200);
    const preds = batch.json().predictions;
    expect(preds).toHaveLength(6);
    preds.forEach((p: { probabilities: Record<string, number> }, b: number) => {
      expect(p.probabilities.AD).toBeCloseTo(softmax(golden.inferenceLogits[b])[2], 5);
    });
  });

  test('counterfactuals on request: one effect per missing modality', async () => {
    const res = await post(validRecord(5), '?counterfactuals=true');
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .missingModalityEffects.map((e: { modality: string }) => e.modality)
        .sort(),
    ).toEqual(['modC', 'modN']);
  });

  test.each([
    ['unknown modality', { features: { modX: [1] } }, /body\/features\/modX: unknown field/],
    [
      'wrong feature count',
      { features: { modL: [1, 2, 3] } },
      /body\/features\/modL: must NOT have fewer than 7 items/,
    ],
    [
      'too many features',
      { features: { modC: [1, 2, 3, 4] } },
      /body\/features\/modC: must NOT have more than 3 items/,
    ],
    ['NaN as a string', { features: { modC: [1, 'NaN', 3] } }, /body\/features\/modC\/1: must be number/],
    ['null for a number', { features: { modC: [1, null, 3] } }, /body\/features\/modC\/1: must be number/],
    ['string for a vector', { features: { modC: '1,2,3' } }, /body\/features\/modC: must be array/],
    ['empty record', {}, /body\/modalities: required field is missing/],
    ['empty features', { features: {} }, /body\/features: must NOT have fewer than 1 properties/],
    ['unknown top-level field', { features: { modC: [1, 2, 3] }, extra: 1 }, /body\/extra: unknown field/],
    ['numeric id', { id: 5, features: { modC: [1, 2, 3] } }, /body\/id: must be string/],
    ['empty batch', { records: [] }, /body\/records: must NOT have fewer than 1 items/],
    [
      'batch over the limit',
      { records: Array.from({ length: 9 }, () => ({ features: { modC: [1, 2, 3] } })) },
      /body\/records: must NOT have more than 8 items/,
    ],
    [
      'bad record inside a batch',
      { records: [{ features: { modC: [1, 2, 3] } }, { features: { modN: [1] } }] },
      /body\/records\/1\/features\/modN: must NOT have fewer than 5 items/,
    ],
    ['raw record without transforms', { modalities: { modC: { A: 1 } } }, /raw records need the dataset's transforms/],
    ['JSON array body', [1, 2, 3], /body: must be object/],
    [
      'server-side file path',
      { modalities: { modL: { nifti: '/etc/passwd' } } },
      /body\/modalities\/modL\/nifti: file paths are not accepted over HTTP/,
    ],
  ])('%s → 400 naming the field', async (_name, payload, message) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(message);
  });

  test('non-finite and float32-overflowing numbers → 400 naming the field', async () => {
    const inf = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: '{"features":{"modC":[1,1e400,3]}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(inf.statusCode).toBe(400);
    expect(inf.json().message).toMatch(/body\/features\/modC\/1: must be number/);
    const big = await post({ features: { modC: [1, 2, 1e39] } });
    expect(big.statusCode).toBe(400);
    expect(big.json().message).toMatch(/modC\[2\]: must be a finite number/);
  });

  test('transport-level errors: oversized, invalid JSON, wrong content type, unknown route', async () => {
    const huge = await post({ features: { modC: [1, 2, 3] }, id: 'x'.repeat(70 * 1024) });
    expect(huge.statusCode).toBe(413);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: '{"features":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    const xml = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    const text = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: '{"features":{"modC":[1,2,3]}}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(400);
    expect((await app.inject('/v2/nothing')).statusCode).toBe(404);
    expect((await post(validRecord(0), '?debug=1')).statusCode).toBe(400);
  });

  test('logs carry no patient ids or values', async () => {
    const marker = { id: 'PATIENT-ZZ-4711', features: { modC: [0.123456789, 0.987654321, 0.5550555] } };
    expect((await post(marker)).statusCode).toBe(200);
    expect((await post({ ...marker, features: { modC: [0.123456789, 'NaN', 1] } })).statusCode).toBe(400);
    const text = logLines.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).toContain('"statusCode":200');
    expect(text).not.toContain('PATIENT-ZZ-4711');
    expect(text).not.toContain('0.123456789');
    expect(text).not.toContain('0.987654321');
  });
});

describe('prediction service (listening on 127.0.0.1)', () => {
  test('serves over HTTP; SIGTERM stops accepting, finishes in-flight requests and exits 0', async () => {
    const { predictor, validRecord } = await goldenPredictor();
    const app = await buildServer({ predictor, logger: false });
    // Hold one request in flight long enough to send SIGTERM while it runs.
    app.addHook('preHandler', async (request) => {
      if (request.headers['x-test-delay'])
        await new Promise((r) => setTimeout(r, Number(request.headers['x-test-delay'])));
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ok = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validRecord(0)),
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).combination.letters).toBe('LNC');

    const exitCodes: number[] = [];
    const exited = new Promise<void>((resolve) => {
      installShutdownHandlers(
        app,
        predictor,
        (code) => {
          exitCodes.push(code);
          resolve();
        },
        ['SIGTERM'],
      );
    });
    const inFlight = fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-delay': '400', connection: 'close' },
      body: JSON.stringify(validRecord(1)),
    });
    await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    // no new connections while closing
    await expect(fetch(`${url}/healthz`, { headers: { connection: 'close' } })).rejects.toThrow();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect((await finished.json()).combination.letters).toBe('LN');
    await exited;
    expect(exitCodes).toEqual([0]);
  });
});
