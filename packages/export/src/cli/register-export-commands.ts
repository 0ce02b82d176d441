import { commandOutput, jsonOption, loadTransforms, type JsonTarget, type OutputStreams } from '@flexmoe/data';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import { exportRun } from '../export-run.js';
import type { GraphVariant } from '../onnx/flexmoe-graph.js';
import { predictFile } from '../runtime/predict-file.js';
import { Predictor } from '../runtime/predictor.js';
import { checkDatasetMatchesModel } from '../runtime/dataset-match.js';
import {
  checkBindAllowed,
  DEFAULT_HARDENING,
  isLoopbackHost,
  readServiceToken,
  SERVE_TOKEN_ENV,
} from '../service/hardening.js';
import { buildServer, DEFAULT_LIMITS, installShutdownHandlers } from '../service/server.js';
import { registerStaticUi } from '../service/static-ui.js';
import type { WebAppProvider } from './web-app-provider.js';

interface ServeFlags {
  model: string;
  port: number;
  host: string;
  device: 'cpu' | 'cuda';
  threads: number;
  data?: string;
  maxBatch: number;
  bodyLimit: number;
  logLevel: string;
  tokenFile?: string;
  insecure: boolean;
  rateLimit: number;
  requestTimeout: number;
  maxConnections: number;
  forceData: boolean;
  ui: boolean;
  json?: JsonTarget;
}

/** Hooks for embedding the commands (tests, the trainer's CLI). */
export interface ExportCommandHooks {
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
  /** Where results and their human-readable summaries go (default: the process streams; `--json [file]`). */
  io?: OutputStreams;
  /** Called once `serve` listens. */
  onListening?: (app: FastifyInstance, address: string) => void;
  /** Install SIGTERM/SIGINT graceful shutdown for `serve` (default true). */
  installSignalHandlers?: boolean;
  /** The browser app, for `export --web` and `serve --ui` (the flexmoe command passes @flexmoe/web's). */
  webApp?: WebAppProvider;
}

function requireWebApp(hooks: ExportCommandHooks, flag: string): WebAppProvider {
  if (!hooks.webApp)
    throw new Error(`${flag} needs the browser app (@flexmoe/web), which this command was built without`);
  return hooks.webApp;
}

