#!/usr/bin/env node
// The tested install (`npm run test:package`, run by .ci/run after `npm test`): packs every
// workspace, installs the tarballs into fresh temporary projects (third-party dependencies from
// the package registry, bounded's own packages pinned to the tarballs with `overrides`), and
// checks what a user would do with each package. Exits 1 on the first failed check.
//
//   node scripts/test-package.mjs [--keep] [--json FILE]
//
// It prints each package's tarball file list, installed size and package count, and what a
// runtime-only `import '@bounded/runtime'` loads.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEEP = process.argv.includes('--keep');
const jsonAt = process.argv.indexOf('--json');
const JSON_FILE = jsonAt === -1 ? undefined : process.argv[jsonAt + 1];
const WORKSPACES = ['policy', 'runtime', 'eslint-plugin', 'codemods', 'cli'];
/** The runtime alone must stay small: a user who wants `Semaphore` should not install a linter. */
const RUNTIME_MAX_BYTES = 5 * 1024 * 1024;
const RUNTIME_MAX_PACKAGES = 10;
/** Third-party versions the consumer projects install, from the repository's own lock. */
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;
const versionOf = (name) => {
  const entry = lock[`node_modules/${name}`];
  if (entry === undefined) throw new Error(`test-package: ${name} is not in package-lock.json`);
  return entry.version;
};

const work = mkdtempSync(join(tmpdir(), 'bounded-package-'));
const results = { packages: {}, checks: [] };
let failed = 0;

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

function check(name, ok, detail = '') {
  results.checks.push({ name, ok, detail });
  log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${detail === '' ? '' : `: ${detail}`}`);
  if (!ok) failed++;
}

function run(command, args, cwd, { timeout = 180_000, env = {} } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', npm_config_audit: 'false', npm_config_fund: 'false', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: result.status ?? (result.signal === null ? 1 : 128),
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    timedOut: result.error?.code === 'ETIMEDOUT',
  };
}

function dirSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    total += entry.isDirectory() ? dirSize(path) : statSync(path).size;
  }
  return total;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

// 1. Pack every workspace.
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--workspaces', '--pack-destination', tarballs, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
const tarball = {};
for (const pack of packed) {
  tarball[pack.name] = join(tarballs, pack.filename);
  results.packages[pack.name] = {
    tarball: pack.filename,
    files: pack.files.map((file) => file.path),
    packedSize: pack.size,
    unpackedSize: pack.unpackedSize,
  };
  log(`\n${pack.name} ${pack.version}: ${pack.files.length} files, ${mb(pack.unpackedSize)} unpacked`);
  for (const file of pack.files) log(`  ${file.path}`);
  const stray = pack.files.filter(
    (file) =>
      /\.map$|(^|\/)(bench|test|tests|fixtures)\/|\.tsbuildinfo$|\.test\.|(^|\/)src\/.*\.ts$/.test(file.path) &&
      !file.path.endsWith('.d.ts'),
  );
  check(
    `${pack.name}: tarball has no bench, tests, fixtures, build info or source maps`,
    stray.length === 0,
    stray.map((file) => file.path).join(', '),
  );
  check(
    `${pack.name}: tarball has README.md and LICENSE`,
    pack.files.some((file) => file.path === 'README.md') && pack.files.some((file) => file.path === 'LICENSE'),
  );
}
check(
  'eslint-plugin-bounded ships every rule doc',
  WORKSPACES.length > 0 &&
    readdirSync(join(ROOT, 'rules-docs')).every((doc) => results.packages['eslint-plugin-bounded'].files.includes(`rules-docs/${doc}`)),
);

const overrides = Object.fromEntries(Object.entries(tarball).map(([name, file]) => [name, `file:${file}`]));

/** A fresh project with `dependencies` installed; bounded's packages come from the tarballs. */
function project(name, dependencies, files = {}, extra = {}) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const deps = Object.fromEntries(
    Object.entries(dependencies).map(([dep, version]) => [dep, tarball[dep] === undefined ? version : `file:${tarball[dep]}`]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${name}`, private: true, version: '1.0.0', ...extra, dependencies: deps, overrides }, null, 2)}\n`,
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir, { timeout: 300_000 });
  if (install.code !== 0) {
    check(`${name}: npm install`, false, (install.stderr || install.stdout).trim().split('\n').slice(-8).join('\n'));
    return undefined;
  }
  return dir;
}

/** Installed size and package count of a project's node_modules, without the consumer itself. */
function footprint(dir) {
  const list = run('npm', ['ls', '--all', '--parseable', '--omit=dev'], dir);
  const paths = list.stdout.split('\n').filter((line) => line.includes('node_modules'));
  const unique = [...new Set(paths.map((path) => path.slice(path.lastIndexOf('node_modules') + 'node_modules/'.length)))];
  return { packages: unique.length, names: unique.sort(), bytes: dirSize(join(dir, 'node_modules')) };
}

const HAZARD_TS = `import { Client } from 'pg';

