import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import jscodeshift, { type API } from 'jscodeshift';
import ts from 'typescript';
import { applyTransform } from 'jscodeshift/src/testUtils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../cli/diff.js';
import * as releaseClients from '../../codemods/transforms/release-clients.js';
import type { ReleaseClientsOptions } from '../../codemods/transforms/release-clients.js';
import { optionsAllowUsing, parseJsonc, projectTargetsUsing } from '../../codemods/utils/release-tsconfig.js';
import requireRelease from '../../eslint-plugin/rules/require-release.js';

const transform = releaseClients.default;
const FIXTURES = fileURLToPath(new URL('../../fixtures/codemods/release-clients/', import.meta.url));
const cases = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.input.ts'))
  .map((file) => file.slice(0, -'.input.ts'.length))
  .sort();
const changed = cases.filter((c) => existsSync(join(FIXTURES, `${c}.output.ts`)));

function parserFor(path: string): string {
  if (path.endsWith('.tsx') || path.endsWith('.jsx')) return 'tsx';
  return path.endsWith('.ts') ? 'ts' : 'babel';
}

function run(path: string, source: string, options: ReleaseClientsOptions = {}): { output: string | null; reports: string[] } {
  const j = jscodeshift.withParser(parserFor(path));
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  return { output: transform({ path, source }, api, options), reports };
}

const read = (c: string, kind: 'input' | 'output'): string => readFileSync(join(FIXTURES, `${c}.${kind}.ts`), 'utf8');
const reasons = (reports: readonly string[]): string[] => reports.map((report) => report.replace(/^.*?release-clients skipped: /, ''));

const linter = new Linter({ configType: 'flat' });
function releaseFindings(code: string, filename = 'file.ts'): Linter.LintMessage[] {
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts', '**/*.tsx', '**/*.js'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
        plugins: { bounded: { rules: { 'require-release': requireRelease } } as never },
        rules: { 'bounded/require-release': 'error' },
      },
    ],
    filename,
  );
}

describe('the rule and the transform agree', () => {
  it.each(changed)('%s: the rule flags the input and not the output', (c) => {
    const flagged = releaseFindings(read(c, 'input'));
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((message) => message.ruleId === 'bounded/require-release')).toBe(true);
    expect(releaseFindings(read(c, 'output'))).toEqual([]);
  });

  it('leaves alone what the rule accepts', () => {
    expect(releaseFindings(read('already-released', 'input'))).toEqual([]);
    expect(run('already-released.ts', read('already-released', 'input'))).toEqual({ output: null, reports: [] });
  });
});

