import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Options of {@link registerStaticUi}. */
export interface StaticUiOptions {
  /** Folder of the built browser app. */
  appDir: string;
  /** The app's index.html, set to open `model.onnx`. */
  indexHtml: string;
  /** Bytes of the served model, offered at `/model.onnx`. */
  model: Uint8Array;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * `flexmoe serve --ui`: the browser app at `/` next to the API, and the served model at `/model.onnx`. Only
 * files of the app folder with a known type are served (no listing, no path outside the folder); anything
 * else is the service's usual JSON 404. The app predicts in the browser: it never calls the API.
 */
export function registerStaticUi(app: FastifyInstance, options: StaticUiOptions): void {
  const root = path.resolve(options.appDir);
  const headers = (reply: FastifyReply, type: string): FastifyReply =>
    reply.header('content-type', type).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache');
  const notFound = (reply: FastifyReply, url: string): FastifyReply =>
    reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route GET ${url}` });

  app.get('/', async (_request, reply) => headers(reply, CONTENT_TYPES['.html']).send(options.indexHtml));
  app.get('/index.html', async (_request, reply) => headers(reply, CONTENT_TYPES['.html']).send(options.indexHtml));
  app.get('/model.onnx', async (_request, reply) =>
    headers(reply, 'application/octet-stream').send(Buffer.from(options.model)),
  );
  app.get('/*', async (request, reply) => {
    const url = request.url.split('?')[0];
    let rel: string;
    try {
      rel = decodeURIComponent(url).replace(/^\/+/, '');
    } catch {
      return notFound(reply, url);
    }
    const file = path.resolve(root, rel);
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
    if (!type || !file.startsWith(`${root}${path.sep}`)) return notFound(reply, url);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return notFound(reply, url);
    }
    return headers(reply, type).send(body);
  });
}
