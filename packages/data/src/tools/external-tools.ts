/**
 * The external programs some features or tests run (PLINK for LD pruning, Chromium for checking rendered reports,
 * a Redis server for the trial-queue tests),
 * found the same way everywhere: an explicit environment variable first, then the usual names on `PATH`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Names of the external programs Flex-MoE can use. */
export type ExternalToolName = 'plink' | 'chromium' | 'redis-server';

/** How one external program is found and installed. */
export interface ExternalTool {
  /** Short name used in messages. */
  label: string;
  /** Environment variable holding the executable (a path or a name on `PATH`); checked first. */
  envVar: string;
  /** Executable names tried on `PATH`, in order. */
  names: readonly string[];
  /** One sentence: how to install it. */
  install: string;
}

/** Every external program, with its lookup order and install hint. */
export const EXTERNAL_TOOLS: Readonly<Record<ExternalToolName, ExternalTool>> = {
  plink: {
    label: 'PLINK 1.9',
    envVar: 'FLEXMOE_PLINK',
    names: ['plink1.9', 'plink'],
    install:
      'install PLINK 1.9 (Debian/Ubuntu: apt-get install plink1.9; or https://www.cog-genomics.org/plink/) ' +
      'or set FLEXMOE_PLINK',
  },
  chromium: {
    label: 'Chromium',
    envVar: 'CHROMIUM_PATH',
    names: ['chromium', 'chromium-browser', 'google-chrome'],
    install:
      'install Chromium (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary',
  },
  // Only the tests of the BullMQ trial queue start one; users point --queue at their own Redis.
  'redis-server': {
    label: 'Redis server',
    envVar: 'FLEXMOE_REDIS_SERVER',
    names: ['redis-server'],
    install: 'install Redis (Debian/Ubuntu: apt-get install redis-server) or set FLEXMOE_REDIS_SERVER',
  },
};

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` found as an executable file on `pathVariable` (a `PATH` value), or undefined. */
export function findOnPath(
  names: readonly string[],
  pathVariable: string | undefined = process.env.PATH,
): string | undefined {
  const dirs = (pathVariable ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of names) {
    if (isAbsolute(name)) {
      if (isExecutableFile(name)) return name;
      continue;
    }
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The executable of `tool`: `$envVar` when set (an absolute path, or a name looked up on `PATH`), else the first
 * of its names on `PATH`. Undefined when none is found.
 */
export function findExternalTool(
  tool: ExternalToolName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const spec = EXTERNAL_TOOLS[tool];
  const explicit = env[spec.envVar];
  if (explicit !== undefined && explicit !== '') return findOnPath([explicit], env.PATH);
  return findOnPath(spec.names, env.PATH);
}

/** One line saying that `tool` was not found, where it was looked for, and how to install it. */
export function missingToolMessage(
  tool: ExternalToolName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const spec = EXTERNAL_TOOLS[tool];
  const explicit = env[spec.envVar];
  const where =
    explicit !== undefined && explicit !== ''
      ? `${spec.envVar}='${explicit}' is not an executable file`
      : `none of ${spec.names.join(', ')} is on PATH and ${spec.envVar} is not set`;
  return `${spec.label} not found (${where}): ${spec.install}`;
}