describe('the fixtures type-check', () => {
  it('every input and output compiles under strict TypeScript with pg and @bounded/runtime', () => {
    const files = readdirSync(FIXTURES).map((file) => join(FIXTURES, file));
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      paths: { '@bounded/runtime': [fileURLToPath(new URL('../../runtime/index.ts', import.meta.url))] },
    });
    // Only the fixtures are checked (not the runtime they import), which keeps this quick.
    const errors = files
      .flatMap((file) => {
        const sourceFile = program.getSourceFile(file)!;
        return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
      })
      .map(
        (diagnostic) =>
          `${diagnostic.file!.fileName.replace(FIXTURES, '')}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      );
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('byte fidelity', () => {
  /** Line spans [checkout line, end of the checkout's block], from the input. */
  function heldSpans(source: string): [number, number][] {
    const j = jscodeshift.withParser('ts');
    const spans: [number, number][] = [];
    j(source)
      .find(j.CallExpression)
      .forEach((path) => {
        const callee = path.node.callee;
        if (
          callee.type !== 'MemberExpression' ||
          callee.property.type !== 'Identifier' ||
          !['connect', 'acquire'].includes(callee.property.name)
        )
          return;
        let up = path.parent as { node: { type: string; loc?: { end: { line: number } } }; parent?: unknown } | null;
        while (up !== null && up.node.type !== 'BlockStatement' && up.node.type !== 'Program') up = (up.parent ?? null) as typeof up;
        spans.push([path.node.loc!.start.line, up!.node.loc!.end.line]);
      });
    return spans;
  }

  it.each(changed)('%s: every hunk lies between a checkout and the end of its block', (c) => {
    const input = read(c, 'input');
    const spans = heldSpans(input);
    const hunks = [...unifiedDiff('f.ts', input, read(c, 'output'), 0).matchAll(/^@@ -(\d+)(?:,(\d+))? /gm)];
    expect(hunks.length).toBeGreaterThan(0);
    for (const hunk of hunks) {
      const first = Number(hunk[1]);
      const last = first + Math.max(Number(hunk[2] ?? 1), 1) - 1;
      expect(
        spans.some(([from, to]) => first >= from && last <= to),
        `hunk at input line ${first}`,
      ).toBe(true);
    }
  });

  it("indents top-level code by the file's unit, not by a block comment's alignment", () => {
    const source = `/**
 * A migration.
 */
import pg from 'pg';
const pool = new pg.Pool();
const client = await pool.connect();
await client.query('select 1');
client.release();
export function later(): void {
    console.log('four spaces here');
}
`;
    expect(run('top.ts', source).output).toContain(
      "const client = await pool.connect();\ntry {\n    await client.query('select 1');\n} finally {\n    client.release();\n}\n",
    );
  });

  it('leaves the continuation line of a backslash-continued string as it was', () => {
    const source =
      "import pg from 'pg';\nconst pool = new pg.Pool();\nexport async function f(): Promise<void> {\n  const c = await pool.connect();\n  await c.query('select 1 \\\nfrom t');\n  c.release();\n}\n";
    expect(run('continued.ts', source).output).toContain("    await c.query('select 1 \\\nfrom t');\n");
  });

  it('keeps CRLF line endings, tabs and template literal text', () => {
    const source =
      "import pg from 'pg';\r\nconst pool = new pg.Pool();\r\nexport async function f(): Promise<void> {\r\n\tconst c = await pool.connect();\r\n\tawait c.query(`select 1\r\n  from t`);\r\n\tc.release();\r\n}\r\n";
    const { output } = run('crlf.ts', source);
    expect(output).toBe(
      "import pg from 'pg';\r\nconst pool = new pg.Pool();\r\nexport async function f(): Promise<void> {\r\n\tconst c = await pool.connect();\r\n\ttry {\r\n\t\tawait c.query(`select 1\r\n  from t`);\r\n\t} finally {\r\n\t\tc.release();\r\n\t}\r\n}\r\n",
    );
  });
});

describe('reports', () => {
  it('says why each handed-off client stays as it is, with file:line:col', () => {
    const path = join(FIXTURES, 'refuses-handoff.input.ts');
    const { output, reports } = run(path, read('refuses-handoff', 'input'));
    expect(output).toBeNull();
    expect(reports.map((report) => report.replace(/: release-clients skipped: .*$/, '').replace(FIXTURES, ''))).toEqual([
      'refuses-handoff.input.ts:11:24',
      'refuses-handoff.input.ts:17:24',
      'refuses-handoff.input.ts:22:24',
      'refuses-handoff.input.ts:28:24',
    ]);
    expect(reasons(reports)).toEqual([
      '`client` is returned (line 13), so the receiver owns it and must release it; left as it is',
      '`client` is passed to `runMigrations(…)` (line 18), so the receiver owns it and must release it; left as it is',
      '`client` is released inside a callback (line 24), which owns it from there; left as it is',
      '`client` is released in a `.then` callback (line 29), which runs only on success; release it in `finally` by hand',
    ]);
  });

  it('says why each unsafe rewrite is refused', () => {
    const { output, reports } = run('refuses-unsafe.ts', read('refuses-unsafe', 'input'));
    expect(output).toBeNull();
    expect(reports.map((report) => /^refuses-unsafe\.ts:(\d+):\d+: /.exec(report)?.[1])).toEqual([
      '10',
      '13',
      '20',
      '26',
      '34',
      '46',
      '51',
    ]);
    expect(reasons(reports)).toEqual([
      '`client` is reassigned (line 13); a `finally` would release whichever client it holds by then',
      '`client` is assigned a client after its declaration; give each checkout its own `const` and run release-clients again, or release it in `finally` by hand',
      '`client` is assigned a client after its declaration; give each checkout its own `const` and run release-clients again, or release it in `finally` by hand',
      '`rows`, declared while `client` is held, is used by later code that waits (line 29); moving that into the `try` would hold the client across the wait',
      '`client.release()` (line 37) is followed by code that waits (line 38); moving it into `finally` would hold the client across that wait',
      "`client.query('select * from orders where id = $1', [id])` is returned without `await` (line 47); a `finally` would release `client` before it settles — write `return await …` first",
      '`client.release(error as Error)` passes a value that a `finally` cannot see; release it by hand',
    ]);
  });

  it('reports nothing for the cases it rewrites', () => {
    for (const c of changed) expect(run(`${c}.ts`, read(c, 'input')).reports, c).toEqual([]);
  });

  it('refuses a callback use that may outlive the function, a loop around the release and a one-line block', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function later(): Promise<void> {
  const client = await pool.connect();
  setTimeout(() => void client.query('select 1'), 10);
  client.release();
}
export async function skipped(ids: string[]): Promise<void> {
  const client = await pool.connect();
  for (const id of ids) {
    if (id === '') {
      client.release();
      continue;
    }
    await client.query('select $1', [id]);
  }
  client.release();
}
export async function looped(ids: string[]): Promise<void> {
  const client = await pool.connect();
  for (const id of ids) {
    await client.query('select $1', [id]);
    client.release();
  }
}
export async function oneLine(): Promise<void> { const c = await pool.connect(); await c.query('select 1'); c.release(); }
`;
    const { output, reports } = run('refuse.ts', source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual([
      '`client` is used in a callback (line 5) that may run after the function moves on; releasing it in `finally` could pull it out from under that callback',
      '`client.release()` (line 12) is followed by a `continue` that stays inside the held code (line 13); release it by hand',
      '`client.release()` (line 23) is inside a loop that holds the client; release it by hand',
      "`c`'s checkout shares its line with other code; put it on a line of its own first",
    ]);
  });

  it('moves a release followed by `return` out of a loop: the return leaves the try', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function firstEmpty(ids: string[]): Promise<string | undefined> {
  const client = await pool.connect();
  for (const id of ids) {
    const { rowCount } = await client.query('select 1 from t where id = $1', [id]);
    if (rowCount === 0) {
      client.release();
      return id;
    }
  }
  client.release();
  return undefined;
}
`;
    const { output, reports } = run('loop-return.ts', source);
    expect(reports).toEqual([]);
    // The final `return undefined` does not use the client: it stays after the try.
    expect(output).toContain(
      '      if (rowCount === 0) {\n        return id;\n      }\n    }\n  } finally {\n    client.release();\n  }\n  return undefined;\n}\n',
    );
  });

  it('reports a file with mixed line endings and leaves it alone', () => {
    const { output, reports } = run(
      'mixed.ts',
      "import pg from 'pg';\r\nconst pool = new pg.Pool();\nexport async function f() {\n  const c = await pool.connect();\n  await c.query('x');\n  c.release();\n}\n",
    );
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual(['the file mixes line endings (or holds U+2028/U+2029); normalise them first']);
  });

  it('refuses to move a release past another one: the order clients go back stays as written', () => {
    const source = `import { getPool } from '@bounded/runtime';
const db = getPool('main');
export async function pair(): Promise<void> {
  const a = await db.acquire();
  const b = await db.acquire();
  a.release();
  b.release(new Error('done with it'));
}
`;
    const { output, reports } = run('order.ts', source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual([
      '`a.release()` (line 6) is followed by another release (line 7); moving it into `finally` would change the order things are given back',
      "`b.release(new Error('done with it'))` passes a value that a `finally` cannot see; release it by hand",
    ]);
  });

  it('stays silent about a client assigned inside a try whose finally releases it', () => {
    const source = `import type { PoolClient } from 'pg';
import { pool } from './db.js';
export async function lockJob(id: string) {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('select pg_advisory_lock($1)', [id]);
  } finally {
    client?.release();
  }
}
`;
    expect(run('lock.ts', source)).toEqual({ output: null, reports: [] });
  });

  it('stays silent about generic-pool, whose pool takes the resource back', () => {
    const source = `import { createPool } from 'generic-pool';
const browserPool = createPool(factory, { max: 4 });
export async function screenshot(url: string) {
  const browser = await browserPool.acquire();
  const page = await browser.newPage();
  await page.goto(url);
  await browserPool.release(browser);
}
`;
    expect(run('generic.ts', source)).toEqual({ output: null, reports: [] });
  });

  it('refuses a `var` client used outside its block', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function f(flag: boolean) {
  if (flag) {
    var client = await pool.connect();
    await client.query('select 1');
    client.release();
  }
  return client;
}
`;
    const { output, reports } = run('var.ts', source);
    expect(output).toBeNull();
    expect(reasons(reports)).toEqual(['`var client` is used outside the block of its checkout; declare it with `const` first']);
  });

  it('drops non-null and optional releases too, and writes the plain form in finally', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function f(id: string) {
  const client = await pool.connect();
  if (id === '') {
    client!.release();
    return;
  }
  await client.query('select $1', [id]);
  client?.release();
}
`;
    expect(run('optional.ts', source).output).toBe(`import pg from 'pg';
const pool = new pg.Pool();
export async function f(id: string) {
  const client = await pool.connect();
  try {
    if (id === '') {
      return;
    }
    await client.query('select $1', [id]);
  } finally {
    client.release();
  }
}
`);
  });

  it('allows a callback that is awaited where it is made', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function touchAll(ids: string[]): Promise<void> {
  const client = await pool.connect();
  await Promise.all(ids.map((id) => client.query('update t set seen = now() where id = $1', [id])));
  client.release();
}
`;
    expect(run('awaited.ts', source).output).toContain('  try {\n    await Promise.all(ids.map((id) => client.query(');
  });
});

