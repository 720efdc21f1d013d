/** Shared by the `bounded migrate` tests: throwaway projects, a captured run, a compiled worker entry. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { migrateCommand, type MigrateOptions } from '../../cli/commands/migrate.js';
import { bundleForNode } from '../helpers/bundle.js';
import { tempDir } from '../helpers/temp.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * A throwaway project with `files`, removed after the test file. It sits one level down in its
 * temp folder, so a report a test writes beside it (`--json ../report.json`) is removed with it.
 */
export function project(files: Record<string, string>): string {
  const root = join(tempDir('bounded-migrate-'), 'project');
  mkdirSync(root);
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

/** Runs git in `cwd` with a fixed identity; returns its standard output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A throwaway project that is a git repository with `files` committed. */
export function repository(files: Record<string, string>): string {
  const root = project(files);
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'init', '--allow-empty');
  return root;
}
