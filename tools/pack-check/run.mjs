#!/usr/bin/env node
// Packs every publishable package and installs each one ALONE into an empty directory (its sibling @flexmoe
// tarballs given alongside, everything else from the registry or the npm cache), then runs its documented entry
// point there. Prints per package: tarball size, file count, install ok, entry point ok. Exit 1 if any fails.
// Run after `npm run build`:  node tools/pack-check/run.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'flexmoe-pack-check-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false' };
// A tfjs version that @flexmoe/moe-core's optional peer accepts, for the packages that need TF.js.
const TFJS = '4.22.0';

const packages = ['moe-core', 'encoders', 'data', 'trainer', 'export', 'web', 'cli'];
const manifests = Object.fromEntries(
  packages.map((p) => [p, JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'))]),
);

function sh(cmd, args, cwd, timeout = 600_000) {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
}

/** The @flexmoe/* packages `name` needs at run time, itself included, transitively. */
function flexmoeClosure(pkg, acc = new Set()) {
  if (acc.has(pkg)) return acc;
  acc.add(pkg);
  for (const dep of Object.keys(manifests[pkg].dependencies ?? {})) {
    if (dep.startsWith('@flexmoe/')) flexmoeClosure(dep.slice('@flexmoe/'.length), acc);
  }
  return acc;
}

// 1. Pack.
const packed = {};
for (const p of packages) {
  const [info] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', tarballs], join(root, 'packages', p)));
  packed[p] = {
    file: join(tarballs, info.filename),
    size: info.size,
    entries: info.entryCount,
    files: info.files.map((f) => f.path),
  };
}

// 2. What each package's documented entry point must do, run inside its own install.
const MODEL_SCRIPT =
  `
import { exportOnnx } from '${join(root, 'packages/export/dist/index.js')}';
import { ADNI_SIZED_CONFIG, randomNamedWeights } from '${join(root, 'packages/export/dist/testing/random-model.js')}';
import { writeFileSync } from 'node:fs';
const config = { ...ADNI_SIZED_CONFIG, modalities: [{ name: 'clinical', letter: 'C', width: 6 }, { name: 'labs', letter: 'L', width: 4 }],
  patches: 2, hidden: 8, heads: 2, experts: 4, topK: 2, classes: 2 };
writeFileSync(process.argv.at(-1), exportOnnx({ config, namedWeights: randomNamedWeights(config, 3), ` +
  `metadata: { classes: ['no', 'yes'] } }));
`;
const checks = {
  'moe-core': {
    // Training needs `@tensorflow/tfjs` as well (its Node build registers the gradients; docs/moe-core.md).
    extra: [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-backend-cpu@${TFJS}`, `@tensorflow/tfjs@${TFJS}`],
    files: {
      'step.mjs':
        `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FlexMoEModel, TypedAdam, buildBatch, defaultConfig, disposeBatch } from '@flexmoe/moe-core';
await tf.setBackend('cpu');
const modalities = [{ name: 'clinical', letter: 'C', width: 6 }, { name: 'genomic', letter: 'G', width: 10 }];
const model = await FlexMoEModel.create(defaultConfig(modalities, { classes: 2, hidden: 8, patches: 2, ` +
        `heads: 2, experts: 4, topK: 2 }), { seed: 0 });
const observed = Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1]);
const dense = modalities.map((m) => Float32Array.from({ length: 4 * m.width }, (_, i) => Math.sin(i)));
const batch = buildBatch(model.table, modalities.map((m) => m.width), dense, observed);
const { loss } = model.trainStep(batch, Int32Array.from([0, 1, 0, 1]), new TypedAdam({ learningRate: 1e-3 }));
disposeBatch(batch);
if (!Number.isFinite(loss)) throw new Error('loss is not finite: ' + loss);
console.log('one training step, loss ' + loss.toFixed(4));
`,
    },
    run: (dir) => sh('node', ['step.mjs'], dir),
  },
  encoders: {
    extra: [`@tensorflow/tfjs-core@${TFJS}`],
    run: (dir) =>
      sh(
        'node',
        [
          '--input-type=module',
          '-e',
          "const m = await import('@flexmoe/encoders'); " +
            "if (typeof m.encoderFor !== 'function') throw new Error('no encoderFor'); console.log('import ok')",
        ],
        dir,
      ),
  },
  data: {
    run: (dir) => {
      sh('npx', ['--no-install', 'flexmoe-data', 'synth', 'adni', '--out', 'raw', '--scale', '0.05'], dir);
      sh('npx', ['--no-install', 'flexmoe-data', 'adni', '--raw', 'raw', '--out', 'dataset'], dir);
      const manifest = JSON.parse(readFileSync(join(dir, 'dataset', 'manifest.json'), 'utf8'));
      return `dataset with modalities ${JSON.stringify(manifest.modalities?.map?.((m) => m.letter ?? m.name) ?? Object.keys(manifest))}`;
    },
  },
  trainer: {
    run: (dir) =>
      sh(
        'node',
        [
          '--input-type=module',
          '-e',
          // The optional onnxruntime-node must come with the trainer's own package.json: wasm training then
          // uses its native matrix products (src/backend/onnxruntime-matmul.ts).
          "const m = await import('@flexmoe/trainer'); const c = await m.chooseBackend({ forced: 'wasm', log: () => {} }); " +
            "if (!c.matmul) throw new Error('no native matrix products'); " +
            "console.log(Object.keys(m).length + ' exports; matrix products: ' + c.matmul)",
        ],
        dir,
      ),
  },
  export: {
    noTfjs: true,
    run: (dir) => {
      sh('node', ['--input-type=module', '-e', MODEL_SCRIPT, join(dir, 'tiny.onnx')], root);
      writeFileSync(
        join(dir, 'predict.mjs'),
        `
import { Predictor } from '@flexmoe/export';
const predictor = await Predictor.load('tiny.onnx');
const [out] = await predictor.predictRecords([{ id: 'x', features: { clinical: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6] } }]);
await predictor.close();
if (!out.ok) throw new Error(JSON.stringify(out));
console.log('predicted ' + JSON.stringify(out.prediction.probabilities) + ' for combination ' + out.prediction.combination.letters);
`,
      );
      return sh('node', ['predict.mjs'], dir);
    },
  },
  web: {
    // The tarball carries the built app (prepack), so writing it next to a model needs no bundler run.
    run: (dir) => {
      sh('node', ['--input-type=module', '-e', MODEL_SCRIPT, join(dir, 'tiny.onnx')], root);
      writeFileSync(
        join(dir, 'web.mjs'),
        `
import { existsSync } from 'node:fs';
import { writeWebApp } from '@flexmoe/web';
const r = await writeWebApp('site', 'tiny.onnx');
for (const f of ['index.html', 'app.js', 'model.onnx']) if (!existsSync('site/' + f)) throw new Error('site/' + f + ' missing');
console.log('app with the model in site/: ' + r.files + ' files, ' + r.bytes + ' bytes');
`,
      );
      return sh('node', ['web.mjs'], dir);
    },
  },
  cli: {
    run: (dir) => {
      const v = sh('npx', ['--no-install', 'flexmoe', '--version'], dir).trim();
      if (v !== manifests.cli.version) throw new Error(`flexmoe --version printed '${v}'`);
      return `flexmoe --version → ${v}`;
    },
  },
};

// 3. Install each alone and run its entry point.
let failures = 0;
const rows = [];
for (const p of packages) {
  const dir = join(work, `install-${p}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `pack-check-${p}`, version: '0.0.0', private: true, type: 'module' }),
  );
  const { extra = [], files = {}, run, noTfjs = false } = checks[p];
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const tars = [...flexmoeClosure(p)].map((q) => packed[q].file);
  const row = {
    package: `@flexmoe/${p}`,
    kB: (packed[p].size / 1024).toFixed(1),
    files: packed[p].entries,
    install: 'FAIL',
    entry: '-',
  };
  const problems = packed[p].files.filter(
    (f) => /tsbuildinfo|(^|\/)testing\/|\.test\./.test(f) && !(p === 'data' && /^(dist|src)\/testing\//.test(f)),
  );
  if (!packed[p].files.includes('LICENSE')) problems.push('no LICENSE');
  if (problems.length > 0) {
    row.install = `packed files not allowed: ${problems.slice(0, 3).join(', ')}`;
    failures++;
    rows.push(row);
    continue;
  }
  try {
    sh('npm', ['install', '--prefer-offline', '--no-package-lock', ...tars, ...extra], dir);
    row.install = 'ok';
  } catch (e) {
    row.install = 'FAIL';
    console.error(
      `@flexmoe/${p}: npm install failed:\n${String(e.stderr ?? e.message)
        .split('\n')
        .slice(-15)
        .join('\n')}`,
    );
    failures++;
    rows.push(row);
    continue;
  }
  try {
    if (noTfjs) {
      const ls = sh('npm', ['ls', '--all', '--parseable'], dir);
      if (/@tensorflow\//.test(ls)) throw new Error('TF.js was installed although this package must work without it');
    }
    row.entry = `ok (${String(run(dir)).trim().split('\n').pop()})`;
  } catch (e) {
    row.entry = 'FAIL';
    console.error(
      `@flexmoe/${p}: entry point failed:\n${String(e.stderr || e.message)
        .split('\n')
        .slice(-15)
        .join('\n')}`,
    );
    failures++;
  }
  rows.push(row);
}

for (const r of rows) {
  console.log(
    `${r.package.padEnd(18)} ${String(r.kB).padStart(7)} kB  ${String(r.files).padStart(4)} files  install ${r.install}  entry ${r.entry}`,
  );
}
if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exit(failures > 0 ? 1 : 0);
