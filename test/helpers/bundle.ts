/**
 * Bundles a TypeScript entry into one ES module for a child process or worker thread, so the
 * child runs exactly the sources under test (no stale dist/). bounded's own workspace packages
 * are bundled from their sources (the `@bounded/source` condition); every other package named in
 * a package.json of this repository stays an import, resolved from node_modules as usual.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MANIFESTS = ['.', 'policy', 'runtime', 'eslint-plugin', 'codemods', 'cli'];

function thirdParty(): string[] {
  const names = new Set<string>();
  for (const folder of MANIFESTS) {
    const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) names.add(name);
    }
  }
  for (const own of ['@bounded/policy', '@bounded/runtime', '@bounded/codemods', 'eslint-plugin-bounded', 'bounded']) names.delete(own);
  // A package's subpaths (`ajv/dist/2020.js`) stay external with it.
  return [...names].flatMap((name) => [name, `${name}/*`]);
}

function options(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@bounded/source'],
    external: thirdParty(),
    logLevel: 'error',
  };
}

export async function bundleForNode(entry: string, outfile: string): Promise<string> {
  const { build } = await import('esbuild');
  await build(options(entry, outfile));
  return outfile;
}

/** The same, synchronously (for helpers that run a child with spawnSync). */
export function bundleForNodeSync(entry: string, outfile: string, buildSync: (options: BuildOptions) => unknown): string {
  buildSync(options(entry, outfile));
  return outfile;
}
