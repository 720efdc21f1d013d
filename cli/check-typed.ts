import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ESLint } from 'eslint';

/**
 * `--typed` where no tsconfig.json takes a file in. The project service finds each file's
 * tsconfig.json; a file none includes (a folder without one, scripts a tsconfig leaves out)
 * fails to parse with "was not found by the project service". Those files are linted again
 * with one program of default compiler options (allowJs, strict, the bundler's module
 * resolution) that lists them all, so they are type-checked instead of reported unparsed.
 */

const NOT_IN_A_PROJECT = /was not found by the project service/;

/** Files whose only message is the project service's "not found". */
export function filesOutsideProjects(results: readonly ESLint.LintResult[]): string[] {
  return results
    .filter(
      (result) => result.messages.length === 1 && result.messages[0]!.fatal === true && NOT_IN_A_PROJECT.test(result.messages[0]!.message),
    )
    .map((result) => result.filePath);
}

/** Default compiler options for files outside every tsconfig.json. */
export function defaultCompilerOptions(base: string): Record<string, unknown> {
  const typeRoots = nearestTypeRoots(base);
  return {
    allowJs: true,
    checkJs: false,
    noEmit: true,
    strict: true,
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    jsx: 'preserve',
    lib: ['es2023', 'dom', 'dom.iterable'],
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    ...(typeRoots === undefined ? {} : { typeRoots: [typeRoots] }),
  };
}

/**
 * Runs `lint` with the path of a temporary tsconfig.json that lists `files` under default
 * compiler options, and removes it afterwards.
 */
export async function withDefaultProject<T>(files: readonly string[], base: string, lint: (tsconfig: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bounded-check-tsconfig-'));
  try {
    const tsconfig = join(dir, 'tsconfig.json');
    await writeFile(tsconfig, JSON.stringify({ compilerOptions: defaultCompilerOptions(base), files }, null, 2));
    return await lint(tsconfig);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The nearest node_modules/@types at or above `dir`, so Node's types resolve as in the project. */
function nearestTypeRoots(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const candidate = join(current, 'node_modules', '@types');
    if (existsSync(candidate)) return candidate;
    if (dirname(current) === current) return undefined;
  }
}
