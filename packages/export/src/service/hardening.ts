/**
 * Limits and access control of the prediction service (docs/serving.md "Limits and access"): timeouts that
 * close slow or idle connections, a connection cap, per-client rate limiting (@fastify/rate-limit, 429 with
 * `x-ratelimit-*` and `retry-after` headers), optional bearer-token authentication compared in constant time,
 * and the rule that a non-loopback address needs a token (or an explicit `--insecure`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { isIP } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Timeouts, connection cap, rate limit and token of the service. */
export interface ServiceHardening {
  /** Whole request (headers + body) must arrive within this (ms); a slow body is cut off. */
  requestTimeoutMs: number;
  /** Headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic at all is closed after this (ms). */
  idleTimeoutMs: number;
  /** Most open connections; further ones are refused by the server. */
  maxConnections: number;
  /** Requests per minute per client address (0 = no limit). */
  rateLimitPerMinute: number;
  /** Bearer token every `/v1/*` request must carry (undefined = no authentication). */
  token?: string;
}

/** Defaults: generous for real clients, short enough that slow or idle clients cannot pile up. */
export const DEFAULT_HARDENING: ServiceHardening = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxConnections: 1024,
  rateLimitPerMinute: 6000,
};

/** Environment variable holding the bearer token (alternative to `--token-file`). */
export const SERVE_TOKEN_ENV = 'FLEXMOE_SERVE_TOKEN';

/** True for loopback addresses (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/**
 * Refuses to expose the service beyond this machine without authentication.
 * @throws naming `--host`, `--token-file`/`FLEXMOE_SERVE_TOKEN` and `--insecure`
 */
export function checkBindAllowed(host: string, hasToken: boolean, insecure: boolean): void {
  if (isLoopbackHost(host) || hasToken || insecure) return;
  throw new Error(
    `--host ${host} listens beyond this machine, and the service has no authentication: give a token with --token-file FILE ` +
      `or ${SERVE_TOKEN_ENV}, or pass --insecure to serve without one`,
  );
}

/**
 * The bearer token from `--token-file` (first line, trimmed) or the environment.
 * @throws naming the file when it cannot be read or the token is shorter than 16 characters
 */
export async function readServiceToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  let token: string | undefined;
  let from: string;
  if (tokenFile !== undefined) {
    from = `--token-file ${tokenFile}`;
    try {
      token = (await readFile(tokenFile, 'utf8')).split(/\r?\n/)[0].trim();
    } catch (e) {
      throw new Error(`${from}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else {
    from = SERVE_TOKEN_ENV;
    token = env[SERVE_TOKEN_ENV]?.trim();
    if (token === undefined || token === '') return undefined;
  }
  if (token.length < 16) throw new Error(`${from}: the token must be at least 16 characters long`);
  return token;
}

/** Constant-time check of an `Authorization` header against the token (hashes first: equal lengths). */
export function tokenMatches(token: string, authorization: string | undefined): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const given = createHash('sha256')
    .update(m ? m[1] : '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

/** A Node HTTP server with the timeouts applied (Fastify `serverFactory`). */
export function serverWithTimeouts(h: ServiceHardening) {
  return (handler: http.RequestListener): http.Server => {
    const server = http.createServer(
      {
        requestTimeout: h.requestTimeoutMs,
        headersTimeout: h.headersTimeoutMs,
        keepAliveTimeout: h.keepAliveTimeoutMs,
        // Timeouts above are enforced by a periodic sweep: check often so a slow body is cut near its limit.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, h.requestTimeoutMs / 4)),
      },
      handler,
    );
    server.maxConnections = h.maxConnections;
    server.setTimeout(h.idleTimeoutMs, (socket) => socket.destroy());
    return server;
  };
}

/** Registers rate limiting and (with a token) authentication of every route but `/healthz` and `/readyz`. */
export async function installAccessControl(app: FastifyInstance, h: ServiceHardening): Promise<void> {
  if (h.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: h.rateLimitPerMinute,
      timeWindow: 60_000,
      // Body of the 429: same shape as every other error of the service.
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
      }),
    });
  }
  const token = h.token;
  if (token === undefined) return;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.url.split('?')[0];
    if (route === '/healthz' || route === '/readyz') return;
    if (!tokenMatches(token, request.headers.authorization)) {
      await reply.status(401).header('www-authenticate', 'Bearer').send({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'a valid "Authorization: Bearer <token>" header is required',
      });
    }
  });
}