export async function names(ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => {
    const response = await fetch(\`https://api.example.com/users/\${id}\`);
    return (await response.json()).name as string;
  }));
}

export async function count(): Promise<number> {
  const client = new Client();
  await client.connect();
  const { rows } = await client.query('select count(*) from users');
  await client.end();
  return Number(rows[0].count);
}
`;
const HAZARD_JS = HAZARD_TS.replace(': Promise<string[]>', '')
  .replace('(ids: string[])', '(ids)')
  .replace(' as string', '')
  .replace(': Promise<number>', '');
const CLEAN_TS = `export function add(a: number, b: number): number {\n  return a + b;\n}\n`;

// (a) The CLI.
{
  const dir = project(
    'cli',
    { bounded: '*' },
    { 'hazards/service.ts': HAZARD_TS, 'clean/math.ts': CLEAN_TS, 'empty/notes.md': '# nothing to lint\n' },
  );
  if (dir !== undefined) {
    const help = run('npx', ['--no-install', 'bounded', 'check', '--help'], dir);
    check(
      'bounded check --help exits 0',
      help.code === 0 && /Usage: bounded check/.test(help.stdout + help.stderr),
      `exit ${help.code} ${help.stderr.slice(0, 400)}`,
    );
    const hazards = run('npx', ['--no-install', 'bounded', 'check', 'hazards'], dir);
    const rules = new Set([...hazards.stdout.matchAll(/bounded\/[a-z-]+/g)].map((match) => match[0]));
    check(
      'bounded check on a hazard folder reports findings and exits 1',
      hazards.code === 1 &&
        rules.has('bounded/no-unbounded-concurrency') &&
        rules.has('bounded/require-timeout') &&
        rules.has('bounded/no-per-call-connection'),
      `exit ${hazards.code}; rules ${[...rules].join(', ')}; ${hazards.stderr.slice(0, 400)}`,
    );
    const clean = run('npx', ['--no-install', 'bounded', 'check', 'clean'], dir);
    const cleanLines = (clean.stdout + clean.stderr).trim().split('\n');
    check(
      'bounded check on a clean folder prints one line and exits 0',
      clean.code === 0 && cleanLines.length === 1 && /1 file checked, no findings/.test(cleanLines[0]),
      `exit ${clean.code}: ${cleanLines.join(' | ')}`,
    );
    const empty = run('npx', ['--no-install', 'bounded', 'check', 'empty'], dir);
    check(
      'bounded check on a folder with no lintable files says so',
      /no (lintable|JavaScript or TypeScript) files/i.test(empty.stdout + empty.stderr),
      `exit ${empty.code}: ${(empty.stdout + empty.stderr).trim()}`,
    );
    const migrate = run('npx', ['--no-install', 'bounded', 'migrate', 'hazards', '--dry-run', '--force'], dir);
    check(
      'bounded migrate --dry-run prints a diff onto @bounded/runtime',
      /\+import \{[^}]*\} from '@bounded\/runtime'/.test(migrate.stdout),
      `exit ${migrate.code}: ${migrate.stderr.slice(0, 400)}`,
    );
    results.packages.bounded.installed = footprint(dir);
  }
}

// (b) The plugin in a plain-JS ESLint project: no TypeScript anywhere.
{
  const dir = project(
    'plugin-js',
    { eslint: versionOf('eslint'), 'eslint-plugin-bounded': '*' },
    {
      'eslint.config.js': `import bounded from 'eslint-plugin-bounded';\n\nexport default [bounded.configs.recommended];\n`,
      'src/service.js': HAZARD_JS,
    },
    { type: 'module' },
  );
  if (dir !== undefined) {
    // typescript may still arrive, as a peer of @typescript-eslint/utils that npm installs: the
    // check is that nothing here imports it for a JS file.
    const lint = run('npx', ['--no-install', 'eslint', 'src'], dir);
    check(
      'eslint with eslint-plugin-bounded reports findings in plain JS',
      lint.code === 1 && /bounded\/no-unbounded-concurrency/.test(lint.stdout) && /bounded\/require-timeout/.test(lint.stdout),
      `exit ${lint.code}: ${(lint.stdout + lint.stderr).slice(0, 600)}`,
    );
    const cjs = run(
      'node',
      [
        '-e',
        "const bounded = require('eslint-plugin-bounded'); const plugin = bounded.default ?? bounded; if (!plugin.configs?.recommended) process.exit(3); console.log(Object.keys(plugin.rules).length)",
      ],
      dir,
    );
    check(
      'the plugin loads with require() (CommonJS configs)',
      cjs.code === 0 && Number(cjs.stdout.trim()) >= 6,
      `exit ${cjs.code}: ${cjs.stderr.slice(0, 400)}`,
    );
    results.packages['eslint-plugin-bounded'].installed = footprint(dir);
  }
}

// (c) The plugin in a TypeScript project with typescript-eslint and type information.
{
  const dir = project(
    'plugin-ts',
    {
      eslint: versionOf('eslint'),
      'typescript-eslint': versionOf('typescript-eslint'),
      typescript: versionOf('typescript'),
      '@types/node': versionOf('@types/node'),
      'eslint-plugin-bounded': '*',
    },
    {
      'eslint.config.js': [
        `import tseslint from 'typescript-eslint';`,
        `import bounded from 'eslint-plugin-bounded';`,
        '',
        `export default tseslint.config(`,
        `  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },`,
        `  bounded.configs.recommended,`,
        `);`,
        '',
      ].join('\n'),
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          noEmit: true,
          skipLibCheck: true,
        },
        include: ['src'],
      }),
      'src/service.ts': HAZARD_TS.replace(
        "import { Client } from 'pg';\n",
        'declare class Client { connect(): Promise<void>; query(text: string): Promise<{ rows: { count: string }[] }>; end(): Promise<void> }\n',
      ),
      'types/consumer.mts': `import bounded, { rules } from 'eslint-plugin-bounded';\nimport type { Linter } from 'eslint';\nconst config: Linter.Config = bounded.configs.recommended;\nconst names: string[] = Object.keys(rules);\nconsole.log(config.name, names.length);\n`,
      'types/tsconfig.json': JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2023'],
          types: ['node'],
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.mts'],
      }),
    },
    { type: 'module' },
  );
  if (dir !== undefined) {
    const types = run('node', [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'types/tsconfig.json'], dir);
    const ours = (types.stdout + types.stderr).split('\n').filter((line) => /eslint-plugin-bounded|@bounded\//.test(line));
    check(
      'eslint-plugin-bounded declarations type-check with skipLibCheck false (errors in our files)',
      ours.length === 0,
      ours.slice(0, 10).join('\n'),
    );
    const lint = run('npx', ['--no-install', 'eslint', 'src'], dir);
    check(
      'eslint with typescript-eslint (projectService) reports findings',
      lint.code === 1 && /bounded\/no-unbounded-concurrency/.test(lint.stdout) && /bounded\/require-timeout/.test(lint.stdout),
      `exit ${lint.code}: ${(lint.stdout + lint.stderr).slice(0, 600)}`,
    );
  }
}

