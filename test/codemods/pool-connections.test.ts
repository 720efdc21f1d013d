/**
 * pool-connections beyond the shared fixture run (test/codemods/transforms.test.ts): what it
 * reports and why, that its hunks stay inside what the rule flagged, that the rule is quiet on
 * its output, that the output type-checks against the runtime, parser choice by extension,
 * and the policy's numbers.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import jscodeshift, { type API } from 'jscodeshift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../cli/diff.js';
import transform, { parserFor } from '../../codemods/transforms/pool-connections.js';
import plugin from '../../eslint-plugin/index.js';
import { defaultPolicy, type Policy } from '../../policy/index.js';
import { getPool } from '../../runtime/index.js';
import { testDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runTsc } from '../helpers/tsc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'fixtures', 'codemods', 'pool-connections');
const policy = defaultPolicy();

function run(path: string, source: string, options: { policy: Policy } = { policy }): { output: string | null; reports: string[] } {
  // The harness's parser is `ts` whatever the file: the transform must pick its own.
  const j = jscodeshift.withParser('ts');
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  return { output: transform({ path, source }, api, options) ?? null, reports };
}

function fixture(name: string): { path: string; source: string; expected: string | undefined } {
  const path = join(DIR, `${name}.input.ts`);
  const out = join(DIR, `${name}.output.ts`);
  return { path, source: readFileSync(path, 'utf8'), expected: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

const reasons = (reports: string[]): string[] => reports.map((report) => report.replace(/^.*pool-connections skipped: /, ''));

const cases = readdirSync(DIR)
  .filter((file) => file.endsWith('.input.ts'))
  .map((file) => file.slice(0, -'.input.ts'.length))
  .sort();
const changed = cases.filter((name) => fixture(name).expected !== undefined);

function findings(path: string, source: string): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat', cwd: ROOT });
  const messages = linter.verify(
    source,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
        plugins: { bounded: plugin },
        rules: { 'bounded/no-per-call-connection': 'error' },
      },
    ],
    path,
  );
  expect(messages.filter((message) => message.fatal === true)).toEqual([]);
  return messages;
}

describe('reports', () => {
  it('refuses a client that escapes the call, with file:line:col and the reason', () => {
    const { path, source } = fixture('client-escapes');
    const { output, reports } = run(path, source);
    expect(output).toBeNull();
    expect(reports.map((report) => report.slice(0, report.indexOf(' pool-connections')))).toEqual(
      ['6:18', '12:18', '20:18', '30:17', '36:16'].map((at) => `${path}:${at}:`),
    );
    expect(reasons(reports)).toEqual([
      'the client is returned to the caller, who owns it',
      'the client is passed to `audit`, which may keep or end it',
      '`client.on()` is used; only query, connect and end can move to a shared pool',
      'the client is stored in `this.conn`, which outlives the call; share one pool by hand if it is opened per call',
      '`pool.connect()` is used; only query, connect and end can move to a shared pool',
    ]);
  });

  it('refuses a config built from values of the call (a parameter, a shorthand local)', () => {
    const { path, source } = fixture('per-call-config');
    const { output, reports } = run(path, source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual([
      'the connection config uses `tenantUrl`, a value of this call; one shared pool needs one config for every call',
      'the connection config uses `host`, a value of this call; one shared pool needs one config for every call',
    ]);
  });

  it('rewrites the first of two configs that would share a pool name, and refuses the second', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function a(): Promise<void> {',
      '  const client = new Client({ connectionString: process.env.DATABASE_URL });',
      '  await client.connect();',
      "  await client.query('select 1');",
      '  await client.end();',
      '}',
      '',
      'export async function b(): Promise<void> {',
      '  const client = new Client({ connectionString: process.env.DATABASE_URL, ssl: true });',
      '  await client.connect();',
      "  await client.query('select 2');",
      '  await client.end();',
      '}',
      '',
    ].join('\n');
    const { output, reports } = run('same-name.ts', source);
    expect(reports).toEqual([expect.stringMatching(/^same-name\.ts:11:18: .*pool "main" already gets a different connection config/)]);
    expect(output).toContain("await db().query('select 1');");
    expect(output).toContain('const client = new Client({ connectionString: process.env.DATABASE_URL, ssl: true });');
    // The import stays: b() still uses it.
    expect(output).toContain("import { Client } from 'pg';");
  });

  it('refuses control flow that cannot move into a callback', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function f(ids: number[]): Promise<number> {',
      '  for (const id of ids) {',
      '    const client = new Client({ connectionString: process.env.DATABASE_URL });',
      '    await client.connect();',
      "    const a = await client.query('select 1 where $1 > 0', [id]);",
      '    if (a.rowCount === 0) break;',
      "    await client.query('select 2');",
      '    await client.end();',
      '  }',
      '  return 0;',
      '}',
      '',
      'export async function g(): Promise<number> {',
      '  const client = new Client({ connectionString: process.env.DATABASE_URL });',
      '  await client.connect();',
      "  const a = await client.query('select 1');",
      '  if (a.rowCount === 0) return 0;',
      "  const b = await client.query('select 2');",
      '  await client.end();',
      '  return b.rowCount ?? 0;',
      '}',
      '',
    ].join('\n');
    const { output, reports } = run('flow.ts', source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual([
      'a `break` or `continue` leaves the block that uses the client',
      'the block that uses the client returns from the function and other code follows it; move it into withClient by hand',
    ]);
  });

  it("says nothing about module-level connections, a script's main() and IIFEs, memoised pools and a local class named Client", () => {
    for (const name of ['module-scope', 'runs-once', 'shadowed-client']) {
      const { path, source } = fixture(name);
      expect(run(path, source)).toEqual({ output: null, reports: [] });
    }
  });
});

describe('the rule and the transform agree', () => {
  it.each(changed)('%s: flagged before, quiet after', (name) => {
    const { path, source, expected } = fixture(name);
    expect(findings(path, source).length).toBeGreaterThan(0);
    expect(findings(path, expected!)).toEqual([]);
  });

  it.each(cases.filter((name) => !changed.includes(name)))(
    '%s: whatever the rule flags here is reported, none silently dropped',
    (name) => {
      const { path, source } = fixture(name);
      const flagged = findings(path, source).map((message) => `${message.line}:${message.column}`);
      const reported = run(path, source).reports.map((report) => /:(\d+:\d+): pool-connections/.exec(report)![1]);
      for (const at of flagged) expect(reported).toContain(at);
    },
  );
});

describe('byte fidelity', () => {
  interface Hunk {
    readonly first: number;
    readonly last: number;
    readonly lines: string[];
  }
  function hunks(before: string, after: string): Hunk[] {
    const found: Hunk[] = [];
    for (const line of unifiedDiff('f.ts', before, after, 0).split('\n')) {
      const header = /^@@ -(\d+),(\d+) /.exec(line);
      if (header !== null) {
        const start = Number(header[1]);
        const count = Number(header[2]);
        found.push(count === 0 ? { first: start + 1, last: start, lines: [] } : { first: start, last: start + count - 1, lines: [] });
      } else if (found.length > 0 && /^[+-](?![+-]{2})/.test(line)) found.at(-1)!.lines.push(line.slice(1));
    }
    return found;
  }

  it.each(changed)('%s: every hunk is an import or lies in a top-level statement the rule flagged (or just above it)', (name) => {
    const { path, source, expected } = fixture(name);
    const j = jscodeshift.withParser('ts');
    const body = (
      j(source).get() as { node: { program: { body: { type: string; loc: { start: { line: number }; end: { line: number } } }[] } } }
    ).node.program.body;
    const flagged = new Set(
      findings(path, source).map((message) => body.find((s) => s.loc.start.line <= message.line && message.line <= s.loc.end.line)!),
    );
    // The accessor goes right above the statement (its comments, and a blank line, may sit between).
    const regions = [...flagged].map((statement) => {
      const previous = body[body.indexOf(statement) - 1];
      return { first: previous === undefined ? 1 : previous.loc.end.line + 1, last: statement.loc.end.line };
    });
    const importsEnd = body.find((statement) => statement.type !== 'ImportDeclaration')?.loc.start.line ?? Number.POSITIVE_INFINITY;
    for (const hunk of hunks(source, expected!)) {
      const importsOnly = hunk.last < importsEnd && hunk.lines.every((line) => line === '' || /^import\b.*\bfrom '[^']+';$/.test(line));
      const inside = regions.some(
        (region) => region.first <= Math.min(hunk.first, hunk.last + 1) && Math.max(hunk.last, hunk.first - 1) <= region.last,
      );
      expect(importsOnly || inside, `hunk at ${hunk.first}-${hunk.last}:\n${hunk.lines.join('\n')}`).toBe(true);
    }
  });

  it("returns null for a `Client` that is not pg's", () => {
    expect(
      run('x.ts', "import { Client } from './my-client.js';\nexport async function f() { const c = new Client(); await c.connect(); }\n")
        .output,
    ).toBeNull();
  });
});

describe('output type-checks against the runtime', () => {
  it('tsc passes on every .output.ts (fixtures/codemods/pool-connections/tsconfig.json maps @bounded/runtime to the source)', () => {
    // runTsc throws when tsc times out, is killed or crashes: a check that did not run never passes.
    const { files, diagnostics } = runTsc(join(DIR, 'tsconfig.json'), 110_000);
    const outputs = readdirSync(DIR).filter((name) => name.endsWith('.output.ts'));
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.filter((name) => !files.includes(join(DIR, name)))).toEqual([]);
    // Only the fixtures are ours to judge; errors inside runtime/ belong to work in progress elsewhere.
    const ours = diagnostics.filter((line) => line.startsWith('fixtures/') || line.includes('.output.ts'));
    expect(ours).toEqual([]);
  }, 120_000);
});

describe('parser by extension', () => {
  it('picks tsx for .tsx / .jsx, ts for .ts / .mts / .cts, babel for .js', () => {
    expect(['a.tsx', 'a.jsx', 'a.ts', 'a.mts', 'a.cts', 'a.js', 'a.mjs', 'a.cjs'].map(parserFor)).toEqual([
      'tsx',
      'tsx',
      'ts',
      'ts',
      'ts',
      'babel',
      'babel',
      'babel',
    ]);
  });

  const client = (indent: string): string =>
    [
      `${indent}const client = new Client({ connectionString: process.env.DATABASE_URL });`,
      `${indent}await client.connect();`,
      `${indent}const { rows } = await client.query('select name from users');`,
      `${indent}await client.end();`,
    ].join('\n');

  it('rewrites a .tsx file with JSX and generics', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function Names(): Promise<JSX.Element> {',
      client('  '),
      '  const first = (<T,>(xs: T[]): T | undefined => xs[0])(rows);',
      '  return <ul>{rows.map((row) => <li key={row.name}>{row.name}</li>)}{String(first)}</ul>;',
      '}',
      '',
    ].join('\n');
    const { output, reports } = run('names.tsx', source);
    expect(reports).toEqual([]);
    expect(output).toContain("const { rows } = await db().query('select name from users');");
    expect(output).toContain('return <ul>{rows.map((row) => <li key={row.name}>{row.name}</li>)}{String(first)}</ul>;');
  });

  it('rewrites a .js file with require and JSX', () => {
    const source = [
      "const { Client } = require('pg');",
      '',
      'async function names() {',
      client('  '),
      '  return <ul>{rows.map((row) => <li>{row.name}</li>)}</ul>;',
      '}',
      '',
      'module.exports = { names };',
      '',
    ].join('\n');
    const { output } = run('names.js', source);
    expect(output).not.toBeNull();
    expect(output).not.toContain("require('pg')");
    // CommonJS stays CommonJS: the runtime comes in through require, where pg's require was.
    expect(output).toMatch(/^const \{ getPool \} = require\('@bounded\/runtime'\);\n\nconst db = \(\) => getPool\('main', /);
    expect(output).not.toContain('import ');
    expect(output).toContain("const db = () => getPool('main', { connectionString: process.env.DATABASE_URL, min: 5, max: 20 });");
    expect(output).toContain("const { rows } = await db().query('select name from users');");
  });
});

describe('policy numbers and pool names', () => {
  it('takes min and max from defaults.pool, and name and limits from the policy pool that reads the same variable', () => {
    const custom: Policy = {
      ...policy,
      defaults: { ...policy.defaults, pool: { min: 2, max: 8 } },
      pools: {
        reporting: {
          connectionString: undefined,
          connectionStringRef: 'env:ANALYTICS_DB_URL',
          min: 1,
          max: 3,
          connectTimeoutMs: 10_000,
          idleTimeoutMs: 30_000,
          statementTimeoutMs: 30_000,
          queryTimeoutMs: 35_000,
          maxQueue: 100,
        },
      },
    };
    const { path, source } = fixture('two-databases');
    const { output } = run(path, source, { policy: custom });
    expect(output).toContain("const db = () => getPool('main', { connectionString: process.env.DATABASE_URL, min: 2, max: 8 });");
    expect(output).toContain(
      "const reportingDb = () => getPool('reporting', { connectionString: process.env.ANALYTICS_DB_URL, min: 1, max: 3 });",
    );
  });

  it("keeps a pool's own max, and lowers min to fit under it", () => {
    const { path, source } = fixture('pool-in-function');
    const { output } = run(path, source, { policy: { ...policy, defaults: { ...policy.defaults, pool: { min: 10, max: 50 } } } });
    expect(output).toContain("getPool('events', { connectionString: process.env.EVENTS_DATABASE_URL, max: 4, min: 4 })");
  });
});

describe('overlapping and stray uses', () => {
  it('rewrites the outer of two nested clients, reports the inner, and a second run takes the inner', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function nested(): Promise<void> {',
      '  const outer = new Client({ connectionString: process.env.DATABASE_URL });',
      '  await outer.connect();',
      "  await outer.query('select 1');",
      '  const inner = new Client({ connectionString: process.env.AUDIT_DB_URL });',
      '  await inner.connect();',
      "  await inner.query('select 2');",
      '  await inner.end();',
      "  await outer.query('select 3');",
      '  await outer.end();',
      '}',
      '',
    ].join('\n');
    const first = run('nested.ts', source);
    expect(reasons(first.reports)).toEqual([
      'it lies inside the code of another connection this run rewrites; run the transform again afterwards',
    ]);
    expect(first.output).toContain('await db().withClient(async (outer) => {');
    expect(first.output).toContain('    const inner = new Client({ connectionString: process.env.AUDIT_DB_URL });');
    expect(first.output).not.toContain('auditDb');
    // The import stays for the inner client, then goes with it.
    expect(first.output).toContain("import { Client } from 'pg';");
    const second = run('nested.ts', first.output!);
    expect(second.reports).toEqual([]);
    expect(second.output).toContain("    await auditDb().query('select 2');");
    expect(second.output).not.toContain("from 'pg'");
    expect(run('nested.ts', second.output!).output).toBeNull();
  });

  it('moves everything after connect() into the callback when end() is not at block level', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function late(): Promise<void> {',
      '  const client = new Client({ connectionString: process.env.DATABASE_URL });',
      '  await client.connect();',
      "  await client.query('select 1');",
      "  await client.query('select 2');",
      '  if (Math.random() > 2) {',
      '    await client.end();',
      '  }',
      "  await client.query('select 3');",
      '}',
      '',
    ].join('\n');
    const { output } = run('late.ts', source);
    // No end() at block level: the whole rest of the block moves into the callback.
    expect(output).toContain("    await client.query('select 3');\n  });");
    expect(output).not.toContain('client.end()');
  });
});

describe('a query after end()', () => {
  it('is refused rather than left outside the callback', () => {
    const source = [
      "import { Client } from 'pg';",
      '',
      'export async function late(): Promise<void> {',
      '  const client = new Client({ connectionString: process.env.DATABASE_URL });',
      '  await client.connect();',
      "  await client.query('select 1');",
      "  await client.query('select 2');",
      '  await client.end();',
      "  await client.query('select 3');",
      '}',
      '',
    ].join('\n');
    const { output, reports } = run('late.ts', source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual(['`client` is used after the block that ends it']);
  });
});

describe('the rewritten code against a real PostgreSQL server', () => {
  const RUNTIME = join(ROOT, 'runtime', 'index.ts');
  const schema = `pool_connections_${process.pid}`;
  let database: TestDatabase;
  let dir: string;
  const saved = process.env.DATABASE_URL;

  /** Imports a fixture's output as a module, with `@bounded/runtime` pointing at the source. */
  async function load<T>(name: string): Promise<T> {
    const file = join(dir, `${name}.ts`);
    writeFileSync(file, fixture(name).expected!.replaceAll("'@bounded/runtime'", `'${RUNTIME}'`));
    return (await import(pathToFileURL(file).href)) as T;
  }

  beforeAll(async () => {
    database = await testDatabase();
    await database.query(`create schema ${schema}`);
    await database.query(`create table ${schema}.accounts (id int primary key, balance int not null check (balance >= 0))`);
    await database.query(`create table ${schema}.users (id int primary key, name text not null)`);
    await database.query(`create table ${schema}.posts (id serial primary key, author int not null)`);
    await database.query(`insert into ${schema}.accounts values (1, 100), (2, 0)`);
    await database.query(`insert into ${schema}.users values (7, 'ada')`);
    await database.query(`insert into ${schema}.posts (author) values (7), (7), (8)`);
    const url = new URL(database.url);
    url.searchParams.set('options', `-c search_path=${schema}`);
    process.env.DATABASE_URL = url.toString();
    dir = mkdtempSync(join(tmpdir(), 'pool-connections-'));
  }, 120_000);

  afterAll(async () => {
    await getPool('main').close();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    await database?.query(`drop schema if exists ${schema} cascade`);
    await database?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('transaction: commits both updates, and rolls both back when the second fails', async () => {
    const { transfer } = await load<{ transfer: (from: number, to: number, amount: number) => Promise<void> }>('transaction-try-catch');
    await transfer(1, 2, 30);
    const balances = async (): Promise<number[]> =>
      (await database.query<{ balance: number }>(`select balance from ${schema}.accounts order by id`)).rows.map((row) => row.balance);
    expect(await balances()).toEqual([70, 30]);
    // Debit 2 by 50 fails the check after 1 was credited: nothing may stay.
    await expect(transfer(2, 1, 50)).rejects.toThrow(/check constraint/);
    expect(await balances()).toEqual([70, 30]);
  });

  it('withClient: the values declared inside come back out, on one shared pool', async () => {
    const { profile } = await load<{ profile: (id: number) => Promise<string> }>('several-queries');
    const results = await Promise.all([profile(7), profile(7), profile(7)]);
    expect(results).toEqual(['ada (2 posts)', 'ada (2 posts)', 'ada (2 posts)']);
    const pool = getPool('main');
    expect(pool.max).toBe(policy.defaults.pool.max);
    expect(pool.min).toBe(policy.defaults.pool.min);
    expect(pool.stats().acquired).toBeGreaterThanOrEqual(3);
  });
});
