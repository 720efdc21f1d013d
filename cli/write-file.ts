/**
 * How the CLI writes files: source files `bounded migrate` rewrites, and the reports of
 * `check --output` and `migrate --json`.
 *
 * A write never loses what was there: the new bytes go to a temporary file beside the target
 * (named `.bounded-<name>.<pid>.<random>.tmp`, so that a later run can tell its own leftovers
 * from anyone else's), are flushed and read back; only then do they replace the file, by a
 * rename that carries over the file's mode and owner, or, for a file with other hard links
 * (or an owner this process cannot give a new file), by writing in place so that the inode,
 * and with it every link, mode and owner, stays.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { SOURCE_EXTENSIONS } from './files.js';

/** Every temporary file the CLI makes starts with this. */
export const TEMP_PREFIX = '.bounded-';
/** `.bounded-<name>.<pid>.<12 hex digits>.tmp`: group 1 is the pid. */
const TEMP_NAME = /^\.bounded-.*\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** A temporary file's path beside `file`; the name part is cut so the whole stays far below 255 bytes. */
export function tempPath(file: string): string {
  let name = basename(file);
  while (Buffer.byteLength(name) > 160) name = name.slice(0, -1);
  return join(dirname(file), `${TEMP_PREFIX}${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** True when a process with this pid exists (one we may not signal exists too). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files an interrupted run left in `dirs`: regular files named as
 * `tempPath` names them, whose pid is no longer running. Returns their paths.
 */
export function removeStaleTempFiles(dirs: Iterable<string>): string[] {
  const removed: string[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = TEMP_NAME.exec(name);
      if (match === null || alive(Number(match[1]))) continue;
      const path = join(dir, name);
      try {
        if (!lstatSync(path).isFile()) continue;
        unlinkSync(path);
        removed.push(path);
      } catch {
        // Gone already, or not ours to remove: leave it.
      }
    }
  }
  return removed;
}

function writeAll(fd: number, data: Uint8Array, position: number | null): void {
  let offset = 0;
  while (offset < data.length) {
    offset += writeSync(fd, data, offset, data.length - offset, position === null ? null : position + offset);
  }
}

/** The bytes of `file`, without following a symbolic link (ELOOP when it is one). */
function readNoFollow(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const size = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.max(64 * 1024, size + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** `EACCES: permission denied (open)` from a Node fs error; the message itself otherwise. */
export function describeError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (typeof err?.code === 'string') {
    const what = /^\w+: ([^,]+)/.exec(err.message)?.[1];
    return `${err.code}${what === undefined ? '' : `: ${what}`}${err.syscall === undefined ? '' : ` (${err.syscall})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export type WriteOutcome =
  | { readonly ok: true /** Written in place (hard links, or an owner we could not give the new file). */; readonly inPlace: boolean }
  | {
      readonly ok: false;
      /**
       * `changed-during-run`: the file is no longer the bytes it was read as (edited, replaced
       * by a link or something else) — nothing written; `write-failed`: it could not be written.
       */
      readonly reason: 'changed-during-run' | 'write-failed';
      readonly message: string;
    };

/**
 * Replaces the contents of `file` with `data`, keeping its mode, owner and hard links, and only
 * while it still holds exactly `expected` (the bytes it was read as): the check is made after
 * the new bytes are safely on disk beside it, right before they take its place. Never throws.
 */
export function replaceFile(file: string, data: Uint8Array, expected: Uint8Array): WriteOutcome {
  return write(file, data, expected);
}

/**
 * Writes `text` to `file` so that a reader (or a crash) sees either the old content or the
 * new, never half of it (but see `replaceFile` for a hard-linked file), keeping an existing
 * file's mode and owner. For reports (whose path `outputRefusal` checked first): throws on
 * failure; a symbolic link at the path is replaced by the file, not followed.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const outcome = write(file, typeof text === 'string' ? Buffer.from(text) : text, undefined);
  if (!outcome.ok) throw new Error(`${file}: ${outcome.message}`);
}

// eslint-disable-next-line max-lines-per-function -- one check-then-write sequence (lstat, kind, content, temp file, rename) whose order is the safety argument; read top to bottom
function write(file: string, data: Uint8Array, expected: Uint8Array | undefined): WriteOutcome {
  let before: Stats | undefined;
  try {
    before = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || expected !== undefined) return changedOrFailed(error, expected);
  }
  // A report's path that is a link (accepted with --force): the link is replaced, as a new file.
  if (expected === undefined && before?.isSymbolicLink() === true) before = undefined;
  if (before !== undefined && !before.isFile()) {
    const what = before.isSymbolicLink() ? 'a symbolic link' : before.isDirectory() ? 'a folder' : 'not a regular file';
    return expected === undefined
      ? { ok: false, reason: 'write-failed', message: `is ${what}; not replaced` }
      : { ok: false, reason: 'changed-during-run', message: `changed during the run: it is now ${what}; nothing written` };
  }

  const temp = tempPath(file);
  let inPlace = before !== undefined && before.nlink > 1;
  try {
    // A new file gets the mode a plain create would (0666 less the umask); an existing one its own, exactly.
    const fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      before === undefined ? 0o666 : 0o600,
    );
    try {
      writeAll(fd, data, 0);
      if (before !== undefined) {
        const made = fstatSync(fd);
        if (made.uid !== before.uid || made.gid !== before.gid) {
          try {
            fchownSync(fd, before.uid, before.gid);
          } catch {
            // Not ours to give away (not root): keep the inode instead, by writing in place.
            inPlace = true;
          }
        }
        // After chown, which clears set-id bits.
        fchmodSync(fd, before.mode & 0o7777);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (!readNoFollow(temp).equals(data)) throw new Error('the temporary copy does not read back as written');
  } catch (error) {
    rmSync(temp, { force: true });
    return { ok: false, reason: 'write-failed', message: `cannot be written: ${describeError(error)}` };
  }

  // The last look before the file is replaced: it must still be what was read.
  if (expected !== undefined) {
    let now: Buffer;
    let after: Stats;
    try {
      after = lstatSync(file);
      now = readNoFollow(file);
    } catch (error) {
      rmSync(temp, { force: true });
      return changedOrFailed(error, expected);
    }
    if (!after.isFile() || !now.equals(expected)) {
      rmSync(temp, { force: true });
      return {
        ok: false,
        reason: 'changed-during-run',
        message: 'changed during the run (its bytes are not those read); nothing written, run again',
      };
    }
    // Replaced by another file with the same bytes: take that one's metadata.
    if (after.ino !== before!.ino || after.dev !== before!.dev) inPlace = inPlace || after.nlink > 1;
  }

  if (!inPlace) {
    try {
      renameSync(temp, file);
    } catch (error) {
      rmSync(temp, { force: true });
      return { ok: false, reason: 'write-failed', message: `cannot be written: ${describeError(error)}` };
    }
    syncDirectory(dirname(file));
    return { ok: true, inPlace: false };
  }

  // In place: the inode (its links, mode, owner) stays; the checked copy is on disk until done.
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (error) {
    rmSync(temp, { force: true });
    return { ok: false, reason: 'write-failed', message: `cannot be written: ${describeError(error)}` };
  }
  try {
    writeAll(fd, data, 0);
    ftruncateSync(fd, data.length);
    fsyncSync(fd);
  } catch (error) {
    let restored = false;
    if (expected !== undefined) {
      try {
        writeAll(fd, expected, 0);
        ftruncateSync(fd, expected.length);
        fsyncSync(fd);
        restored = true;
      } catch {
        // Left as the failed write left it: say so.
      }
    }
    closeSync(fd);
    rmSync(temp, { force: true });
    return {
      ok: false,
      reason: 'write-failed',
      message: `cannot be written in place: ${describeError(error)}${expected === undefined ? '' : restored ? ' (its old bytes were put back)' : ' (it may be partly written)'}`,
    };
  }
  closeSync(fd);
  rmSync(temp, { force: true });
  return { ok: true, inPlace: true };
}

function changedOrFailed(error: unknown, expected: Uint8Array | undefined): WriteOutcome {
  const code = (error as NodeJS.ErrnoException).code;
  if (expected !== undefined && (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR')) {
    return {
      ok: false,
      reason: 'changed-during-run',
      message: `changed during the run (${code === 'ENOENT' ? 'it is gone' : 'it is now a symbolic link'}); nothing written`,
    };
  }
  return { ok: false, reason: 'write-failed', message: `cannot be written: ${describeError(error)}` };
}

/** Flushes a folder's entries (the rename), where the platform allows it. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not supported here (or not allowed): the rename itself is still atomic.
  }
}

/** What a report file is: `bounded migrate --json`, `check --format json`, `--format sarif`, `--format stylish`. */
export type OutputKind = 'migrate-json' | 'eslint-json' | 'sarif' | 'stylish';

const KIND_NAMES: Record<OutputKind, string> = {
  'migrate-json': 'a bounded migrate --json report',
  'eslint-json': 'a bounded check --format json report',
  sarif: 'a SARIF log',
  stylish: 'a bounded check report',
};

/** Larger existing files are not read to be recognised. */
const MAX_REPORT_SIZE = 512 * 1024 * 1024;

/**
 * Why writing a `kind` report to `file` would destroy something, or undefined when it would
 * not: the file does not exist, is empty, or is a report of that kind (from an earlier run).
 * A source file, a link, a folder or a file of any other kind is refused.
 */
export function outputRefusal(file: string, kind: OutputKind): string | undefined {
  let info: Stats;
  try {
    info = lstatSync(file);
  } catch {
    return undefined;
  }
  if (info.isSymbolicLink()) return 'is a symbolic link';
  if (info.isDirectory()) return 'is a folder';
  if (!info.isFile()) return 'is not a regular file';
  if (SOURCE_EXTENSIONS.has(extname(file)) || file.endsWith('.d.ts')) return 'is a source file';
  if (info.size === 0) return undefined;
  const refusal = `exists and is not ${KIND_NAMES[kind]}`;
  if (info.size > MAX_REPORT_SIZE) return refusal;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch {
    return refusal;
  }
  return isKind(text, kind) ? undefined : refusal;
}

function isKind(text: string, kind: OutputKind): boolean {
  if (kind === 'stylish') {
    // ESLint's stylish output: a file's path, its findings indented, a closing count.
    // eslint-disable-next-line no-control-regex
    const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    return lines.every(
      (line) =>
        line.trim() === '' ||
        /^(?:\/|[A-Za-z]:\\)/.test(line) ||
        /^\s+\d+:\d+\s+(?:error|warning)\s/.test(line) ||
        /^\s*[✖×x] \d+ problems? \(/.test(line) ||
        /^\s+\d+ errors? and \d+ warnings? potentially fixable/.test(line),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  const object = (candidate: unknown): candidate is Record<string, unknown> =>
    typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate);
  switch (kind) {
    case 'migrate-json':
      return (
        object(value) && value.version === 1 && Array.isArray(value.transforms) && Array.isArray(value.files) && object(value.byTransform)
      );
    case 'eslint-json':
      return (
        Array.isArray(value) &&
        value.every((result) => object(result) && typeof result.filePath === 'string' && Array.isArray(result.messages))
      );
    case 'sarif':
      return object(value) && value.version === '2.1.0' && Array.isArray(value.runs);
  }
}
