/**
 * `bounded db init`: creates the PostgreSQL store's schema ahead of first use, from --url or
 * from the postgres stores the policy names; `--print-sql` prints the DDL for a DBA.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/temp.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase();
  await db.query('DROP SCHEMA IF EXISTS bounded_cli_a CASCADE');
  await db.query('DROP SCHEMA IF EXISTS bounded_cli_b CASCADE');
});

afterAll(async () => {
  await db?.query('DROP SCHEMA IF EXISTS bounded_cli_a CASCADE').catch(() => undefined);
  await db?.query('DROP SCHEMA IF EXISTS bounded_cli_b CASCADE').catch(() => undefined);
  await db?.close();
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

async function tables(schema: string): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    'select table_name from information_schema.tables where table_schema = $1 order by table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

describe('bounded db init', () => {
  it('creates the schema given by --url and --schema, and is idempotent', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await run(['db', 'init', '--url', db.url, '--schema', 'bounded_cli_a']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Ready: postgres .* schema bounded_cli_a \(tables rate_limits, semaphores\)\n$/);
    }
    expect(await tables('bounded_cli_a')).toEqual(['rate_limits', 'semaphores']);
  });

  it('sets up every postgres store the policy names', async () => {
    const dir = tempDir('bounded-db-');
    const file = join(dir, 'bounded.policy.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'rateLimits:',
        `  a: { rate: 1, store: { kind: postgres, url: "${db.url}", schema: bounded_cli_b } }`,
        'semaphores:',
        `  s: { limit: 1, store: { kind: postgres, url: "${db.url}", schema: bounded_cli_b } }`,
      ].join('\n'),
    );
    const result = await run(['db', 'init', '--policy', file]);
    expect(result.code).toBe(0);
    // Two entries, one store: set up once.
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(await tables('bounded_cli_b')).toEqual(['rate_limits', 'semaphores']);
  });

  it('prints the SQL with --print-sql', async () => {
    const result = await run(['db', 'init', '--print-sql', '--schema', 'limits']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "limits";');
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "limits".rate_limits (');
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "limits".semaphores (');
  });

  it('fails clearly when the server cannot be reached, and on bad usage', async () => {
    const down = await run(['db', 'init', '--url', 'postgres://nobody:secret@127.0.0.1:1/x', '--timeout', '2000']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^bounded db init: Store postgres 127\.0\.0\.1:1\/x schema bounded unavailable: create schema failed/);
    expect(down.stderr).not.toContain('secret');
    expect((await run(['db', 'drop'])).code).toBe(2);
    expect((await run(['db', 'init', '--schema', 'Bad Name'])).stderr).toMatch(/lower-case SQL identifier/);
    expect((await run(['db', '--help'])).stdout).toContain('bounded db init');
  });
});
