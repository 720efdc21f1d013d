import { parseArgs } from 'node:util';
import type { StorePolicy } from '@bounded/policy';
import { isStoreUnavailableError } from '@bounded/runtime';
import { postgresStoreSql } from '@bounded/runtime';
import { createPostgresStore } from '@bounded/runtime';
import type { Io } from '../io.js';
import { loadPolicyFor } from '../load-policy.js';

export const DB_USAGE = `Usage:
  bounded db init [--url URL] [--schema NAME] [--policy FILE]
  bounded db init --print-sql [--schema NAME]

Creates the schema and tables of the PostgreSQL store for shared limits (the store also creates
them on first use; run this ahead when the service's database role may not create schemas).

Without --url, every postgres store named in the policy (store: { kind: postgres, url, schema })
is set up; with none there, DATABASE_URL is used.

Options:
  --url URL       postgres:// connection string (default: the policy's stores, else DATABASE_URL)
  --schema NAME   Schema for the tables (default: the policy's, else bounded)
  --policy FILE   The policy file (default: BOUNDED_POLICY, else the nearest bounded.policy.yaml)
  --timeout MS    Longest wait for the server, in milliseconds (default 10000)
  --print-sql     Print the SQL instead of running it, to apply by hand
`;

interface Target {
  readonly url: string;
  readonly schema: string;
}

// eslint-disable-next-line max-lines-per-function -- argument checks, then one branch per db subcommand over the same connection settings
export async function dbCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        schema: { type: 'string' },
        policy: { type: 'string' },
        timeout: { type: 'string' },
        'print-sql': { type: 'boolean' },
      },
    });
  } catch (error) {
    io.stderr.write(`bounded db: ${(error as Error).message}\n\n${DB_USAGE}`);
    return 2;
  }
  const [action, ...extra] = parsed.positionals;
  if (action !== 'init' || extra.length > 0) {
    const what =
      action === undefined
        ? 'missing action'
        : action !== 'init'
          ? `unknown action "${action}"`
          : `unexpected arguments: ${extra.join(' ')}`;
    io.stderr.write(`bounded db: ${what}\n\n${DB_USAGE}`);
    return 2;
  }
  const { url, schema, policy, timeout } = parsed.values;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    io.stderr.write(`bounded db init: --schema must be a lower-case SQL identifier (letters, digits, _), got "${schema}"\n`);
    return 2;
  }
  const timeoutMs = timeout === undefined ? 10_000 : Number(timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    io.stderr.write(`bounded db init: --timeout must be a positive number of milliseconds, got "${timeout}"\n`);
    return 2;
  }
  if (parsed.values['print-sql'] === true) {
    io.stdout.write(
      `${postgresStoreSql(schema ?? 'bounded')
        .createSchema.map((statement) => `${dedent(statement)};`)
        .join('\n\n')}\n`,
    );
    return 0;
  }

  let targets: Target[];
  if (url !== undefined) {
    targets = [{ url, schema: schema ?? 'bounded' }];
  } else {
    const loaded = loadPolicyFor('db init', io, policy, cwd);
    if (loaded === undefined) return 1;
    const stores = [...Object.values(loaded.semaphores), ...Object.values(loaded.rateLimits)]
      .map((entry) => entry.store)
      .filter((store): store is StorePolicy => store?.kind === 'postgres');
    const unset = stores.find((store) => store.url === undefined);
    if (unset !== undefined) {
      io.stderr.write(`bounded db init: a postgres store's url is ${unset.urlRef ?? 'missing'}, which is not set in this environment\n`);
      return 1;
    }
    targets = dedupe(stores.map((store) => ({ url: store.url!, schema: schema ?? store.schema ?? 'bounded' })));
    if (targets.length === 0) {
      const fallback = process.env.DATABASE_URL;
      if (fallback === undefined || fallback === '') {
        io.stderr.write('bounded db init: no postgres store in the policy; pass --url or set DATABASE_URL\n');
        return 1;
      }
      targets = [{ url: fallback, schema: schema ?? 'bounded' }];
    }
  }

  let failed = false;
  for (const target of targets) {
    const store = createPostgresStore({ url: target.url, schema: target.schema, operationTimeoutMs: timeoutMs, max: 1 });
    try {
      await store.ensureSchema();
      io.stdout.write(`Ready: ${store.description} (tables rate_limits, semaphores)\n`);
    } catch (error) {
      failed = true;
      const reason = isStoreUnavailableError(error) ? error.message : `${store.description}: ${(error as Error).message}`;
      io.stderr.write(`bounded db init: ${reason}\n`);
    } finally {
      await store.close();
    }
  }
  return failed ? 1 : 0;
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const id = `${target.url}\u0000${target.schema}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function dedent(statement: string): string {
  const lines = statement.split('\n');
  const indents = lines
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.length - line.trimStart().length);
  const cut = Math.max(0, Math.min(...indents) - 2);
  return lines.map((line, i) => (i === 0 ? line : line.slice(cut))).join('\n');
}
