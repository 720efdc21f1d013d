/**
 * What `bounded migrate` checks before it writes anything: that it was not pointed at the
 * whole system or a home folder, and that no file it may rewrite holds work git does not
 * have (uncommitted changes or untracked files), in the repository each file belongs to.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';

/**
 * The first path (default `.`) that is the file system's root or a home folder (the user's,
 * or `/home`, `/root`, `/Users`), described for a message; undefined when none is.
 */
export function sweepingTarget(paths: readonly string[], cwd: string): string | undefined {
  const homes = new Set<string>();
  for (const home of [os.homedir(), '/home', '/root', '/Users']) {
    if (home === '') continue;
    homes.add(resolve(home));
    try {
      homes.add(realpathSync(home));
    } catch {
      // Not on this system.
    }
  }
  for (const path of paths.length === 0 ? ['.'] : paths) {
    const absolute = resolve(cwd, path);
    let real = absolute;
    try {
      real = realpathSync(absolute);
    } catch {
      // Reported as missing later.
    }
    for (const candidate of [absolute, real]) {
      if (parse(candidate).root === candidate) return `${path} is the root of the file system`;
      if (homes.has(candidate)) return `${path} is a home folder (${candidate})`;
    }
  }
  return undefined;
}

/** The environment git runs in: none of the caller's overrides of which repository it reads. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_NAMESPACE'])
    delete env[name];
  return env;
}

function git(args: readonly string[], cwd: string): { ok: true; stdout: string } | { ok: false; reason: string } {
  // core.fsmonitor would run a command named by the repository's own config: never.
  const result = spawnSync('git', ['-c', 'core.fsmonitor=false', '-C', cwd, ...args], {
    encoding: 'utf8',
    env: gitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'git is not installed' : result.error.message };
  }
  if (result.status !== 0) {
    const line = result.stderr.split('\n').find((text) => text.trim() !== '') ?? `git exited with code ${result.status}`;
    return { ok: false, reason: line.replace(/^fatal: /, '').trim() };
  }
  return { ok: true, stdout: result.stdout };
}

export interface GitGuard {
  /** Files (absolute, as given) with uncommitted changes, or untracked, in their own repository. */
  readonly dirty: string[];
  /** Repositories whose status could not be read (so their files cannot be vouched for), with why. */
  readonly unreadable: { readonly repository: string; readonly reason: string }[];
}

/**
 * Which of `files` git does not have as they are: for each file, the repository it lies in
 * (the nearest folder above it with a `.git`, not the current directory's), its
 * `git status --porcelain` with untracked files. Files outside any repository pass.
 */
export function guardUncommitted(files: readonly string[]): GitGuard {
  const topOf = new Map<string, string | undefined>();
  /** The nearest folder at or above `dir` holding a `.git` (folder or file: worktrees, submodules). */
  const findTop = (dir: string): string | undefined => {
    const seen: string[] = [];
    let at = dir;
    let top: string | undefined;
    for (;;) {
      if (topOf.has(at)) {
        top = topOf.get(at);
        break;
      }
      seen.push(at);
      try {
        lstatSync(join(at, '.git'));
        top = at;
        break;
      } catch {
        // Not here: one up.
      }
      const up = dirname(at);
      if (up === at) break;
      at = up;
    }
    for (const folder of seen) topOf.set(folder, top);
    return top;
  };

  const byTop = new Map<string, string[]>();
  for (const file of files) {
    const top = findTop(dirname(file));
    if (top === undefined) continue;
    const list = byTop.get(top) ?? [];
    list.push(file);
    byTop.set(top, list);
  }

  const dirty: string[] = [];
  const unreadable: { repository: string; reason: string }[] = [];
  const realDir = new Map<string, string>();
  const realPath = (file: string): string => {
    const dir = dirname(file);
    let real = realDir.get(dir);
    if (real === undefined) {
      try {
        real = realpathSync(dir);
      } catch {
        real = dir;
      }
      realDir.set(dir, real);
    }
    return join(real, basename(file));
  };
  for (const [top, members] of byTop) {
    const root = git(['rev-parse', '--show-toplevel'], top);
    const status = root.ok ? git(['status', '--porcelain=v1', '-z', '--untracked-files=all'], top) : root;
    if (!root.ok || !status.ok) {
      unreadable.push({ repository: top, reason: (status as { reason: string }).reason });
      continue;
    }
    const gitTop = root.stdout.trim();
    const changed = new Set<string>();
    const entries = status.stdout.split('\0');
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.length < 4) continue;
      changed.add(resolve(gitTop, entry.slice(3)));
      // A rename or copy: the next entry is where it came from.
      if (entry[0] === 'R' || entry[0] === 'C') i++;
    }
    for (const file of members) if (changed.has(file) || changed.has(realPath(file))) dirty.push(file);
  }
  return { dirty, unreadable };
}
