/** Shared by the `bounded migrate` tests: throwaway projects, a captured run, a compiled worker entry. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { migrateCommand, type MigrateOptions } from '../../cli/commands/migrate.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bounded-migrate-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function migrate(args: readonly string[], cwd: string, options: MigrateOptions & { tty?: boolean } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: options.tty === true },
  };
  const code = await migrateCommand(args, io, cwd, options);
  return { code, stdout, stderr };
}

/** Every file below `root` (path → bytes), for byte-for-byte comparisons. */
export function snapshot(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return files;
}

/**
 * The tests run from the TypeScript sources, which worker threads cannot load. This compiles
 * the folders the worker imports (file by file, as tsc would emit them) into a folder under
 * node_modules/.cache, where the package imports still resolve, and returns the worker entry.
 * Call `dispose` when done.
 */
export function compileWorker(): { entry: string; dir: string; dispose(): void } {
  const dir = join(ROOT, 'node_modules', '.cache', `bounded-migrate-worker-${process.pid}-${Date.now()}`);
  const emit = (folder: string): void => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) emit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(join(ROOT, path), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
          fileName: path,
        });
        const out = join(dir, path.replace(/\.ts$/, '.js'));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, outputText);
      }
    }
  };
  // What the worker imports (not the runtime: the codemods only name its exports; bound-promise-all
  // asks no-unbounded-concurrency which fan-outs it reports).
  for (const folder of ['cli', 'codemods', 'policy', 'eslint-plugin']) emit(folder);
  // Inside node_modules, Node looks no higher for the package type.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return { entry: join(dir, 'cli', 'migrate-worker.js'), dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