describe('await using', () => {
  const bounded = `import { getPool } from '@bounded/runtime';
import pg from 'pg';

const db = getPool('main');
const pool = new pg.Pool();

export async function markDone(id: string): Promise<void> {
  const client = await db.acquire();
  await client.query('update jobs set state = $1 where id = $2', ['done', id]);
  client.release();
}

export async function markFailed(id: string): Promise<void> {
  const client = await pool.connect();
  await client.query('update jobs set state = $1 where id = $2', ['failed', id]);
  client.release();
}
`;

  it('holds a bounded pool client with `await using` when asked, and a pg client with try/finally still', () => {
    const { output, reports } = run('using.ts', bounded, { usingDeclarations: true });
    expect(reports).toEqual([]);
    expect(output).toBe(`import { getPool } from '@bounded/runtime';
import pg from 'pg';

const db = getPool('main');
const pool = new pg.Pool();

export async function markDone(id: string): Promise<void> {
  await using client = await db.acquire();
  await client.query('update jobs set state = $1 where id = $2', ['done', id]);
}

export async function markFailed(id: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('update jobs set state = $1 where id = $2', ['failed', id]);
  } finally {
    client.release();
  }
}
`);
    expect(releaseFindings(output!)).toEqual([]);
    expect(run('using.ts', output!, { usingDeclarations: true }).output).toBeNull();
  });

  it('uses try/finally by default, and when later code waits', () => {
    expect(run('using.ts', bounded).output).toContain('  const client = await db.acquire();\n  try {\n');
    const waitsAfter = bounded.replace(
      '  client.release();\n}\n\nexport async function markFailed',
      '  client.release();\n  await db.close();\n}\n\nexport async function markFailed',
    );
    const { output } = run('using.ts', waitsAfter, { usingDeclarations: true });
    expect(output).toContain('  const client = await db.acquire();\n  try {\n');
    expect(output).toContain('  } finally {\n    client.release();\n  }\n  await db.close();\n');
  });

  describe("'auto' reads the nearest tsconfig.json", () => {
    const root = mkdtempSync(join(tmpdir(), 'release-clients-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const project = (name: string, tsconfig: string): string => {
      const dir = join(root, name);
      mkdirSync(join(dir, 'src'), { recursive: true });
      writeFileSync(join(dir, 'tsconfig.json'), tsconfig);
      return join(dir, 'src', 'jobs.ts');
    };

    it('yes for lib esnext.disposable (comments and trailing commas allowed), through extends', () => {
      const file = project(
        'disposable',
        '{\n  // the service\n  "compilerOptions": { "target": "ES2022", "lib": ["ES2023", "ESNext.Disposable",], },\n}\n',
      );
      expect(run(file, bounded, { usingDeclarations: 'auto' }).output).toContain('await using client = await db.acquire();');
      writeFileSync(join(root, 'base.json'), '{ "compilerOptions": { "lib": ["esnext"] } }');
      const extended = project('extended', '{ "extends": "../base.json", "compilerOptions": { "target": "es2022" } }');
      expect(projectTargetsUsing(extended)).toBe(true);
    });

    it('no for an ES2022 lib', () => {
      const file = project('plain', '{ "compilerOptions": { "target": "ES2022", "lib": ["ES2022"] } }');
      expect(run(file, bounded, { usingDeclarations: 'auto' }).output).toContain('  const client = await db.acquire();\n  try {\n');
    });
  });

  it('reads compiler options and JSONC the way tsc does', () => {
    expect(optionsAllowUsing({ target: 'ESNext' })).toBe(true);
    expect(optionsAllowUsing({ target: 'ES2022' })).toBe(false);
    expect(optionsAllowUsing({ target: 'ESNext', lib: ['ES2022'] })).toBe(false);
    expect(parseJsonc('{ "a": "//not a comment", /* b */ "c": [1,], }')).toEqual({ a: '//not a comment', c: [1] });
  });
});

describe('release(error) on a failed transaction', () => {
  it('picks names the function does not use yet', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();
export async function move(failed: boolean, error: string): Promise<void> {
  const client = await pool.connect();
  await client.query('begin');
  await client.query('insert into moves (failed, error) values ($1, $2)', [failed, error]);
  await client.query('commit');
  client.release();
}
`;
    const { output } = run('names.ts', source);
    expect(output).toContain('  let txFailed = false;\n  try {\n');
    expect(output).toContain(
      '  } catch (cause) {\n    txFailed = true;\n    throw cause;\n  } finally {\n    client.release(txFailed);\n  }\n',
    );
  });

  it('releases a mysql connection plainly (its release takes no error)', () => {
    const source = `import mysql from 'mysql2/promise';
const db = mysql.createPool({});
export async function move(): Promise<void> {
  const conn = await db.getConnection();
  await conn.query('start transaction');
  await conn.query('commit');
  conn.release();
}
`;
    expect(run('mysql.ts', source).output).toContain('  } finally {\n    conn.release();\n  }\n');
  });
});

describe('other parsers', () => {
  it('rewrites plain JavaScript with the babel parser', () => {
    const source = `const { Pool } = require('pg');
const pool = new Pool();

async function getUser(id) {
  const client = await pool.connect();
  const { rows } = await client.query('select * from users where id = $1', [id]);
  if (!rows.length) return null;
  client.release();
  return rows[0];
}
module.exports = { getUser };
`;
    const { output } = run('users.js', source);
    expect(output).toBe(`const { Pool } = require('pg');
const pool = new Pool();

async function getUser(id) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('select * from users where id = $1', [id]);
    if (!rows.length) return null;
    return rows[0];
  } finally {
    client.release();
  }
}
module.exports = { getUser };
`);
    expect(run('users.js', output!).output).toBeNull();
  });

  it('rewrites a .tsx file and leaves its JSX as it was', () => {
    const source = `import pg from 'pg';
const pool = new pg.Pool();

export async function Profile({ id }: { id: string }) {
  const client = await pool.connect();
  const { rows } = await client.query<{ name: string }>('select name from users where id = $1', [id]);
  client.release();
  return (
    <section>
      <h1>{rows[0]?.name}</h1>
    </section>
  );
}
`;
    const { output } = run('profile.tsx', source);
    expect(output).toBe(`import pg from 'pg';
const pool = new pg.Pool();

export async function Profile({ id }: { id: string }) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ name: string }>('select name from users where id = $1', [id]);
    return (
      <section>
        <h1>{rows[0]?.name}</h1>
      </section>
    );
  } finally {
    client.release();
  }
}
`);
    expect(run('profile.tsx', output!).output).toBeNull();
  });
});

describe('idempotence and null results', () => {
  it.each(changed)('%s: a second run changes nothing', (c) => {
    expect(run(`${c}.ts`, read(c, 'output')).output).toBeNull();
  });

  it("works under jscodeshift's own applyTransform", () => {
    const path = join(FIXTURES, 'early-return.input.ts');
    expect(applyTransform(releaseClients, {}, { path, source: read('early-return', 'input') })).toBe(read('early-return', 'output').trim());
    expect(applyTransform(releaseClients, {}, { path, source: read('refuses-handoff', 'input') })).toBe('');
  });

  it('throws on a file it cannot parse rather than returning text', () => {
    expect(() => run('broken.ts', 'export async function f( {\n  const c = await pool.connect();\n')).toThrow();
  });
});
