import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

const cache = new Map<string, PackageInfo>();

/**
 * The name and version of the package called `name`, from the package.json found by walking up
 * from `from` (the caller's `import.meta.url`, in its sources or its dist/). When none is found:
 * `fallback` if given (a bundle of the sources has no package.json above it), else an error.
 */
export function findPackageInfo(name: string, from: string, fallback?: PackageInfo): PackageInfo {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Partial<PackageInfo>;
      if (parsed.name === name && typeof parsed.version === 'string') {
        const found = { name, version: parsed.version };
        cache.set(name, found);
        return found;
      }
    } catch {
      // No package.json here; keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) {
      if (fallback === undefined) throw new Error(`${name}: cannot find its own package.json`);
      cache.set(name, fallback);
      return fallback;
    }
    dir = parent;
  }
}
