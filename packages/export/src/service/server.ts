import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { PredictionOutcome } from '../runtime/prediction-types.js';
import type { Predictor } from '../runtime/predictor.js';
import { InputError } from '../runtime/record-inputs.js';
import { DEFAULT_HARDENING, installAccessControl, serverWithTimeouts, type ServiceHardening } from './hardening.js';
import { formatSchemaError, predictBodySchema, type SchemaError, type ServiceLimits } from './request-schema.js';

/** Options of {@link buildServer}. */
export interface ServerOptions {
  predictor: Predictor;
  /** Most records per batch request (default 64). */
  maxBatch?: number;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Fastify/pino logger options (default: info level to stdout); `false` disables logging. */
  logger?: FastifyServerOptions['logger'];
  /** Timeouts, connection cap, rate limit, bearer token (defaults: {@link DEFAULT_HARDENING}, no token). */
  hardening?: Partial<ServiceHardening>;
}

/** In-flight requests get this long to finish after SIGTERM/SIGINT. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Default limits. */
export const DEFAULT_LIMITS: ServiceLimits = { maxBatch: 64, bodyLimit: 1024 * 1024 };

interface PredictQuery {
  counterfactuals?: boolean;
}

/**
 * The prediction service: `POST /v1/predict`, `GET /healthz`, `GET /readyz`, `GET /v1/model`.
 * Every request body is validated against a schema derived from the model; bad input is a 4xx naming the
 * field. Logs carry method, route, status and timing, never record values or ids.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { predictor } = options;
  const limits: ServiceLimits = {
    maxBatch: options.maxBatch ?? DEFAULT_LIMITS.maxBatch,
    bodyLimit: options.bodyLimit ?? DEFAULT_LIMITS.bodyLimit,
  };
  const hardening: ServiceHardening = { ...DEFAULT_HARDENING, ...options.hardening };
  const app = Fastify({
    bodyLimit: limits.bodyLimit,
    logger: options.logger ?? { level: 'info' },
    // No type coercion ("1" stays a string, null stays null), no silent removal of unknown fields.
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(formatSchemaError(errors as SchemaError[], dataVar)),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Request logs: method and path only (the default serializer is kept off the body anyway).
    disableRequestLogging: false,
    serverFactory: serverWithTimeouts(hardening),
    connectionTimeout: hardening.idleTimeoutMs,
    keepAliveTimeout: hardening.keepAliveTimeoutMs,
    requestTimeout: hardening.requestTimeoutMs,
  });
  await installAccessControl(app, hardening);
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    const status = error.validation ? 400 : error instanceof InputError ? 400 : (error.statusCode ?? 500);
    if (status >= 500) {
      // Message only: errors here come from the runtime, not from request values.
      request.log.error({ err: { type: error.name, message: error.message, code: error.code } }, 'request failed');
      return reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
    }
    request.log.info(
      { statusCode: status, code: error.code ?? (error.validation ? 'FST_ERR_VALIDATION' : error.name) },
      'request rejected',
    );
    const name =
      status === 413
        ? 'Payload Too Large'
        : status === 429
          ? 'Too Many Requests'
          : status === 408
            ? 'Request Timeout'
            : 'Bad Request';
    return reply.status(status).send({ statusCode: status, error: name, message: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    closing ? reply.status(503).send({ status: 'closing' }) : { status: 'ready', device: predictor.device },
  );
  app.get('/v1/model', async () => {
    // What a client needs to build requests and read answers; no training options, paths or stored rows.
    const m = predictor.metadata;
    return {
      producer: m.producer,
      modalities: m.modalities,
      classes: m.classes,
      temperature: m.temperature,
      calibrated: m.calibration !== undefined,
      transformsSha256: m.transformsSha256 ?? null,
      counterfactualModalities: m.counterfactualSamples.filter((s) => s.rows > 0).map((s) => s.modality),
      acceptsRawRecords: predictor.acceptsRawRecords,
      limits,
      // Only for a seed ensemble: how many models the probabilities average, and their seeds.
      ...(m.ensemble && { ensemble: m.ensemble }),
    };
  });

  const bodySchema = predictBodySchema(predictor.metadata, limits);
  app.post<{ Body: unknown; Querystring: PredictQuery }>(
    '/v1/predict',
    {
      schema: {
        body: bodySchema,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { counterfactuals: { type: 'string', enum: ['true', 'false', '1', '0'] } },
        },
      },
    },
    async (request) => {
      const body = request.body as { records?: unknown[] };
      const batch = Array.isArray(body.records);
      const records = batch ? (body.records as unknown[]) : [body];
      records.forEach((r, i) => rejectServerSideFiles(r, batch ? `body/records/${i}` : 'body'));
      const query = request.query as { counterfactuals?: string };
      const counterfactuals = query.counterfactuals === 'true' || query.counterfactuals === '1';
      const outcomes = await predictor.predictRecords(records, { counterfactuals }, batch ? 'body/records' : 'body');
      const failed = outcomes.find((o): o is Extract<PredictionOutcome, { ok: false }> => !o.ok);
      if (failed) {
        // Single records are named `body[0]` by the runtime; name them `body`.
        throw new InputError(batch ? failed.error : failed.error.replace(/^body\[0\]/, 'body'));
      }
      const predictions = outcomes.map((o) => (o as Extract<PredictionOutcome, { ok: true }>).prediction);
      return batch ? { predictions } : predictions[0];
    },
  );
  return app;
}

/**
 * Raw image parts may name a NIfTI file (`{ "nifti": "<path>" }`), which the transforms would read from the
 * server's disk: not over HTTP. Clients send `{ "voxels": [...] }` instead.
 */
function rejectServerSideFiles(record: unknown, where: string): void {
  const modalities = (record as { modalities?: unknown }).modalities;
  if (modalities === null || typeof modalities !== 'object') return;
  for (const [name, part] of Object.entries(modalities as Record<string, unknown>)) {
    if (part !== null && typeof part === 'object' && !Array.isArray(part) && 'nifti' in part) {
      throw new InputError(
        `${where}/modalities/${name}/nifti: file paths are not accepted over HTTP; send { "voxels": [...] }`,
      );
    }
  }
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, release the
 * model, exit 0. Returns a function that removes the handlers.
 */
export function installShutdownHandlers(
  app: FastifyInstance,
  predictor: Predictor,
  exit: (code: number) => void = (code) => process.exit(code),
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
  graceMs = SHUTDOWN_GRACE_MS,
): () => void {
  let started = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (started) return;
    started = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // Node stops sweeping request timeouts once the server closes: a client that never finishes its body
    // would keep the process alive. After the grace period every remaining connection is closed.
    setTimeout(() => app.server.closeAllConnections(), graceMs).unref();
    app
      .close()
      .then(() => predictor.close())
      .then(
        () => exit(0),
        (e: Error) => {
          app.log.error({ err: { message: e.message } }, 'shutdown failed');
          exit(1);
        },
      );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
