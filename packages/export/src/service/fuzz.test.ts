import type { FastifyInstance } from 'fastify';
import type { Predictor } from '../runtime/predictor.js';
import { mulberry32 } from '@flexmoe/data';
import { goldenPredictor } from '../testing/golden-service.js';
import { buildServer } from './server.js';

/** One malformed request: body text and content type (undefined = no header). */
interface Malformed {
  kind: string;
  payload: string;
  contentType?: string;
}

/**
 * Seeded generator of request bodies that are invalid by construction: random JSON shapes without a
 * valid top-level key, truncated JSON, corrupted valid records (one field broken), huge numbers, deep
 * nesting, prototype keys, wrong content types.
 */
function malformedBodies(
  seed: number,
  count: number,
  validRecord: (b: number) => { id: string; features: Record<string, number[]> },
): Malformed[] {
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const randomScalar = (): unknown =>
    pick([
      () => rand() * 1e6 - 5e5,
      () => int(100),
      () => 'x'.repeat(int(20)),
      () => null,
      () => rand() < 0.5,
      () => 'NaN',
      () => '1e400',
    ])();
  const randomValue = (depth: number): unknown => {
    if (depth > 4 || rand() < 0.4) return randomScalar();
    if (rand() < 0.5) return Array.from({ length: int(6) }, () => randomValue(depth + 1));
    return Object.fromEntries(
      Array.from({ length: int(5) }, () => [
        pick(['a', 'rec', 'feature', 'Features', 'modality', 'x', '0', 'records ', 'modL']),
        randomValue(depth + 1),
      ]),
    );
  };
  // Mutations that each make a valid record invalid.
  const corrupt: ((r: { id: string; features: Record<string, unknown[]> }) => unknown)[] = [
    (r) => ({ ...r, features: { ...r.features, [pick(['modX', 'L2', 'clinical', ''])]: [1] } }),
    (r) => {
      const k = pick(Object.keys(r.features));
      return { ...r, features: { ...r.features, [k]: r.features[k].slice(0, int(r.features[k].length)) } };
    },
    (r) => {
      const k = pick(Object.keys(r.features));
      return {
        ...r,
        features: { ...r.features, [k]: [...r.features[k], ...Array.from({ length: 1 + int(4) }, () => rand())] },
      };
    },
    (r) => {
      const k = pick(Object.keys(r.features));
      const v = r.features[k].slice();
      v[int(v.length)] = pick(['NaN', null, 'Infinity', true, {}, [], '0.5', -Infinity === -Infinity ? 'inf' : 0]);
      return { ...r, features: { ...r.features, [k]: v } };
    },
    (r) => ({ ...r, id: pick([5, null, true, {}, ['a'], 'x'.repeat(300)]) }),
    (r) => ({ ...r, [pick(['extra', 'Features', 'label', 'modalities'])]: randomValue(2) }),
    () => ({}),
    () => ({ features: {} }),
    () => ({ modalities: {} }),
    () => ({ records: [] }),
    (r) => ({ records: Array.from({ length: 9 + int(5) }, () => r) }),
    (r) => ({ records: [r, { features: { modC: [1, 2] } }] }),
    (r) => ({ records: r }),
    (r) => [r],
    (r) => ({ features: Object.fromEntries(Object.entries(r.features).map(([k, v]) => [k, v.join(',')])) }),
  ];
  const out: Malformed[] = [];
  for (let i = 0; i < count; i++) {
    const valid = validRecord(int(6)) as { id: string; features: Record<string, unknown[]> };
    const kind = pick(['shape', 'truncated', 'corrupt', 'corrupt', 'huge', 'deep', 'proto', 'content-type', 'empty']);
    switch (kind) {
      case 'shape': {
        let v = randomValue(0);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          // keep random objects away from the valid top-level keys
          v = Object.fromEntries(
            Object.entries(v).filter(([k]) => !['features', 'modalities', 'records', 'id'].includes(k)),
          );
          if (Object.keys(v as object).length === 0) v = { junk: 1 };
        }
        out.push({ kind, payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' });
        break;
      }
      case 'truncated': {
        const text = JSON.stringify(rand() < 0.5 ? valid : { records: [valid, valid] });
        out.push({ kind, payload: text.slice(0, int(text.length)), contentType: 'application/json' });
        break;
      }
      case 'corrupt':
        out.push({ kind, payload: JSON.stringify(pick(corrupt)(valid)), contentType: 'application/json' });
        break;
      case 'huge': {
        const k = pick(Object.keys(valid.features));
        const text = JSON.stringify(valid);
        const number = pick(['1e400', '-1e999', '1e39', '-3.5e38', '123456789012345678901234567890e300']);
        const target = `"${k}":[`;
        out.push({
          kind,
          payload: text.replace(target, `${target}${number},`).replace(/,\d[^,\]]*\]/, ']'),
          contentType: 'application/json',
        });
        break;
      }
      case 'deep': {
        const depth = 100 + int(20000);
        const inner = '['.repeat(depth) + ']'.repeat(depth);
        out.push({
          kind,
          payload: rand() < 0.5 ? inner : `{"features":{"modC":${inner}}}`,
          contentType: 'application/json',
        });
        break;
      }
      case 'proto':
        out.push({
          kind,
          payload: pick([
            '{"__proto__":{"x":1},"features":{"modC":[1,2,3]}}',
            '{"constructor":{"prototype":{"x":1}},"features":{"modC":[1,2,3]}}',
            '{"features":{"__proto__":[1,2,3]}}',
          ]),
          contentType: 'application/json',
        });
        break;
      case 'content-type':
        out.push({
          kind,
          payload: JSON.stringify(valid),
          contentType: pick([
            'application/xml',
            'multipart/form-data; boundary=x',
            'application/x-www-form-urlencoded',
            'image/png',
            undefined,
          ]),
        });
        break;
      default:
        out.push({
          kind,
          payload: pick(['', ' ', 'null', '0', '"text"', 'true', '[]', '{', '}']),
          contentType: 'application/json',
        });
    }
  }
  return out;
}

