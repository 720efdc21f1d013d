#!/usr/bin/env node
// The package boundaries (`npm run lint`, and test/packages/boundaries.test.ts): a workspace
// package imports only node builtins, its own files, and packages its package.json declares; it
// imports another workspace package only through that package's `exports`; it never imports
// test/ or bench/. Prints each violation as file:line: message and exits 1 when there is one.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const WORKSPACES = ['policy', 'runtime', 'eslint-plugin', 'codemods', 'cli'];
const BUILTINS = new Set(builtinModules);

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(m|c)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every violation under `root`: { file, line, message }. */
export function checkBoundaries(root) {
  const manifests = new Map();
  for (const folder of WORKSPACES) manifests.set(folder, JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')));
  const byName = new Map([...manifests].map(([folder, manifest]) => [manifest.name, { folder, manifest }]));
  const problems = [];
  for (const [folder, manifest] of manifests) {
    const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const home = resolve(root, folder);
    for (const file of sources(home)) {
      const text = readFileSync(file, 'utf8');
      const info = ts.preProcessFile(text, true, true);
      const lineStarts = ts.computeLineStarts(text);
      for (const reference of info.importedFiles) {
        const specifier = reference.fileName;
        const line = ts.computeLineAndCharacterOfPosition(lineStarts, reference.pos).line + 1;
        const at = { file: relative(root, file), line };
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          const inside = relative(root, target).split(sep);
          if (!target.startsWith(home + sep))
            problems.push({
              ...at,
              message: `'${specifier}' reaches outside ${manifest.name} (into ${inside.slice(0, 2).join('/')}): import the other package by its name`,
            });
          else if (inside.includes('test') || inside.includes('bench'))
            problems.push({ ...at, message: `'${specifier}' imports test or bench code into a package` });
          continue;
        }
        if (specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0])) continue;
        const name = packageName(specifier);
        if (!declared.has(name)) {
          problems.push({ ...at, message: `'${specifier}' is not declared in ${folder}/package.json (dependencies or peerDependencies)` });
          continue;
        }
        const workspace = byName.get(name);
        if (workspace !== undefined && name !== manifest.name) {
          const subpath = `.${specifier.slice(name.length)}`;
          const exported = Object.keys(workspace.manifest.exports ?? {}).some(
            (key) => key === subpath || (key.endsWith('*') && subpath.startsWith(key.slice(0, -1))),
          );
          if (!exported)
            problems.push({ ...at, message: `'${specifier}' is not in ${name}'s exports: import its public entry points only` });
        }
      }
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const problems = checkBoundaries(root);
  for (const problem of problems) process.stderr.write(`${problem.file}:${problem.line}: ${problem.message}\n`);
  if (problems.length > 0) process.exitCode = 1;
  else process.stdout.write(`package boundaries: ${WORKSPACES.length} packages, no undeclared or cross-package import\n`);
}