// (d) Runtime consumers: type-check with skipLibCheck false under nodenext, node16, bundler and
// CommonJS, then run. Only typescript and @types/node beside the runtime, as in any TS service.
{
  const consumer = [
    `import { Semaphore, mapBounded, withTimeout, TokenBucket, createHttpClient, getPool, isTimeoutError, ConcurrencyManager } from '@bounded/runtime';`,
    `import { Semaphore as CoreSemaphore, mapBounded as coreMap } from '@bounded/runtime/core';`,
    `const semaphore = new Semaphore(2);`,
    `const doubled: number[] = await mapBounded([1, 2, 3], async (n) => semaphore.run(async () => n * 2), { concurrency: 2 });`,
    `const tripled: number[] = await coreMap([1, 2], (n) => n * 3, { concurrency: 1 });`,
    `const value: string = await withTimeout(async () => 'done', 1_000);`,
    `const bucket = new TokenBucket({ rate: 10, per: '1s' });`,
    `const pool = getPool('main', { connectionString: 'postgres://user@127.0.0.1:1/none', max: 2 });`,
    `const http = createHttpClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1_000 });`,
    `const manager: ConcurrencyManager | undefined = undefined;`,
    `console.log(JSON.stringify({ doubled, tripled, value, core: new CoreSemaphore(1).limit, timeoutGuard: isTimeoutError(new Error('x')) }));`,
    `await Promise.all([pool.close(), http.close(), bucket.close()]);`,
    `void manager;`,
    '',
  ].join('\n');
  const cjsConsumer = [
    `import runtime = require('@bounded/runtime');`,
    `const semaphore: runtime.Semaphore = new runtime.Semaphore(1);`,
    `semaphore.run(async () => 42).then((n: number) => console.log(JSON.stringify({ cjs: n })));`,
    '',
  ].join('\n');
  const tsconfig = (module, moduleResolution, extra = {}) =>
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module,
        moduleResolution,
        lib: ['ES2023'],
        types: ['node'],
        skipLibCheck: false,
        noEmit: true,
        ...extra,
      },
    });
  const dir = project(
    'runtime',
    { '@bounded/runtime': '*', pg: versionOf('pg'), typescript: versionOf('typescript'), '@types/node': versionOf('@types/node') },
    {
      'esm/consumer.mts': consumer,
      'esm/tsconfig.nodenext.json': JSON.stringify({ ...JSON.parse(tsconfig('nodenext', 'nodenext')), files: ['consumer.mts'] }),
      'esm/tsconfig.node16.json': JSON.stringify({ ...JSON.parse(tsconfig('node16', 'node16')), files: ['consumer.mts'] }),
      'esm/tsconfig.bundler.json': JSON.stringify({ ...JSON.parse(tsconfig('preserve', 'bundler')), files: ['consumer.mts'] }),
      'cjs/consumer.cts': cjsConsumer,
      'cjs/tsconfig.json': JSON.stringify({ ...JSON.parse(tsconfig('nodenext', 'nodenext')), files: ['consumer.cts'] }),
      'run.mjs': consumer
        .replace(
          /^import \{[^}]*\} from '@bounded\/runtime';/m,
          `import { Semaphore, mapBounded, withTimeout, TokenBucket, createHttpClient, getPool, isTimeoutError } from '@bounded/runtime';`,
        )
        .replace(/: number\[\]/g, '')
        .replace(/: string =/g, ' =')
        .replace(/const manager: ConcurrencyManager \| undefined = undefined;/, 'const manager = undefined;'),
      'run.cjs': `const runtime = require('@bounded/runtime');\nnew runtime.Semaphore(1).run(async () => 42).then((n) => console.log(JSON.stringify({ cjs: n })));\n`,
    },
    { type: 'commonjs' },
  );
  if (dir !== undefined) {
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const config of ['esm/tsconfig.nodenext.json', 'esm/tsconfig.node16.json', 'esm/tsconfig.bundler.json', 'cjs/tsconfig.json']) {
      const result = run('node', [tsc, '-p', config], dir);
      check(
        `@bounded/runtime type-checks with skipLibCheck false (${config})`,
        result.code === 0,
        (result.stdout + result.stderr).trim().split('\n').slice(0, 12).join('\n'),
      );
    }
    const esm = run('node', ['run.mjs'], dir, { timeout: 30_000 });
    check(
      '@bounded/runtime runs from an ES module',
      esm.code === 0 && /"doubled":\[2,4,6\]/.test(esm.stdout),
      `exit ${esm.code}: ${(esm.stdout + esm.stderr).slice(0, 600)}`,
    );
    const cjs = run('node', ['run.cjs'], dir, { timeout: 30_000 });
    check(
      '@bounded/runtime runs from CommonJS (require)',
      cjs.code === 0 && /"cjs":42/.test(cjs.stdout),
      `exit ${cjs.code}: ${(cjs.stdout + cjs.stderr).slice(0, 600)}`,
    );
  }
}

