import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { gitignoreMatcher } from '@bounded/policy';
import type { Io } from './io.js';

/** Source files bounded reads: JavaScript and TypeScript, not declaration files. */
export const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
/** Folders never read: dependencies, VCS data and build output. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', '.turbo']);
/**
 * Files larger than this are skipped and reported by `check` and `migrate` unless
 * `--max-file-size` says otherwise: an 8 MB minified bundle ran the linter out of memory.
 */
export const DEFAULT_MAX_FILE_SIZE = 1024 * 1024;
/** A .gitignore larger than this is not read (no real one comes near). */
const MAX_GITIGNORE_SIZE = 1024 * 1024;

/** Why a file was left out. */
export type SkipReason = 'symlink' | 'too-large';

export interface SkippedSource {
  /** Absolute. */
  readonly file: string;
  readonly reason: SkipReason;
  /** Says why, for a person: "a symbolic link (never followed)", "2.0 MB, over the 1 MB cap". */
  readonly detail: string;
}

export interface SourceOptions {
  /** Files larger than this many bytes are skipped (and listed in `skipped`); default `DEFAULT_MAX_FILE_SIZE`. */
  readonly maxFileSize?: number;
  /**
   * A path given that is a symbolic link: `follow` it (reading is harmless: `check`), or
   * `skip` it and list it (`migrate`, which would replace the link or write outside the tree).
   * Links found inside a folder are never followed either way.
   */
  readonly linkArguments?: 'follow' | 'skip';
}

export interface ResolvedSources {
  readonly files: string[];
  /** Left out, in the order found: symbolic links, files over the size cap. */
  readonly skipped: SkippedSource[];
}

/**
 * The source files a command works on: each path given (default `.`), a folder expanded with
 * `collectSources`. Returns the first path that does not exist instead, for a usage error.
 */
export async function resolveSources(
  paths: readonly string[],
  cwd: string,
  options: SourceOptions = {},
): Promise<ResolvedSources | { missing: string }> {
  const files: string[] = [];
  const skipped: SkippedSource[] = [];
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  for (const path of paths.length === 0 ? ['.'] : paths) {
    const absolute = resolve(cwd, path);
    let info;
    try {
      info = await lstat(absolute);
      if (info.isSymbolicLink()) {
        if (options.linkArguments === 'skip') {
          skipped.push({ file: absolute, reason: 'symlink', detail: 'a symbolic link (never followed or replaced)' });
          continue;
        }
        info = await stat(absolute);
      }
    } catch {
      return { missing: path };
    }
    if (info.isDirectory()) collect(absolute, gitignore(absolute), files, skipped, maxFileSize);
    else if (info.size > maxFileSize) skipped.push(tooLarge(absolute, info.size, maxFileSize));
    else files.push(absolute);
  }
  return { files, skipped };
}

/**
 * Every source file below `root`, sorted, skipping node_modules, build output, what the
 * root's .gitignore ignores, and symbolic links (never followed out of the given paths).
 */
export function collectSources(root: string, out: string[]): void {
  collect(root, gitignore(root), out, [], Number.POSITIVE_INFINITY);
}

/** Patterns from a folder's .gitignore, as matchers on paths relative to it (cli/gitignore.ts: linear time). */
function gitignore(root: string): (path: string, directory: boolean) => boolean {
  let text: string;
  try {
    const file = join(root, '.gitignore');
    const info = lstatSync(file);
    // A link could point at /dev/zero; a huge file is not a .gitignore.
    if (!info.isFile() || info.size > MAX_GITIGNORE_SIZE) return () => false;
    text = readFileSync(file, 'utf8');
  } catch {
    return () => false;
  }
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => gitignoreMatcher(line));
  return (path, directory) => rules.some((rule) => (!rule.directoryOnly || directory) && rule.matcher.test(path));
}

