/** Shared by the `bounded migrate` tests: throwaway projects, a captured run, a compiled worker entry. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { migrateCommand, type MigrateOptions } from '../../cli/commands/migrate.js';
import { bundleForNode } from '../helpers/bundle.js';

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
 * Bundles the worker entry (cli/migrate-worker.ts and what it imports, from the sources) into
 * one module under node_modules/.cache, where its package imports still resolve, and returns it:
 * the same code the built CLI runs from dist.
 */
export async function compileWorker(): Promise<{ entry: string; dir: string; dispose(): void }> {
  const dir = join(ROOT, 'node_modules', '.cache', `bounded-migrate-worker-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const entry = await bundleForNode(join(ROOT, 'cli', 'migrate-worker.ts'), join(dir, 'migrate-worker.mjs'));
  return { entry, dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