// (f) The runtime alone: what a user who wants Semaphore installs, and what `import` loads.
{
  const dir = project(
    'runtime-only',
    { '@bounded/runtime': '*' },
    {
      'hooks.mjs': `export async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  if (!result.url.startsWith('node:')) process.send?.(result.url);\n  globalThis.__loaded ??= [];\n  return result;\n}\nexport async function load(url, context, next) {\n  if (!url.startsWith('node:')) (await import('node:fs')).appendFileSync(process.env.LOAD_LOG, url + '\\n');\n  return next(url, context);\n}\n`,
      'register.mjs': `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
      'import.mjs': `const started = performance.now();\nconst runtime = await import('@bounded/runtime');\nconst ms = performance.now() - started;\nconsole.log(JSON.stringify({ ms: Math.round(ms * 10) / 10, exports: Object.keys(runtime).length }));\n`,
    },
    { type: 'module' },
  );
  if (dir !== undefined) {
    const size = footprint(dir);
    results.packages['@bounded/runtime'].installed = size;
    log(`\n@bounded/runtime alone: ${size.packages} packages, ${mb(size.bytes)}: ${size.names.join(', ')}`);
    check(
      `@bounded/runtime alone installs at most ${RUNTIME_MAX_PACKAGES} packages`,
      size.packages <= RUNTIME_MAX_PACKAGES,
      `${size.packages}`,
    );
    check(`@bounded/runtime alone installs at most ${mb(RUNTIME_MAX_BYTES)}`, size.bytes <= RUNTIME_MAX_BYTES, mb(size.bytes));
    const logFile = join(dir, 'loaded.txt');
    const plain = run('node', ['import.mjs'], dir);
    const traced = run('node', ['--import', './register.mjs', 'import.mjs'], dir, { env: { LOAD_LOG: logFile } });
    const loaded = existsSync(logFile)
      ? [...new Set(readFileSync(logFile, 'utf8').trim().split('\n'))].filter((url) => !url.endsWith('/import.mjs'))
      : [];
    const byPackage = {};
    for (const url of loaded) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
      const name = match?.[1] ?? 'other';
      byPackage[name] = (byPackage[name] ?? 0) + 1;
    }
    const timing = plain.code === 0 ? JSON.parse(plain.stdout.trim().split('\n').pop()) : undefined;
    results.runtimeImport = { ms: timing?.ms, modules: loaded.length, byPackage };
    log(
      `import '@bounded/runtime': ${timing?.ms} ms, ${loaded.length} modules: ${Object.entries(byPackage)
        .map(([name, count]) => `${name} ${count}`)
        .join(', ')}`,
    );
    check(
      'import of @bounded/runtime succeeds with no optional peer installed',
      plain.code === 0 && traced.code === 0,
      (plain.stderr + traced.stderr).slice(0, 600),
    );
    const heavy = Object.keys(byPackage).filter((name) =>
      ['pg', 'prom-client', 'ioredis', 'undici', 'eslint', 'typescript', 'jscodeshift'].includes(name),
    );
    check('import of @bounded/runtime loads no pg, prom-client, ioredis, undici or tooling', heavy.length === 0, heavy.join(', '));
  }
}

// (e) Each transform with jscodeshift -t, the way codemod runners call them.
{
  const dir = project(
    'codemods',
    { '@bounded/codemods': '*' },
    {
      'src/fan-out.ts': `export async function all(ids: string[]) {\n  return Promise.all(ids.map((id) => fetch(\`https://api.example.com/\${id}\`)));\n}\n`,
      'src/connection.ts': `import { Client } from 'pg';\nexport async function count() {\n  const client = new Client();\n  await client.connect();\n  const { rows } = await client.query('select 1');\n  await client.end();\n  return rows;\n}\n`,
      'src/release.ts': `import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function one() {\n  const client = await pool.connect();\n  const { rows } = await client.query('select 1');\n  client.release();\n  return rows;\n}\n`,
      'src/sleep.ts': `import { fetchPage } from './pages';\n\nexport async function crawl(urls: string[]) {\n  for (const url of urls) {\n    await fetchPage(url);\n    await new Promise((r) => setTimeout(r, 250));\n  }\n}\n`,
      'src/background.ts': `async function sendEmail(to: string) {\n  await fetch(\`https://mail.example.com/\${to}\`);\n}\nexport async function signup(email: string) {\n  sendEmail(email);\n  return email;\n}\n`,
      'src/provider.ts': `import OpenAI from 'openai';\nconst openai = new OpenAI();\nexport async function summarize(texts: string[]) {\n  const out = [];\n  for (const text of texts) out.push(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }));\n  return out;\n}\n`,
    },
    { type: 'module' },
  );
  if (dir !== undefined) {
    const bin = join(dir, 'node_modules', 'jscodeshift', 'bin', 'jscodeshift.js');
    const transforms = readdirSync(join(dir, 'node_modules', '@bounded', 'codemods', 'dist', 'transforms')).filter((file) =>
      file.endsWith('.js'),
    );
    check('@bounded/codemods ships its seven transforms', transforms.length === 7, transforms.join(', '));
    for (const file of transforms) {
      const result = run(
        'node',
        [
          bin,
          '--parser',
          'ts',
          '--extensions',
          'ts',
          '--dry',
          '--print',
          '-t',
          join(dir, 'node_modules', '@bounded', 'codemods', 'dist', 'transforms', file),
          'src',
        ],
        dir,
        { timeout: 120_000 },
      );
      const output = result.stdout + result.stderr;
      const errors = Number(/(\d+) errors?/.exec(output)?.[1] ?? NaN);
      const ok = Number(/(\d+) ok/.exec(output)?.[1] ?? 0);
      check(
        `jscodeshift -t ${file} rewrites its hazard`,
        result.code === 0 && errors === 0 && ok >= 1,
        `exit ${result.code}, ${errors} errors, ${ok} ok: ${output.slice(-600)}`,
      );
    }
    results.packages['@bounded/codemods'].installed = footprint(dir);
  }
}

// Sizes of the others, installed alone.
{
  const dir = project('policy-only', { '@bounded/policy': '*' });
  if (dir !== undefined) results.packages['@bounded/policy'].installed = footprint(dir);
  const typed = project(
    'policy-types',
    { '@bounded/policy': '*', '@bounded/codemods': '*', typescript: versionOf('typescript'), '@types/node': versionOf('@types/node') },
    {
      'consumer.mts': `import { loadPolicy, DEFAULT_POLICY, type Policy } from '@bounded/policy';\nimport { DEFAULT_POLICY as CORE } from '@bounded/policy/core';\nimport { transforms, type TransformName } from '@bounded/codemods';\nconst policy: Policy = loadPolicy({ cwd: process.cwd() });\nconst names: TransformName[] = Object.keys(transforms) as TransformName[];\nconsole.log(policy.defaults.concurrency, DEFAULT_POLICY === CORE, names.length);\n`,
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2023'],
          types: ['node'],
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.mts'],
      }),
    },
    { type: 'module' },
  );
  if (typed !== undefined) {
    const result = run('node', [join(typed, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], typed);
    const ours = (result.stdout + result.stderr).split('\n').filter((line) => /@bounded\//.test(line));
    check(
      '@bounded/policy and @bounded/codemods declarations type-check with skipLibCheck false (errors in our files)',
      ours.length === 0,
      ours.slice(0, 10).join('\n'),
    );
  }
}

log('\ninstalled alone (packages, size):');
for (const [name, info] of Object.entries(results.packages)) {
  if (info.installed !== undefined)
    log(`  ${name.padEnd(24)} ${String(info.installed.packages).padStart(4)} packages  ${mb(info.installed.bytes).padStart(10)}`);
}
if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, `${JSON.stringify(results, null, 2)}\n`);
if (!KEEP) rmSync(work, { recursive: true, force: true });
else log(`\nkept ${relative(process.cwd(), work) || work}`);
log(`\ntest:package: ${results.checks.length - failed} of ${results.checks.length} package checks held, ${failed} did not`);
process.exitCode = failed === 0 ? 0 : 1;
