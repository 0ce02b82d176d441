/**
 * `flexmoe audit ARTIFACT --data DS`: fails (exit 1) when a model file, run directory or report contains a
 * training patient id or a rare raw text value of the dataset (docs/privacy.md). Hits name the artifact file
 * and where the needle comes from, never the value itself.
 */
import type { Command } from 'commander';
import { commandOutput, jsonOption, type JsonTarget } from '@flexmoe/data';
import { auditArtifact } from '@flexmoe/export';
import type { CliIo } from '../program.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) throw new Error(`${flag}: expected an integer ≥ 1, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** Registers `flexmoe audit`. */
export function registerAuditCommand(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('scan a model file, run directory or report for training ids and rare raw text values of a dataset')
    .argument('<artifact>', 'file or directory to scan (recursively)')
    .requiredOption('--data <dir>', 'dataset the artifact was made from')
    .option('--raw <paths>', "comma-separated raw tables or directories of them (default: the dataset's sources)")
    .option(
      '--min-count <k>',
      'text values held by at least k training patients are allowed',
      positiveInt('--min-count'),
      5,
    )
    .addOption(jsonOption('the audit result'))
    .action(async (artifact: string, o: { data: string; raw?: string; minCount: number; json?: JsonTarget }) => {
      const output = commandOutput(o.json, io);
      const result = await auditArtifact(artifact, o.data, {
        rawFiles: o.raw?.split(',').map((f) => f.trim()),
        minCount: o.minCount,
      });
      // The manifest names its sources relative to the raw folder, so without --raw they are often not found.
      const shown = result.rawFilesMissing.slice(0, 3).join(', ');
      const more = result.rawFilesMissing.length > 3 ? ` and ${result.rawFilesMissing.length - 3} more` : '';
      const missing =
        result.rawFilesMissing.length > 0
          ? `; raw files not found, their values not checked (give --raw with the raw folder): ${shown}${more}`
          : '';
      output.text(
        `audited ${result.scannedFiles.length} file(s) for ${result.ids} training ids and ${result.values} rare raw values ` +
          `(from ${result.rawFilesRead.length} raw file(s))${missing}`,
      );
      for (const h of result.hits)
        output.text(`FOUND ${h.kind === 'id' ? 'a training id' : 'a raw value'} (${h.source}) in ${h.file}`);
      output.text(result.hits.length === 0 ? 'no patient data found' : `${result.hits.length} hit(s)`);
      output.result(result);
      if (result.hits.length > 0)
        throw Object.assign(new Error(`audit found ${result.hits.length} hit(s)`), { exitCode: 1, reported: true });
    });
}
