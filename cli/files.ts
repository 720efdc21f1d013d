import { readFileSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

/** Source files bounded reads: JavaScript and TypeScript, not declaration files. */
export const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
/** Folders never read: dependencies, VCS data and build output. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', '.turbo']);

/**
 * The source files a command works on: each path given (default `.`), a folder expanded with
 * `collectSources`. Returns the first path that does not exist instead, for a usage error.
 */
export async function resolveSources(paths: readonly string[], cwd: string): Promise<{ files: string[] } | { missing: string }> {
  const files: string[] = [];
  for (const path of paths.length === 0 ? ['.'] : paths) {
    const absolute = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(absolute)).isDirectory();
    } catch {
      return { missing: path };
    }
    if (isDirectory) collectSources(absolute, files);
    else files.push(absolute);
  }
  return { files };
}

/**
 * Every source file below `root`, sorted, skipping node_modules, build output, what the
 * root's .gitignore ignores, and symbolic links (never followed out of the given paths).
 */
export function collectSources(root: string, out: string[]): void {
  collect(root, gitignore(root), out);
}

/** Patterns from a folder's .gitignore, as simple matchers on paths relative to it. */
function gitignore(root: string): (path: string, directory: boolean) => boolean {
  let text: string;
  try {
    text = readFileSync(join(root, '.gitignore'), 'utf8');
  } catch {
    return () => false;
  }
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => {
      const directoryOnly = line.endsWith('/');
      const anchored = line.startsWith('/') || line.slice(0, -1).includes('/');
      const pattern = line.replace(/^\//, '').replace(/\/$/, '');
      const body = pattern
        .split('')
        .map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : /[.+^${}()|[\]\\]/.test(char) ? `\\${char}` : char))
        .join('')
        .replace(/\[\^\/\]\*\[\^\/\]\*/g, '.*');
      const regex = new RegExp(anchored ? `^${body}(/|$)` : `(^|/)${body}(/|$)`);
      return { regex, directoryOnly };
    });
  return (path, directory) => rules.some((rule) => (!rule.directoryOnly || directory) && rule.regex.test(path));
}

function collect(root: string, ignored: (path: string, directory: boolean) => boolean, out: string[], dir = root): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (entry.isDirectory()) {
      if (ALWAYS_IGNORED.has(entry.name) || ignored(rel, true)) continue;
      collect(root, ignored, out, full);
    } else if (entry.isFile() && !entry.isSymbolicLink()) {
      const dot = entry.name.lastIndexOf('.');
      if (dot > 0 && SOURCE_EXTENSIONS.has(entry.name.slice(dot)) && !entry.name.endsWith('.d.ts') && !ignored(rel, false)) out.push(full);
    }
  }
}
