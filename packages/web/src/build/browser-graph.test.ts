import { build } from 'esbuild';
import path from 'node:path';
import { webPackageDir, workspaceSources } from './build-app.js';

/**
 * The prediction path the app shares with `flexmoe predict` bundles for the browser: no Node module and no
 * onnxruntime-node anywhere in the import graph of @flexmoe/export/browser (which pulls in
 * @flexmoe/data/transform).
 */
describe('browser-safe entries', () => {
  test.each(['@flexmoe/export/browser', '@flexmoe/data/transform', '@flexmoe/data/browser'])(
    '%s bundles with platform browser and imports no Node module',
    async (entry) => {
      const result = await build({
        stdin: { contents: `export * from '${entry}';`, resolveDir: webPackageDir(), loader: 'ts' },
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        metafile: true,
        logLevel: 'silent',
        plugins: [workspaceSources(path.dirname(webPackageDir()))],
      });
      const inputs = Object.keys(result.metafile.inputs);
      const expected: Record<string, string> = {
        '@flexmoe/export/browser': 'export/src/runtime/predictor-core.ts',
        '@flexmoe/data/transform': 'data/src/transforms/transform-record.ts',
        '@flexmoe/data/browser': 'data/src/io/csv-parser.ts',
      };
      expect(inputs.some((i) => i.includes(expected[entry]))).toBe(true);
      expect(
        inputs.filter(
          (i) =>
            /^node:|onnxruntime-node|fastify|apache-arrow|commander/.test(i) ||
            i.includes('/node_modules/onnxruntime-node/'),
        ),
      ).toEqual([]);
      const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
      expect(imports.filter((p) => p.startsWith('node:'))).toEqual([]);
    },
  );
});
