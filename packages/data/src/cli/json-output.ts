/**
 * The `--json [file]` convention of every Flex-MoE command that has a result (docs/cli.md):
 * `--json` alone (or `--json -`) prints the result as JSON on stdout and sends the human-readable text to stderr,
 * so stdout stays machine-readable; `--json <file>` writes the JSON to that file (atomically) and the human text
 * stays on stdout.
 */
import { Option } from 'commander';
import { writeFileAtomicSync } from '../io/atomic-write.js';

/** Parsed value of `--json [file]`: undefined (absent), true (stdout) or a file path. */
export type JsonTarget = boolean | string | undefined;

/** The `--json [file]` option; `what` names the result in the help text. */
export function jsonOption(what = 'the result'): Option {
  return new Option(
    '--json [file]',
    `${what} as JSON: on stdout (other output then goes to stderr), or written to <file>`,
  );
}

/** Streams a command writes to. */
export interface OutputStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Where a command's human text and its result go under the `--json [file]` convention. */
export interface CommandOutput {
  /** True when the JSON result goes to stdout (human text is then on stderr; progress bars should stay off). */
  jsonOnStdout: boolean;
  /** Writes human-readable text (a newline is added when missing). */
  text(text: string): void;
  /** Emits the result as JSON: stdout, a file, or nowhere when `--json` was not given. */
  result(value: unknown): void;
}

/** The output of one command for its parsed `--json` value. */
export function commandOutput(json: JsonTarget, io: OutputStreams): CommandOutput {
  const jsonOnStdout = json === true || json === '-';
  return {
    jsonOnStdout,
    text(text: string): void {
      (jsonOnStdout ? io.stderr : io.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
    },
    result(value: unknown): void {
      const body = `${JSON.stringify(value, null, 2)}\n`;
      if (jsonOnStdout) io.stdout.write(body);
      else if (typeof json === 'string' && json !== '') writeFileAtomicSync(json, body);
    },
  };
}
