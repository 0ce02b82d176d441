import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Predictor } from '../runtime/predictor.js';
import { goldenPredictor } from '../testing/golden-service.js';
import { checkBindAllowed, isLoopbackHost, readServiceToken, SERVE_TOKEN_ENV, tokenMatches } from './hardening.js';
import { buildServer, installShutdownHandlers } from './server.js';

const TOKEN = 'correct-horse-battery-staple-42';

describe('service access rules', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect({ h, loop: isLoopbackHost(h) }).toEqual({ h, loop: true });
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.org'])
      expect({ h, loop: isLoopbackHost(h) }).toEqual({ h, loop: false });
  });
  it('refuses a non-loopback address without a token unless --insecure', () => {
    expect(() => checkBindAllowed('0.0.0.0', false, false)).toThrow(
      /--host 0\.0\.0\.0 .*--token-file FILE or FLEXMOE_SERVE_TOKEN, or pass --insecure/,
    );
    expect(() => checkBindAllowed('0.0.0.0', true, false)).not.toThrow();
    expect(() => checkBindAllowed('0.0.0.0', false, true)).not.toThrow();
    expect(() => checkBindAllowed('127.0.0.1', false, false)).not.toThrow();
  });
  it('reads the token from a file or the environment, and refuses short ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flexmoe-token-'));
    try {
      await writeFile(path.join(dir, 't'), `${TOKEN}\n`);
      expect(await readServiceToken(path.join(dir, 't'), {})).toBe(TOKEN);
      expect(await readServiceToken(undefined, { [SERVE_TOKEN_ENV]: TOKEN })).toBe(TOKEN);
      expect(await readServiceToken(undefined, {})).toBeUndefined();
      await expect(readServiceToken(path.join(dir, 'nope'), {})).rejects.toThrow(
        /--token-file .*nope: cannot be read \(ENOENT\)/,
      );
      await expect(readServiceToken(undefined, { [SERVE_TOKEN_ENV]: 'short' })).rejects.toThrow(
        /FLEXMOE_SERVE_TOKEN: the token must be at least 16/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('compares bearer tokens exactly', () => {
    expect(tokenMatches(TOKEN, `Bearer ${TOKEN}`)).toBe(true);
    expect(tokenMatches(TOKEN, `bearer ${TOKEN}`)).toBe(true);
    expect(tokenMatches(TOKEN, `Bearer ${TOKEN}x`)).toBe(false);
    expect(tokenMatches(TOKEN, TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN, undefined)).toBe(false);
  });
});

describe('hardened service', () => {
  let predictor: Predictor;
  beforeAll(async () => {
    ({ predictor } = await goldenPredictor());
  });
  afterAll(async () => predictor.close());

  it('requires the bearer token on /v1/* but not on health checks', async () => {
    const app = await buildServer({ predictor, logger: false, hardening: { token: TOKEN } });
    try {
      const anonymous = await app.inject('/v1/model');
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect(anonymous.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(
        (await app.inject({ url: '/v1/model', headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
          .statusCode,
      ).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/v1/predict', payload: {} })).statusCode).toBe(401);
      expect((await app.inject({ url: '/v1/model', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(
        200,
      );
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('rate-limits per client with 429 and the rate-limit headers', async () => {
    const app = await buildServer({ predictor, logger: false, hardening: { rateLimitPerMinute: 3 } });
    try {
      const codes: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await app.inject('/healthz');
        codes.push(last.statusCode);
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      expect(last?.headers['x-ratelimit-limit']).toBe('3');
      expect(last?.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
      expect(last?.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      // another client address has its own budget
      expect((await app.inject({ url: '/healthz', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('/v1/model shows what a client needs, no training options or model internals', async () => {
    const app = await buildServer({ predictor, logger: false });
    try {
      const model = (await app.inject('/v1/model')).json();
      expect(Object.keys(model).sort()).toEqual(
        [
          'acceptsRawRecords',
          'calibrated',
          'classes',
          'counterfactualModalities',
          'limits',
          'modalities',
          'producer',
          'temperature',
          'transformsSha256',
        ].sort(),
      );
      expect(model.counterfactualModalities).toEqual(['modL', 'modN', 'modC']);
    } finally {
      await app.close();
    }
  });

  describe('over real sockets', () => {
    let app: FastifyInstance;
    let port: number;
    beforeAll(async () => {
      app = await buildServer({
        predictor,
        logger: false,
        hardening: { requestTimeoutMs: 600, headersTimeoutMs: 600, idleTimeoutMs: 800, maxConnections: 3 },
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as net.AddressInfo).port;
    });
    afterAll(async () => app.close());

    /** Opens a socket; resolves with what the server sent once it closes the connection. */
    const open = (): { socket: net.Socket; closed: Promise<string> } => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('error', () => undefined);
      return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(data))) };
    };

    it('cuts off a body that trickles in (1 byte at a time), answering 408', async () => {
      const { socket, closed } = open();
      socket.write(
        `POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n`,
      );
      let sent = 0;
      const timer = setInterval(() => {
        if (!socket.destroyed && sent < 1000) {
          socket.write(' ');
          sent++;
        }
      }, 100);
      const answer = await closed;
      clearInterval(timer);
      expect(sent).toBeLessThan(1000); // closed long before the body could complete
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    }, 60000);

    it('shuts down on a signal even while a client never finishes its body', async () => {
      const own = await buildServer({
        predictor,
        logger: false,
        hardening: { requestTimeoutMs: 60_000, idleTimeoutMs: 60_000 },
      });
      await own.listen({ host: '127.0.0.1', port: 0 });
      const socket = net.connect((own.server.address() as net.AddressInfo).port, '127.0.0.1');
      socket.on('error', () => undefined);
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write(
        'POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"fea',
      );
      await new Promise((r) => setTimeout(r, 200));
      const exited = new Promise<number>((resolve) => {
        const remove = installShutdownHandlers(
          own,
          { close: async () => undefined } as unknown as Predictor,
          (code) => {
            remove();
            resolve(code);
          },
          ['SIGUSR2'],
          300,
        );
      });
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(await exited).toBe(0);
      await closed;
    }, 60000);

    it('closes idle connections and refuses connections beyond the cap', async () => {
      const idle = [open(), open(), open()];
      await new Promise((r) => setTimeout(r, 100));
      const extra = open();
      expect(await extra.closed).toBe(''); // refused: closed without an answer
      // The header timeout closes the idle ones (a 408 for a connection that sent nothing, or a plain close).
      const answers = await Promise.all(idle.map((c) => c.closed));
      for (const a of answers) expect(a).toMatch(/^(|HTTP\/1\.1 408 [\s\S]*)$/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // room again
    }, 60000);
  });
});