function collect(
  root: string,
  ignored: (path: string, directory: boolean) => boolean,
  out: string[],
  skipped: SkippedSource[],
  maxFileSize: number,
  dir = root,
): void {
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
      collect(root, ignored, out, skipped, maxFileSize, full);
    } else if (entry.isSymbolicLink()) {
      // Never followed: listed when it names a source file or a folder, which would have been read.
      if (ALWAYS_IGNORED.has(entry.name)) continue;
      let directory = false;
      try {
        directory = statSync(full).isDirectory();
      } catch {
        // A dangling link.
      }
      if (directory ? !ignored(rel, true) : isSource(entry.name) && !ignored(rel, false)) {
        skipped.push({ file: full, reason: 'symlink', detail: `a symbolic link${directory ? ' to a folder' : ''} (never followed)` });
      }
    } else if (entry.isFile() && isSource(entry.name) && !ignored(rel, false)) {
      if (Number.isFinite(maxFileSize)) {
        let size = 0;
        try {
          size = lstatSync(full).size;
        } catch {
          // Gone since the listing: the command reports it when it reads it.
        }
        if (size > maxFileSize) {
          skipped.push(tooLarge(full, size, maxFileSize));
          continue;
        }
      }
      out.push(full);
    }
  }
}

function isSource(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && SOURCE_EXTENSIONS.has(name.slice(dot)) && !name.endsWith('.d.ts');
}

function tooLarge(file: string, size: number, cap: number): SkippedSource {
  return { file, reason: 'too-large', detail: `${formatSize(size)}, over the ${formatSize(cap)} cap (--max-file-size)` };
}

/** `1 MB`, `512 KB`, `37 B`: binary units, at most one decimal. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[unit]}`;
}

/**
 * `--max-file-size`: bytes, or with a unit (`500KB`, `2MB`, `1.5M`, `1GB`; binary: 1 KB is
 * 1,024 bytes), or `none` for no cap. Undefined for anything else.
 */
export function parseFileSize(text: string): number | undefined {
  if (/^(?:none|off|unlimited)$/i.test(text.trim())) return Number.POSITIVE_INFINITY;
  const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const bytes = Math.floor(Number(match[1]) * (unit === 'g' ? 1024 ** 3 : unit === 'm' ? 1024 ** 2 : unit === 'k' ? 1024 : 1));
  return bytes > 0 ? bytes : undefined;
}

/**
 * The `--max-file-size` of `bounded <command>`: the default when not given, else the parsed
 * size; undefined (after saying why on standard error) when it does not parse.
 */
export function maxFileSizeOption(command: string, value: string | undefined, io: Io): number | undefined {
  if (value === undefined) return DEFAULT_MAX_FILE_SIZE;
  const size = parseFileSize(value);
  if (size === undefined) io.stderr.write(`bounded ${command}: --max-file-size takes a size such as 500KB, 2MB or none, got "${value}"\n`);
  return size;
}

/**
 * The `check` command's sources, from its flags, in one call: reads `--max-file-size`, refuses
 * an `--output` that would overwrite a file of another kind (unless `--force`; see
 * write-file.ts), resolves the paths and says on standard error what was skipped. Returns the
 * files, or the exit code to stop with (2: a usage error or a refused output).
 */
export async function checkSources(
  positionals: readonly string[],
  values: { readonly 'max-file-size'?: string; readonly force?: boolean; readonly output?: string; readonly format?: string },
  io: Io,
  cwd: string,
): Promise<{ readonly files: string[] } | number> {
  const maxFileSize = maxFileSizeOption('check', values['max-file-size'], io);
  if (maxFileSize === undefined) return 2;
  if (values.output !== undefined && values.force !== true) {
    const { outputRefusal } = await import('./write-file.js');
    const kind = values.format === 'sarif' ? 'sarif' : values.format === 'json' ? 'eslint-json' : 'stylish';
    const refusal = outputRefusal(resolve(cwd, values.output), kind);
    if (refusal !== undefined) {
      io.stderr.write(`bounded check: --output ${values.output}: ${refusal}; pass --force to overwrite it\n`);
      return 2;
    }
  }
  const sources = await resolveSources(positionals, cwd, { maxFileSize, linkArguments: 'follow' });
  if ('missing' in sources) {
    io.stderr.write(`bounded check: no such file or folder: ${sources.missing}\n`);
    return 2;
  }
  // Links inside folders were never read by check: only the files over the cap are news.
  const skipped = sources.skipped.filter((entry) => entry.reason === 'too-large');
  for (const entry of skipped.slice(0, 20)) io.stderr.write(`bounded check: ${relative(cwd, entry.file)}: skipped: ${entry.detail}\n`);
  if (skipped.length > 20) io.stderr.write(`bounded check: … and ${skipped.length - 20} more files over the cap skipped\n`);
  return { files: sources.files };
}