describe('fuzz: malformed request bodies', () => {
  let app: FastifyInstance;
  let predictor: Predictor;
  let validRecord: (b: number) => { id: string; features: Record<string, number[]> };
  beforeAll(async () => {
    ({ predictor, validRecord } = await goldenPredictor());
    app = await buildServer({ predictor, maxBatch: 8, bodyLimit: 256 * 1024, logger: false });
  });
  afterAll(async () => {
    await app.close();
    await predictor.close();
  });

  test('3000 seeded malformed bodies through inject: every answer is 4xx, the service stays up', async () => {
    const bodies = malformedBodies(20261129, 3000, validRecord);
    const statusByKind = new Map<string, Set<number>>();
    for (const b of bodies) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/predict',
        payload: b.payload,
        headers: b.contentType ? { 'content-type': b.contentType } : {},
      });
      if (res.statusCode < 400 || res.statusCode >= 500) {
        throw new Error(
          `${b.kind} body answered ${res.statusCode}: ${b.payload.slice(0, 200)} → ${res.body.slice(0, 200)}`,
        );
      }
      const set = statusByKind.get(b.kind) ?? new Set<number>();
      set.add(res.statusCode);
      statusByKind.set(b.kind, set);
    }
    expect(statusByKind.size).toBe(8);
    expect([...(statusByKind.get('content-type') ?? [])]).toContain(415);
    expect([...(statusByKind.get('corrupt') ?? [])]).toEqual([400]);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    // a valid request still works after the storm
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: validRecord(0),
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.statusCode).toBe(200);
  });

  test('300 malformed bodies over real HTTP on 127.0.0.1: all 4xx, healthz 200 after', async () => {
    const server = await buildServer({ predictor, maxBatch: 8, bodyLimit: 256 * 1024, logger: false });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as { port: number };
    try {
      for (const b of malformedBodies(7, 300, validRecord)) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/predict`, {
          method: 'POST',
          body: b.payload,
          headers: b.contentType ? { 'content-type': b.contentType } : { 'content-type': '' },
        });
        await res.arrayBuffer();
        if (res.status < 400 || res.status >= 500)
          throw new Error(`${b.kind} body answered ${res.status}: ${b.payload.slice(0, 200)}`);
      }
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
