import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

let cached: PackageInfo | undefined;

/** eslint-plugin-bounded's own name and version, from its package.json found by walking up from this file (source or dist). */
export function packageInfo(): PackageInfo {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Partial<PackageInfo>;
      if (parsed.name === 'eslint-plugin-bounded' && typeof parsed.version === 'string') {
        cached = { name: parsed.name, version: parsed.version };
        return cached;
      }
    } catch {
      // No package.json here; keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) {
      // A bundle of the sources (the test harness's worker threads) has no package.json above it.
      cached = { name: 'eslint-plugin-bounded', version: '0.0.0-unpackaged' };
      return cached;
    }
    dir = parent;
  }
}