const atLeastOne =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be an integer ≥ 1, got ${JSON.stringify(value)}`);
    return n;
  };

const positiveInt =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return n;
  };

/**
 * Adds `export`, `predict` and `serve` to a commander program (the trainer's `flexmoe` CLI calls this).
 * See docs/serving.md for every option.
 */
export function registerExportCommands(program: Command, hooks: ExportCommandHooks = {}): Command {
  const log = hooks.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const io = hooks.io ?? { stdout: process.stdout, stderr: process.stderr };

  program
    .command('export')
    .description("export a run's best model to ONNX (graph, fitted transforms, metadata; see docs/onnx.md)")
    .requiredOption('--run <dir>', 'run directory written by `flexmoe train`')
    .option('--out <file>', 'output .onnx file (written atomically); optional with --web')
    .option('--web <dir>', 'also write the browser app with the model into this folder (any static host serves it)')
    .option('--data <dir>', 'dataset directory (default: the one run.json names)')
    .option('--calibrate', 'fit a softmax temperature on the validation split (stored in the model)', false)
    .option(
      '--ensemble',
      "export the mean probability of all the run's seeds as one graph (default: the best seed)",
      false,
    )
    .option(
      '--counterfactual-rows <n>',
      'synthetic rows per modality stored for "if acquired" effects (0 = none)',
      positiveInt('--counterfactual-rows'),
      32,
    )
    .option(
      '--counterfactual-real-rows',
      'store real training rows instead (puts patient data in the model file)',
      false,
    )
    .addOption(
      new Option('--moe <kind>', 'expert evaluation in the graph').choices(['sparse', 'dense']).default('sparse'),
    )
    .addOption(
      new Option('--linear <kind>', 'dense layers as Gemm or MatMul+Add').choices(['gemm', 'matmul']).default('gemm'),
    )
    .addOption(
      new Option('--attention <kind>', 'standard ops or the com.microsoft fused Attention')
        .choices(['standard', 'fused'])
        .default('standard'),
    )
    .addOption(jsonOption('the export summary'))
    .action(
      async (opts: {
        run: string;
        out?: string;
        web?: string;
        data?: string;
        calibrate: boolean;
        ensemble: boolean;
        counterfactualRows: number;
        counterfactualRealRows: boolean;
        moe: GraphVariant['moe'];
        linear: GraphVariant['linear'];
        attention: GraphVariant['attention'];
        json?: JsonTarget;
      }) => {
        if (!opts.out && !opts.web) throw new Error('export: give --out <file>, --web <dir>, or both');
        const output = commandOutput(opts.json, io);
        const webApp = opts.web ? requireWebApp(hooks, '--web') : undefined;
        const outPath = opts.out ?? path.join(opts.web as string, 'model.onnx');
        const result = await exportRun(opts.run, outPath, {
          datasetDir: opts.data,
          calibrate: opts.calibrate,
          ensemble: opts.ensemble,
          counterfactualRows: opts.counterfactualRows,
          counterfactualRealRows: opts.counterfactualRealRows,
          variant: { moe: opts.moe, linear: opts.linear, attention: opts.attention },
          log,
        });
        const members = result.seeds ? `, the mean of ${result.members} seeds: ${result.seeds.join(', ')}` : '';
        output.text(`wrote ${result.outPath} (${result.bytes} bytes${members})`);
        let web: { dir: string; files: number; bytes: number } | undefined;
        if (webApp && opts.web) {
          web = await webApp.writeApp(opts.web, result.outPath);
          output.text(
            `wrote the browser app with the model to ${web.dir} (${web.files} files, ${web.bytes} bytes); serve it with any static host`,
          );
        }
        output.result(web ? { ...result, web } : result);
      },
    );

  program
    .command('predict')
    .description('predict every record of records.jsonl or a features CSV; writes predictions.jsonl')
    .requiredOption('--model <file>', 'exported .onnx model')
    .requiredOption('--input <file>', 'records.jsonl (raw or features records) or .csv (features)')
    .requiredOption('--out <file>', 'predictions.jsonl (written atomically)')
    .addOption(new Option('--device <device>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'intra-op threads (0 = onnxruntime default)', positiveInt('--threads'), 0)
    .option(
      '--data <dir>',
      'dataset whose transforms turn raw records into features (default: transforms embedded in the model)',
    )
    .option('--counterfactuals', 'report the expected effect of acquiring each missing modality', false)
    .option('--batch-size <n>', 'records per onnxruntime call (≥ 1)', atLeastOne('--batch-size'), 256)
    .option('--force-data', "use --data transforms even when the dataset is not the model's", false)
    .addOption(jsonOption('the prediction summary (counts; the predictions stay in --out)'))
    .action(
      async (opts: {
        model: string;
        input: string;
        out: string;
        device: 'cpu' | 'cuda';
        threads: number;
        data?: string;
        counterfactuals: boolean;
        batchSize: number;
        forceData: boolean;
        json?: JsonTarget;
      }) => {
        const output = commandOutput(opts.json, io);
        const result = await predictFile({
          model: opts.model,
          input: opts.input,
          out: opts.out,
          device: opts.device,
          intraOpThreads: opts.threads || undefined,
          datasetDir: opts.data,
          counterfactuals: opts.counterfactuals,
          batchSize: opts.batchSize,
          forceData: opts.forceData,
          warn: log,
        });
        output.text(
          `${result.predicted} of ${result.records} records predicted on ${result.device}, ` +
            `${result.failed} failed (see the "error" lines of ${opts.out})`,
        );
        output.result(result);
      },
    );

  program
    .command('serve')
    .description('HTTP prediction service: POST /v1/predict, GET /healthz, /readyz, /v1/model')
    .requiredOption('--model <file>', 'exported .onnx model')
    .option('--port <n>', 'TCP port (0 = any free port)', positiveInt('--port'), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--device <device>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'intra-op threads (0 = onnxruntime default)', positiveInt('--threads'), 0)
    .option('--data <dir>', 'dataset whose transforms turn raw records into features (default: embedded transforms)')
    .option('--max-batch <n>', 'most records per request', positiveInt('--max-batch'), DEFAULT_LIMITS.maxBatch)
    .option('--body-limit <bytes>', 'largest request body', positiveInt('--body-limit'), DEFAULT_LIMITS.bodyLimit)
    .option('--ui', 'also serve the browser app at / (it predicts in the browser; the model at /model.onnx)', false)
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
        .default('info'),
    )
    .option('--token-file <file>', `bearer token clients must send (or set ${SERVE_TOKEN_ENV})`)
    .option('--insecure', 'allow a non-loopback --host without a token', false)
    .option(
      '--rate-limit <n>',
      'requests per minute per client address (0 = none)',
      positiveInt('--rate-limit'),
      DEFAULT_HARDENING.rateLimitPerMinute,
    )
    .option(
      '--request-timeout <ms>',
      'a request (headers + body) must arrive within this',
      atLeastOne('--request-timeout'),
      DEFAULT_HARDENING.requestTimeoutMs,
    )
    .option(
      '--max-connections <n>',
      'most open connections',
      atLeastOne('--max-connections'),
      DEFAULT_HARDENING.maxConnections,
    )
    .option('--force-data', "use --data transforms even when the dataset is not the model's", false)
    .addOption(jsonOption('the startup information (url, host, port, model)'))
    .action(async (opts: ServeFlags) => {
      const output = commandOutput(opts.json, io);
      const webApp = opts.ui ? requireWebApp(hooks, '--ui') : undefined;
      const token = await readServiceToken(opts.tokenFile);
      checkBindAllowed(opts.host, token !== undefined, opts.insecure);
      if (opts.insecure && !isLoopbackHost(opts.host) && token === undefined)
        log(`warning: --insecure: serving ${opts.host} without authentication`);
      if (opts.data) await checkDatasetMatchesModel(opts.data, opts.model, opts.forceData);
      const transformer = opts.data ? await loadTransforms(opts.data) : undefined;
      const predictor = await Predictor.load(opts.model, {
        device: opts.device,
        intraOpThreads: opts.threads || undefined,
        transformer,
        warn: log,
      });
      const app = await buildServer({
        predictor,
        maxBatch: Math.max(1, opts.maxBatch),
        bodyLimit: Math.max(1024, opts.bodyLimit),
        logger: { level: opts.logLevel },
        hardening: {
          token,
          rateLimitPerMinute: opts.rateLimit,
          requestTimeoutMs: opts.requestTimeout,
          maxConnections: opts.maxConnections,
        },
      });
      if (webApp) {
        registerStaticUi(app, {
          appDir: await webApp.appDir(),
          indexHtml: await webApp.indexHtml('model.onnx'),
          model: new Uint8Array(await readFile(opts.model)),
        });
      }
      if (hooks.installSignalHandlers ?? true) installShutdownHandlers(app, predictor);
      const address = await app.listen({ host: opts.host, port: opts.port });
      const port = new URL(address).port;
      output.text(`listening on ${address}`);
      output.result({ url: address, host: opts.host, port: Number(port), model: opts.model, device: opts.device });
      hooks.onListening?.(app, address);
    });
  return program;
}
