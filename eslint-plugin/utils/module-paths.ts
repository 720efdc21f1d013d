import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * Project modules by file: `./llm.js` imported from src/a.ts and `../llm` imported from
 * src/jobs/b.ts are the same src/llm.ts. The policy names project functions by file, and the
 * index pass records facts by file, so both are matched on the resolved path, never on how an
 * import spells it.
 */

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const found = new Map<string, string | undefined>();

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    // ENOTDIR (`<file>/index.ts` when an import names a file: `../package.json`), EACCES…: not a source file.
    return false;
  }
}

/** The source file `base` names: itself, with an extension added, its `.ts` twin for `.js`, or its index file. */
export function sourceFileFor(base: string): string | undefined {
  if (found.has(base)) return found.get(base);
  const stem = base.replace(/\.(?:[cm]?js|jsx)$/, '');
  const candidates = [base, ...SOURCE_EXTENSIONS.map((ext) => `${stem}${ext}`), ...SOURCE_EXTENSIONS.map((ext) => `${base}/index${ext}`)];
  const file = candidates.find((candidate) => /\.[cm]?[jt]sx?$/.test(candidate) && isFile(candidate));
  found.set(base, file);
  return file;
}

/** True for a specifier that names a file rather than a package: `./llm`, `../db/index.js`, `/abs/x.ts`. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' || isAbsolute(specifier);
}

/** The file a relative import in `fromFile` resolves to; undefined for a package or a file that is not there. */
export function resolveImportPath(specifier: string, fromFile: string): string | undefined {
  if (!isPathSpecifier(specifier)) return undefined;
  return sourceFileFor(resolve(dirname(fromFile), specifier));
}

/**
 * The key a module is matched by: the resolved file for a path specifier (relative to
 * `fromFile`), the specifier itself for a package.
 */
export function moduleKey(specifier: string, fromFile: string): string {
  return resolveImportPath(specifier, fromFile) ?? specifier;
}

/** Forget resolved paths (tests that write files). */
export function clearModulePaths(): void {
  found.clear();
}

/**
 * The key a module named in the policy is matched by: a project file (`./src/http.ts`) resolved
 * from the policy's folder, a package name as it is.
 */
export function policyModuleKey(module: string, policySource: string | undefined): string {
  if (!isPathSpecifier(module)) return module;
  const absolute = resolve(policySource === undefined ? process.cwd() : dirname(policySource), module);
  return sourceFileFor(absolute) ?? absolute;
}
