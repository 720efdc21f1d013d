/**
 * Calls that block the event loop: `no-sync-io-in-async` reports them inside async functions
 * and request handlers. The policy's `lint.blockingCalls` adds to this list.
 */
export interface BlockingCall {
  /** The module it is imported from (`fs`, `bcrypt`; `node:` is dropped), or undefined for a global. */
  readonly module?: string;
  /**
   * The export: a name (`readFileSync`), a suffix pattern (`*Sync`: every export ending so),
   * or `*` for the whole module. For a global, the name as written (`Atomics.wait`).
   */
  readonly name: string;
  /** What to use instead, as the rule's message says it. */
  readonly instead: string;
  /** `fs` only: the `fs.promises` method with the same arguments, for the rule's suggestion. */
  readonly promises?: string;
}

/** `fs` methods whose `fs.promises` twin takes the same arguments and returns the same result. */
const FS_WITH_PROMISES = [
  'access',
  'appendFile',
  'chmod',
  'chown',
  'copyFile',
  'cp',
  'lchown',
  'link',
  'lstat',
  'lutimes',
  'mkdir',
  'mkdtemp',
  'opendir',
  'readFile',
  'readdir',
  'readlink',
  'realpath',
  'rename',
  'rm',
  'rmdir',
  'stat',
  'statfs',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'writeFile',
];
/** `fs` *Sync methods without such a twin (file-descriptor calls, `existsSync`). */
const FS_WITHOUT_PROMISES = [
  'close',
  'exists',
  'fchmod',
  'fchown',
  'fdatasync',
  'fstat',
  'fsync',
  'ftruncate',
  'futimes',
  'glob',
  'open',
  'read',
  'readv',
  'write',
  'writev',
];

function fsCalls(module: string): BlockingCall[] {
  return [
    ...FS_WITH_PROMISES.map((name) => ({ module, name: `${name}Sync`, instead: `\`await fs.promises.${name}(…)\``, promises: name })),
    ...FS_WITHOUT_PROMISES.map((name) => ({ module, name: `${name}Sync`, instead: 'the asynchronous `fs` API' })),
  ];
}

function twins(module: string, names: readonly string[]): BlockingCall[] {
  return names.map((name) => ({ module, name: `${name}Sync`, instead: `the asynchronous \`${module}.${name}\`` }));
}

const SYNC_HTTP = 'an asynchronous HTTP client with a timeout';

export const BLOCKING_CALLS: readonly BlockingCall[] = [
  ...fsCalls('fs'),
  ...fsCalls('graceful-fs'),
  { module: 'fs-extra', name: '*Sync', instead: 'the asynchronous `fs-extra` API' },
  ...twins('child_process', ['exec', 'execFile', 'spawn']),
  ...twins('zlib', [
    'brotliCompress',
    'brotliDecompress',
    'deflate',
    'deflateRaw',
    'gunzip',
    'gzip',
    'inflate',
    'inflateRaw',
    'unzip',
    'zstdCompress',
    'zstdDecompress',
  ]),
  ...twins('crypto', ['checkPrime', 'generateKey', 'generateKeyPair', 'generatePrime', 'hkdf', 'pbkdf2', 'scrypt']),
  ...twins('bcrypt', ['compare', 'genSalt', 'hash']),
  ...twins('bcryptjs', ['compare', 'genSalt', 'hash']),
  { name: 'Atomics.wait', instead: '`await Atomics.waitAsync(…).value`' },
  { module: 'sync-request', name: '*', instead: SYNC_HTTP },
  { module: 'sync-fetch', name: '*', instead: SYNC_HTTP },
  { module: 'deasync', name: '*', instead: 'an `await` on the asynchronous call' },
];

/**
 * Parses a `lint.blockingCalls` entry: `module.name` (`my-lib.loadSync`, `my-lib.*Sync`,
 * `@scope/pkg.load`) or a global name (`loadConfigSync`, `Atomics.wait`). A name with a dot
 * and no known module is read as module.name; `Atomics.wait`-style globals match either way.
 */
export function parseBlockingCall(entry: string): BlockingCall {
  const dot = entry.lastIndexOf('.');
  if (dot <= 0) return { name: entry, instead: 'an asynchronous alternative' };
  return { module: entry.slice(0, dot).replace(/^node:/, ''), name: entry.slice(dot + 1), instead: 'an asynchronous alternative' };
}

/** True when the export `imported` of a module matches the catalog name `name` (`*`, `*Sync` or exact). */
export function matchesBlockingName(name: string, imported: string): boolean {
  if (name === '*') return true;
  if (name.startsWith('*')) return imported.endsWith(name.slice(1)) && imported.length > name.length - 1;
  return imported === name;
}
