/**
 * Does the project compile `await using`? release-clients asks this of the nearest
 * tsconfig.json when its `usingDeclarations` option is `'auto'`.
 *
 * Yes when the compiler options name the disposable declarations: `lib` lists `esnext` or
 * `esnext.disposable`, or there is no `lib` and `target` is `esnext` (whose default lib has
 * them). `extends` chains to relative files are followed (up to 8 deep); a package preset
 * (`"extends": "@tsconfig/node20"`) is not resolved, so only the local file's own options count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

interface CompilerOptions {
  target?: unknown;
  lib?: unknown;
}

const cache = new Map<string, boolean>();

/** JSON with comments and trailing commas (tsconfig's dialect) → a value. Throws on anything else. */
export function parseJsonc(source: string): unknown {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '"') {
      const end = /^"(?:[^"\\\n]|\\.)*"/.exec(source.slice(i));
      if (end === null) throw new SyntaxError('unterminated string');
      out += end[0];
      i += end[0].length - 1;
    } else if (char === '/' && source[i + 1] === '/') {
      const newline = source.indexOf('\n', i);
      i = (newline === -1 ? source.length : newline) - 1;
    } else if (char === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close === -1) throw new SyntaxError('unterminated comment');
      i = close + 1;
    } else {
      out += char;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as unknown;
}

function readOptions(file: string, depth: number): CompilerOptions {
  const config = parseJsonc(readFileSync(file, 'utf8')) as { extends?: unknown; compilerOptions?: CompilerOptions };
  let base: CompilerOptions = {};
  const parents = typeof config.extends === 'string' ? [config.extends] : Array.isArray(config.extends) ? config.extends : [];
  for (const parent of parents) {
    if (typeof parent !== 'string' || !parent.startsWith('.') || depth >= 8) continue;
    const path = resolve(dirname(file), parent.endsWith('.json') ? parent : `${parent}.json`);
    if (existsSync(path)) base = { ...base, ...readOptions(path, depth + 1) };
  }
  return { ...base, ...(config.compilerOptions ?? {}) };
}

/** Whether compiler options with this `target` and `lib` accept `await using`. */
export function optionsAllowUsing(options: CompilerOptions): boolean {
  const target = typeof options.target === 'string' ? options.target.toLowerCase() : undefined;
  if (Array.isArray(options.lib)) {
    return options.lib.some((lib) => typeof lib === 'string' && ['esnext', 'esnext.disposable', 'esnext.full'].includes(lib.toLowerCase()));
  }
  return target === 'esnext';
}

/** Whether the nearest tsconfig.json above `filePath` targets `await using`; false when there is none or it cannot be read. */
export function projectTargetsUsing(filePath: string): boolean {
  let dir = dirname(resolve(filePath === '' ? 'file.ts' : filePath));
  const start = dir;
  const known = cache.get(start);
  if (known !== undefined) return known;
  let answer = false;
  for (;;) {
    const candidate = resolve(dir, 'tsconfig.json');
    if (existsSync(candidate)) {
      try {
        answer = optionsAllowUsing(readOptions(candidate, 0));
      } catch {
        answer = false;
      }
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  cache.set(start, answer);
  return answer;
}
