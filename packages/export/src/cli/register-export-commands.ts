import { loadTransforms } from '@flexmoe/data';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import { exportRun } from '../export-run.js';
import type { GraphVariant } from '../onnx/flexmoe-graph.js';
import { predictFile } from '../runtime/predict-file.js';
import { Predictor } from '../runtime/predictor.js';
import { checkDatasetMatchesModel } from '../runtime/dataset-match.js';
import { checkBindAllowed, DEFAULT_HARDENING, isLoopbackHost, readServiceToken, SERVE_TOKEN_ENV } from '../service/hardening.js';
import { buildServer, DEFAULT_LIMITS, installShutdownHandlers } from '../service/server.js';

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
}

/** Hooks for embedding the commands (tests, the trainer's CLI). */
export interface ExportCommandHooks {
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
  /** Called once `serve` listens. */
  onListening?: (app: FastifyInstance, address: string) => void;
  /** Install SIGTERM/SIGINT graceful shutdown for `serve` (default true). */
  installSignalHandlers?: boolean;
}

const atLeastOne = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer ≥ 1, got ${JSON.stringify(value)}`);
  return n;
};

const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
};

/**
 * Adds `export`, `predict` and `serve` to a commander program (the trainer's `flexmoe` CLI calls this).
 * See docs/serving.md for every option.
 */
export function registerExportCommands(program: Command, hooks: ExportCommandHooks = {}): Command {
  const log = hooks.log ?? ((m: string) => process.stderr.write(`${m}\n`));

  program
    .command('export')
    .description('export a run\'s best model to ONNX (graph, fitted transforms, metadata; see docs/onnx.md)')
    .requiredOption('--run <dir>', 'run directory written by `flexmoe train`')
    .requiredOption('--out <file>', 'output .onnx file (written atomically)')
    .option('--data <dir>', 'dataset directory (default: the one run.json names)')
    .option('--calibrate', 'fit a softmax temperature on the validation split (stored in the model)', false)
    .option('--counterfactual-rows <n>', 'synthetic rows per modality stored for "if acquired" effects (0 = none)', positiveInt('--counterfactual-rows'), 32)
    .option('--counterfactual-real-rows', 'store real training rows instead (puts patient data in the model file)', false)
    .addOption(new Option('--moe <kind>', 'expert evaluation in the graph').choices(['sparse', 'dense']).default('sparse'))
    .addOption(new Option('--linear <kind>', 'dense layers as Gemm or MatMul+Add').choices(['gemm', 'matmul']).default('gemm'))
    .addOption(new Option('--attention <kind>', 'standard ops or the com.microsoft fused Attention').choices(['standard', 'fused']).default('standard'))
    .action(async (opts: { run: string; out: string; data?: string; calibrate: boolean; counterfactualRows: number; counterfactualRealRows: boolean; moe: GraphVariant['moe']; linear: GraphVariant['linear']; attention: GraphVariant['attention'] }) => {
      const result = await exportRun(opts.run, opts.out, {
        datasetDir: opts.data,
        calibrate: opts.calibrate,
        counterfactualRows: opts.counterfactualRows,
        counterfactualRealRows: opts.counterfactualRealRows,
        variant: { moe: opts.moe, linear: opts.linear, attention: opts.attention },
        log,
      });
      log(`wrote ${result.outPath} (${result.bytes} bytes)`);
    });

  program
    .command('predict')
    .description('predict every record of records.jsonl or a features CSV; writes predictions.jsonl')
    .requiredOption('--model <file>', 'exported .onnx model')
    .requiredOption('--input <file>', 'records.jsonl (raw or features records) or .csv (features)')
    .requiredOption('--out <file>', 'predictions.jsonl (written atomically)')
    .addOption(new Option('--device <device>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'intra-op threads (0 = onnxruntime default)', positiveInt('--threads'), 0)
    .option('--data <dir>', 'dataset whose transforms turn raw records into features (default: transforms embedded in the model)')
    .option('--counterfactuals', 'report the expected effect of acquiring each missing modality', false)
    .option('--batch-size <n>', 'records per onnxruntime call (≥ 1)', atLeastOne('--batch-size'), 256)
    .option('--force-data', 'use --data transforms even when the dataset is not the model\'s', false)
    .action(async (opts: { model: string; input: string; out: string; device: 'cpu' | 'cuda'; threads: number; data?: string; counterfactuals: boolean; batchSize: number; forceData: boolean }) => {
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
      log(`${result.predicted} of ${result.records} records predicted on ${result.device}, ${result.failed} failed (see the "error" lines of ${opts.out})`);
    });

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
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'))
    .option('--token-file <file>', `bearer token clients must send (or set ${SERVE_TOKEN_ENV})`)
    .option('--insecure', 'allow a non-loopback --host without a token', false)
    .option('--rate-limit <n>', 'requests per minute per client address (0 = none)', positiveInt('--rate-limit'), DEFAULT_HARDENING.rateLimitPerMinute)
    .option('--request-timeout <ms>', 'a request (headers + body) must arrive within this', atLeastOne('--request-timeout'), DEFAULT_HARDENING.requestTimeoutMs)
    .option('--max-connections <n>', 'most open connections', atLeastOne('--max-connections'), DEFAULT_HARDENING.maxConnections)
    .option('--force-data', 'use --data transforms even when the dataset is not the model\'s', false)
    .action(async (opts: ServeFlags) => {
      const token = await readServiceToken(opts.tokenFile);
      checkBindAllowed(opts.host, token !== undefined, opts.insecure);
      if (opts.insecure && !isLoopbackHost(opts.host) && token === undefined) log(`warning: --insecure: serving ${opts.host} without authentication`);
      if (opts.data) await checkDatasetMatchesModel(opts.data, opts.model, opts.forceData);
      const transformer = opts.data ? await loadTransforms(opts.data) : undefined;
      const predictor = await Predictor.load(opts.model, { device: opts.device, intraOpThreads: opts.threads || undefined, transformer, warn: log });
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
      if (hooks.installSignalHandlers ?? true) installShutdownHandlers(app, predictor);
      const address = await app.listen({ host: opts.host, port: opts.port });
      hooks.onListening?.(app, address);
    });
  return program;
}
