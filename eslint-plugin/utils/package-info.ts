import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

let cached: PackageInfo | undefined;

/** eslint-plugin-bounded's own package.json, found by walking up from this file (source or dist). */
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
    if (parent === dir) throw new Error('eslint-plugin-bounded: cannot find its own package.json');
    dir = parent;
  }
}
