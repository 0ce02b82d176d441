/**
 * Test helper: gate tests that need an external program (PLINK, Chromium). When the program is missing the
 * tests skip with one printed line naming it and how to install it; with FLEXMOE_REQUIRE_TOOLS=1 (set by CI)
 * a missing program is an error instead, so CI never skips.
 *
 *   const plink = toolForTests('plink');
 *   (plink ? describe : describe.skip)('needs PLINK', () => { ... });
 */
import { findExternalTool, missingToolMessage, type ExternalToolName } from '../tools/external-tools.js';

/** Prefix of the skip line; tools/scripts/test-summary.mjs collects these lines to explain the skip count. */
export const TOOL_SKIP_PREFIX = 'flexmoe-skip:';

/** Environment variable that turns a missing tool into a failure. */
export const REQUIRE_TOOLS_VAR = 'FLEXMOE_REQUIRE_TOOLS';

/**
 * The executable of `tool`, or undefined after printing one skip line to stderr (written directly, not through
 * the test runner's console, so it is a single line in the log). Throws when FLEXMOE_REQUIRE_TOOLS=1.
 * `context` names what is skipped (e.g. the test file).
 */
export function toolForTests(
  tool: ExternalToolName,
  context: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  write: (line: string) => void = (line) => void process.stderr.write(line),
): string | undefined {
  const found = findExternalTool(tool, env);
  if (found !== undefined) return found;
  const message = missingToolMessage(tool, env);
  if (env[REQUIRE_TOOLS_VAR] === '1') {
    throw new Error(`${REQUIRE_TOOLS_VAR}=1 but ${message}`);
  }
  write(`${TOOL_SKIP_PREFIX} ${tool} — ${context}: ${message}\n`);
  return undefined;
}
