import rule from '../../eslint-plugin/rules/require-release.js';
import { typedTester, untypedTester } from './setup.js';

const notInFinally = (name: string, acquire: string, release: string) => ({ name, acquire, release });

untypedTester().run('require-release', rule, {
  valid: [
    // The canonical checkout.
    `import { pool } from './db.js';
export async function getUser(id: string) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('select * from users where id = $1', [id]);
    return rows[0];
  } finally {
    client.release();
  }
}`,
    // A transaction: rollback in catch, release in finally.
    `import pg from 'pg';
const pool = new pg.Pool();
export async function transfer(from: string, to: string, amount: number) {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('update accounts set balance = balance - $1 where id = $2', [amount, from]);
    await client.query('update accounts set balance = balance + $1 where id = $2', [amount, to]);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}`,
    // Acquired inside the try, released conditionally in finally.
    `import type { PoolClient } from 'pg';
import { pool } from './db.js';
export async function lockJob(id: string) {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('select pg_advisory_lock($1)', [id]);
  } finally {
    client?.release();
  }
}`,
    `export async function touch(pool: Pool, id: string) {
  const client = await pool.connect();
  try {
    await client.query('update sessions set seen_at = now() where id = $1', [id]);
  } finally {
    if (client) client.release();
  }
}`,
    // using / await using.
    `import { getPool } from '@bounded/runtime';
const db = getPool('main');
export async function markDone(id: string, signal: AbortSignal) {
  await using client = await db.acquire({ signal });
  await client.query('update jobs set state = $1 where id = $2', ['done', id]);
}`,
    `import { Semaphore } from '@bounded/runtime';
const gpu = new Semaphore(2);
export async function render(scene: Scene) {
  using permit = await gpu.acquire();
  return renderer.draw(scene);
}`,
    // A permit released in finally.
    `import { Semaphore } from '@bounded/runtime';
const agents = new Semaphore(10, { name: 'agents' });
export async function runAgent(task: Task) {
  const permit = await agents.acquire({ timeoutMs: 5_000 });
  try {
    return await agent.run(task);
  } finally {
    permit.release();
  }
}`,
    // async-sema: the semaphore itself is released.
    `import { Sema } from 'async-sema';
const sema = new Sema(4);
export async function crawl(url: string) {
  await sema.acquire();
  try {
    return await fetch(url).then((res) => res.text());
  } finally {
    sema.release();
  }
}`,
    // async-mutex: acquire() returns the release function.
    `import { Mutex } from 'async-mutex';
const mutex = new Mutex();
export async function append(line: string) {
  const release = await mutex.acquire();
  try {
    await fs.appendFile('audit.log', line + '\\n');
  } finally {
    release();
  }
}`,
    // tryAcquire with a guard and a finally.
    `import { Semaphore } from '@bounded/runtime';
const uploads = new Semaphore(3);
export async function tryUpload(file: File) {
  const permit = uploads.tryAcquire();
  if (!permit) return false;
  try {
    await putObject(file);
    return true;
  } finally {
    permit.release();
  }
}`,
    // Ownership handed over: returned, stored on an object.
    `import { pool } from './db.js';
export async function checkoutForTenant(tenant: string) {
  const client = await pool.connect();
  await client.query('select set_config($1, $2, false)', ['app.tenant', tenant]);
  return client;
}`,
    `import { pool } from './db.js';
export class UnitOfWork {
  private client?: PoolClient;
  async begin() {
    const client = await pool.connect();
    this.client = client;
    await client.query('begin');
  }
}`,
    // A promise's finally.
    `import { pool } from './db.js';
export async function count(table: string) {
  const client = await pool.connect();
  return client.query(\`select count(*) from \${table}\`).finally(() => client.release());
}`,
    // Callback style manages itself.
    `import { pool } from './db.js';
pool.connect((err, client, done) => {
  if (err) throw err;
  client.query('select now()', () => done());
});`,
    // Catch releases and rethrows, the happy path releases right after: every path (strict reports it).
    `import { pool } from './db.js';
export async function bump(id: string) {
  const client = await pool.connect();
  try {
    await client.query('update counters set n = n + 1 where id = $1', [id]);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  client.release();
}`,
    // Released before anything can throw.
    `import { pool } from './db.js';
export async function warmUp() {
  const client = await pool.connect();
  client.release();
}`,
    // Not a checkout: a pg Client connects itself.
    `import { Client } from 'pg';
export async function main() {
  const client = new Client();
  await client.connect();
  try {
    await client.query('vacuum');
  } finally {
    await client.end();
  }
}`,
    // A rate limiter's acquire takes a token; there is nothing to give back.
    `import { TokenBucket } from '@bounded/runtime';
const openaiLimiter = new TokenBucket({ rate: 60, perMs: 60_000 });
export async function complete(prompt: string) {
  await openaiLimiter.acquire();
  return openai.responses.create({ model: 'gpt-4o-mini', input: prompt });
}`,
    // MongoDB's connect returns the client itself, and the name says nothing of a pool.
    `export async function open(mongo: MongoClient) {
  const connected = await mongo.connect();
  return connected.db('app');
}`,
    // A lock with a callback.
    `import AsyncLock from 'async-lock';
const lock = new AsyncLock();
export const withAccount = (id: string, fn: () => Promise<void>) => lock.acquire(id, fn);`,
    // A loop, released in finally each time.
    `import { pool } from './db.js';
export async function processJobs(jobs: Job[]) {
  for (const job of jobs) {
    const client = await pool.connect();
    try {
      await client.query('update jobs set started_at = now() where id = $1', [job.id]);
    } finally {
      client.release();
    }
  }
}`,
    // pool.query checks out and releases by itself.
    `import { pool } from './db.js';
export const findUser = (id: string) => pool.query('select * from users where id = $1', [id]);`,
  ],
  invalid: [
    // Released on the happy path only.
    {
      code: `import { pool } from './db.js';

export async function getUser(id: string) {
  const client = await pool.connect();
  const { rows } = await client.query('select * from users where id = $1', [id]);
  client.release();
  return rows[0];
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`client`', 'pool.connect()', 'client.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';

export async function getUser(id: string) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('select * from users where id = $1', [id]);
    return rows[0];
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // Never released.
    {
      code: `import { pool } from './db.js';
export async function countUsers() {
  const client = await pool.connect();
  const { rows } = await client.query('select count(*) from users');
  return Number(rows[0].count);
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 3, data: { name: '`client`', acquire: 'pool.connect()' }, suggestions: [] }],
    },
    // Released in some branches only.
    {
      code: `import { pool } from './db.js';
export async function findSession(token: string) {
  const client = await pool.connect();
  const { rows } = await client.query('select * from sessions where token = $1', [token]);
  if (rows.length === 0) {
    client.release();
    return null;
  }
  await client.query('update sessions set seen_at = now() where token = $1', [token]);
  client.release();
  return rows[0];
}`,
      output: null,
      errors: [
        { messageId: 'notInFinally', line: 3, data: notInFinally('`client`', 'pool.connect()', 'client.release()'), suggestions: [] },
      ],
    },
    // An early return skips the release; the suggestion fixes it.
    {
      code: `import { pool } from './db.js';
export async function loadProfile(id: string) {
  const client = await pool.connect();
  const { rows } = await client.query('select * from profiles where user_id = $1', [id]);
  if (rows.length === 0) return undefined;
  client.release();
  return rows[0];
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';
export async function loadProfile(id: string) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('select * from profiles where user_id = $1', [id]);
    if (rows.length === 0) return undefined;
    return rows[0];
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // Released in catch only.
    {
      code: `import { pool } from './db.js';
export async function archive(id: string) {
  const client = await pool.connect();
  try {
    await client.query('update orders set archived = true where id = $1', [id]);
  } catch (err) {
    client.release();
    throw err;
  }
}`,
      output: null,
      errors: [{ messageId: 'notInFinally', line: 3, suggestions: [] }],
    },
    // A transaction with multi-line SQL: template literals keep their text.
    {
      code: `import pg from 'pg';
const pool = new pg.Pool();
export async function transfer(from: string, to: string, amount: number) {
  const client = await pool.connect();
  await client.query('begin');
  await client.query(
    \`update accounts
        set balance = balance - $1
      where id = $2\`,
    [amount, from],
  );
  await client.query('update accounts set balance = balance + $1 where id = $2', [amount, to]);
  await client.query('commit');
  client.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import pg from 'pg';
const pool = new pg.Pool();
export async function transfer(from: string, to: string, amount: number) {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      \`update accounts
        set balance = balance - $1
      where id = $2\`,
      [amount, from],
    );
    await client.query('update accounts set balance = balance + $1 where id = $2', [amount, to]);
    await client.query('commit');
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // A bounded Semaphore permit.
    {
      code: `import { Semaphore } from '@bounded/runtime';
const gpu = new Semaphore(2);
export async function render(scene: Scene) {
  const permit = await gpu.acquire();
  const image = await renderer.draw(scene);
  permit.release();
  return image;
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`permit`', 'gpu.acquire()', 'permit.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { Semaphore } from '@bounded/runtime';
const gpu = new Semaphore(2);
export async function render(scene: Scene) {
  const permit = await gpu.acquire();
  try {
    const image = await renderer.draw(scene);
    return image;
  } finally {
    permit.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // async-sema on the happy path only.
    {
      code: `import { Sema } from 'async-sema';
const sema = new Sema(5);
export async function fetchWithSlot(url: string) {
  await sema.acquire();
  const res = await fetch(url);
  sema.release();
  return res.json();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`sema`', 'sema.acquire()', 'sema.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { Sema } from 'async-sema';
const sema = new Sema(5);
export async function fetchWithSlot(url: string) {
  await sema.acquire();
  try {
    const res = await fetch(url);
    return res.json();
  } finally {
    sema.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // async-sema never released.
    {
      code: `import { Sema } from 'async-sema';
const sema = new Sema(5);
export async function leak(url: string) {
  await sema.acquire();
  return fetch(url);
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 4, data: { name: '`sema`', acquire: 'sema.acquire()' }, suggestions: [] }],
    },
    // async-mutex's release function.
    {
      code: `import { Mutex } from 'async-mutex';
const mutex = new Mutex();
export async function append(line: string) {
  const release = await mutex.acquire();
  await fs.appendFile('audit.log', line);
  release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`release`', 'mutex.acquire()', 'release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { Mutex } from 'async-mutex';
const mutex = new Mutex();
export async function append(line: string) {
  const release = await mutex.acquire();
  try {
    await fs.appendFile('audit.log', line);
  } finally {
    release();
  }
}`,
            },
          ],
        },
      ],
    },
    // The checked-out client is thrown away.
    {
      code: `import { pool } from './db.js';
export async function ping() {
  await pool.connect();
  return 'ok';
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 3, data: { name: 'The client', acquire: 'pool.connect()' }, suggestions: [] }],
    },
    // mysql2's getConnection.
    {
      code: `import mysql from 'mysql2/promise';
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
export async function findOrder(id: number) {
  const conn = await pool.getConnection();
  const [rows] = await conn.query('select * from orders where id = ?', [id]);
  conn.release();
  return rows;
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`conn`', 'pool.getConnection()', 'conn.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import mysql from 'mysql2/promise';
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
export async function findOrder(id: number) {
  const conn = await pool.getConnection();
  try {
    const [rows] = await conn.query('select * from orders where id = ?', [id]);
    return rows;
  } finally {
    conn.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // Assigned to a declared variable, released with optional chaining.
    {
      code: `import type { PoolClient } from 'pg';
import { pool } from './db.js';
export async function listen(channel: string) {
  let client: PoolClient | undefined;
  client = await pool.connect();
  await client.query(\`listen \${channel}\`);
  client?.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 5,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import type { PoolClient } from 'pg';
import { pool } from './db.js';
export async function listen(channel: string) {
  let client: PoolClient | undefined;
  client = await pool.connect();
  try {
    await client.query(\`listen \${channel}\`);
  } finally {
    client?.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // In a nested block.
    {
      code: `import { pool } from './db.js';
export async function maybeLock(needsLock: boolean) {
  if (needsLock) {
    const client = await pool.connect();
    await client.query('select pg_advisory_lock(42)');
    client.release();
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';
export async function maybeLock(needsLock: boolean) {
  if (needsLock) {
    const client = await pool.connect();
    try {
      await client.query('select pg_advisory_lock(42)');
    } finally {
      client.release();
    }
  }
}`,
            },
          ],
        },
      ],
    },
    // In a loop body, with a class's pool.
    {
      code: `export class JobRunner {
  constructor(private readonly pool: Pool) {}
  async runAll(jobs: Job[]) {
    for (const job of jobs) {
      const client = await this.pool.connect();
      await client.query('update jobs set started_at = now() where id = $1', [job.id]);
      await execute(job);
      client.release();
    }
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 5,
          data: notInFinally('`client`', 'this.pool.connect()', 'client.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `export class JobRunner {
  constructor(private readonly pool: Pool) {}
  async runAll(jobs: Job[]) {
    for (const job of jobs) {
      const client = await this.pool.connect();
      try {
        await client.query('update jobs set started_at = now() where id = $1', [job.id]);
        await execute(job);
      } finally {
        client.release();
      }
    }
  }
}`,
            },
          ],
        },
      ],
    },
    // Top-level await.
    {
      code: `import { pool } from './db.js';
const client = await pool.connect();
await client.query('listen jobs');
client.release();`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 2,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';
const client = await pool.connect();
try {
  await client.query('listen jobs');
} finally {
  client.release();
}`,
            },
          ],
        },
      ],
    },
    // bounded's pool, known by where it came from.
    {
      code: `import { getPool } from '@bounded/runtime';
const db = getPool('main');
export async function touch(id: string) {
  const client = await db.acquire();
  await client.query('update sessions set seen_at = now() where id = $1', [id]);
  client.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: notInFinally('`client`', 'db.acquire()', 'client.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { getPool } from '@bounded/runtime';
const db = getPool('main');
export async function touch(id: string) {
  const client = await db.acquire();
  try {
    await client.query('update sessions set seen_at = now() where id = $1', [id]);
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // tryAcquire released on the happy path: no suggestion (the permit may be undefined).
    {
      code: `import { Semaphore } from '@bounded/runtime';
const uploads = new Semaphore(3);
export async function tryUpload(file: File) {
  const permit = uploads.tryAcquire();
  if (!permit) return false;
  await putObject(file);
  permit.release();
  return true;
}`,
      output: null,
      errors: [{ messageId: 'notInFinally', line: 4, suggestions: [] }],
    },
    // Released in .then: only when the work succeeds.
    {
      code: `import { Semaphore } from '@bounded/runtime';
const exportSlots = new Semaphore(2);
export async function startExport(id: string) {
  const permit = await exportSlots.acquire();
  return buildExport(id).then(() => permit.release());
}`,
      output: null,
      errors: [{ messageId: 'notInFinally', line: 4, suggestions: [] }],
    },
    // Released only when a condition holds.
    {
      code: `import { pool } from './db.js';
export async function tryLock() {
  const client = await pool.connect();
  const { rows } = await client.query('select pg_try_advisory_lock(1) as locked');
  if (!rows[0].locked) client.release();
  return rows[0].locked;
}`,
      output: null,
      errors: [{ messageId: 'notInFinally', line: 3, suggestions: [] }],
    },
    // A trailing comment after the acquire moves into the try with the statements.
    {
      code: `import { pool } from './db.js';
export async function refresh() {
  const client = await pool.connect();
  // Materialized views lock while they refresh.
  await client.query('refresh materialized view concurrently daily_totals');
  client.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';
export async function refresh() {
  const client = await pool.connect();
  try {
    // Materialized views lock while they refresh.
    await client.query('refresh materialized view concurrently daily_totals');
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // Statements after the release that wait again: no suggestion (the client would be held longer).
    {
      code: `import { pool } from './db.js';
export async function report(id: string) {
  const client = await pool.connect();
  const { rows } = await client.query('select * from report_rows where report_id = $1', [id]);
  client.release();
  await mailer.send(render(rows));
}`,
      output: null,
      errors: [{ messageId: 'notInFinally', line: 3, suggestions: [] }],
    },
    // Two checkouts: the second leaks.
    {
      code: `import { pool } from './db.js';
export async function copyRow(id: string) {
  const source = await pool.connect();
  try {
    const { rows } = await source.query('select * from a where id = $1', [id]);
    const target = await pool.connect();
    await target.query('insert into b select * from json_populate_record(null::b, $1)', [rows[0]]);
  } finally {
    source.release();
  }
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 6, data: { name: '`target`', acquire: 'pool.connect()' }, suggestions: [] }],
    },
    // strict: release in catch plus after the try is not enough.
    {
      code: `import { pool } from './db.js';
export async function bump(id: string) {
  const client = await pool.connect();
  try {
    await client.query('update counters set n = n + 1 where id = $1', [id]);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  client.release();
}`,
      options: [{ strict: true }],
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          data: notInFinally('`client`', 'pool.connect()', 'client.release(err as Error)'),
          suggestions: [],
        },
      ],
    },
    // A semaphore known by its name.
    {
      code: `export class Crawler {
  constructor(private readonly fetchSemaphore: { acquire(): Promise<{ release(): void }> }) {}
  async fetchPage(url: string) {
    const slot = await this.fetchSemaphore.acquire();
    const html = await fetch(url).then((res) => res.text());
    slot.release();
    return html;
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `export class Crawler {
  constructor(private readonly fetchSemaphore: { acquire(): Promise<{ release(): void }> }) {}
  async fetchPage(url: string) {
    const slot = await this.fetchSemaphore.acquire();
    try {
      const html = await fetch(url).then((res) => res.text());
      return html;
    } finally {
      slot.release();
    }
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

typedTester().run('require-release (typed)', rule, {
  valid: [
    // Whatever its name, a connect() whose result has no release is not a checkout.
    `export async function open(pool: { connect(): Promise<{ query(sql: string): Promise<unknown> }> }) {
  const conn = await pool.connect();
  return conn.query('select 1');
}`,
  ],
  invalid: [
    // The type says this is a pg pool, though its name does not.
    {
      code: `import type { Pool } from 'pg';
export async function ping(db: Pool) {
  const client = await db.connect();
  await client.query('select 1');
  client.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import type { Pool } from 'pg';
export async function ping(db: Pool) {
  const client = await db.connect();
  try {
    await client.query('select 1');
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

const ended = (name: string, acquire: string, release: string) => ({ name, acquire, release });
const lifecycle = (name: string, acquire: string, holder: string, when: string) => ({ name, acquire, holder, when });
const ONLY_FINISH = 'only on `finish`';

untypedTester().run('require-release: connection lifecycles', rule, {
  valid: [
    // Callback style: every call back to the caller has a release beside it; the branch on the
    // checkout's own error holds no client.
    `import pg from 'pg';
const pool = new pg.Pool();
export function loadOrder(id, cb) {
  pool.connect((err, client, release) => {
    if (err) return cb(err);
    client.query('select * from orders where id = $1', [id], (err, res) => {
      release();
      if (err) return cb(err);
      cb(null, res.rows[0]);
    });
  });
}`,
    // A Knex transaction taken without a handler, committed at the end of the try and rolled back
    // in a catch that rethrows: every path ends it.
    `import knex from 'knex';
const db = knex({ client: 'pg' });
export async function moveStock(from: number, to: number) {
  const trx = await db.transaction();
  try {
    await trx('stock').where({ id: from }).decrement('qty', 1);
    await trx('stock').where({ id: to }).increment('qty', 1);
    await trx.commit();
  } catch (error) {
    await trx.rollback(error);
    throw error;
  }
}`,
    // With a handler, the transaction commits or rolls back itself.
    `import knex from 'knex';
const db = knex({ client: 'pg' });
export async function moveStock(from: number, to: number) {
  await db.transaction(async (trx) => {
    await trx('stock').where({ id: from }).decrement('qty', 1);
  });
}`,
    // transaction() on an object no catalog entry built here: the name alone is no checkout.
    `import { db } from './db.js';
export async function moveStock(from: number) {
  const trx = await db.transaction();
  await trx('stock').where({ id: from }).decrement('qty', 1);
  await trx.commit();
}`,
    // An awaited release in the catch (which rethrows) and one after the try: every path releases.
    `import { dataSource } from './db.js';
export async function archive(id: number) {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('update orders set archived = true where id = $1', [id]);
  } catch (error) {
    await runner.release();
    throw error;
  }
  await runner.release();
}`,
    // A plain Client ended in finally, in a script.
    `import { Client } from 'pg';
async function main() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
}
main();`,
    // …or handed to the caller, or held with await using.
    `import { Client } from 'pg';
export async function openAdminConnection() {
  const client = new Client({ connectionString: process.env.ADMIN_URL });
  await client.connect();
  return client;
}`,
    // A borrowed client released in finally.
    `import { pool } from './db.js';
export async function migrate() {
  const client = await pool.connect();
  try {
    await runMigrations(client);
  } finally {
    client.release();
  }
}`,
    // A checkout kept for the request, released when the response closes (aborted or not).
    `import { pool } from './db.js';
export async function attachDb(req, res, next) {
  const client = await pool.connect();
  req.db = client;
  res.on('close', () => client.release());
  next();
}`,
    // The same with a named callback (guarded against a second call) registered by its name.
    `import { pool } from './db.js';
export function attachDb() {
  return async (req, res, next) => {
    const client = await pool.connect();
    let done = false;
    const giveBack = () => {
      if (done) return;
      done = true;
      client.release();
    };
    res.on('close', giveBack);
    req.db = client;
    next();
  };
}`,
    `import { pool } from './db.js';
export async function attachDb(req, res, next) {
  const client = await pool.connect();
  function giveBack() {
    client.release();
  }
  res.once('finish', giveBack);
  res.once('close', giveBack);
  req.db = client;
  next();
}`,
    `import onFinished from 'on-finished';
import { pool } from './db.js';
app.use(async (req, res, next) => {
  res.locals.db = await pool.connect();
  onFinished(res, () => res.locals.db.release());
  next();
});`,
    // A query runner released in finally.
    `import { AppDataSource } from './data-source.js';
export async function transfer(from: string, to: string, amount: number) {
  const queryRunner = AppDataSource.createQueryRunner();
  await queryRunner.connect();
  await queryRunner.startTransaction();
  try {
    await queryRunner.query('update accounts set balance = balance - $1 where id = $2', [amount, from]);
    await queryRunner.commitTransaction();
  } finally {
    await queryRunner.release();
  }
}`,
    // A MongoClient's connect() opens the client; nothing is checked out.
    `import { MongoClient } from 'mongodb';
const client = new MongoClient(process.env.MONGO_URL!);
let db;
export const connect = async () => {
  await client.connect();
  db = client.db('app');
};`,
    // A lock whose acquire() returns a status, not a permit.
    `export async function runNightly(lock: DistributedLock) {
  const acquired = await lock.acquire('nightly', { ttl: 60_000 });
  if (!acquired) return;
  await rebuildIndexes();
}`,
    `export async function runOnce(mutex: Mutex) {
  const locked = await mutex.tryAcquire();
  if (locked === false) return 'busy';
  return work();
}`,
  ],
  invalid: [
    // A plain Client ended on the happy path only.
    {
      code: `import { Client } from 'pg';
export async function nightly() {
  const client = new Client();
  await client.connect();
  await client.query('refresh materialized view daily_totals');
  await client.end();
}`,
      output: null,
      errors: [
        {
          messageId: 'endNotInFinally',
          line: 3,
          data: ended('`client`', 'new Client()', 'client.end()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { Client } from 'pg';
export async function nightly() {
  const client = new Client();
  try {
    await client.connect();
    await client.query('refresh materialized view daily_totals');
  } finally {
    await client.end();
  }
}`,
            },
          ],
        },
      ],
    },
    // …or never ended at all.
    {
      code: `import mysql from 'mysql2/promise';
export async function countOrders() {
  const connection = await mysql.createConnection(process.env.MYSQL_URL!);
  const [rows] = await connection.query('select count(*) as n from orders');
  return rows;
}`,
      output: null,
      errors: [{ messageId: 'neverEnded', line: 3, data: { name: '`connection`', acquire: 'mysql.createConnection()' }, suggestions: [] }],
    },
    // serverless-mysql, made per invocation and quit on the happy path.
    {
      code: `const mysql = require('serverless-mysql');
exports.handler = async (event) => {
  const db = mysql({ config: { host: process.env.MYSQL_HOST } });
  const rows = await db.query('select * from users where id = ?', [event.id]);
  await db.quit();
  return rows;
};`,
      output: null,
      errors: [
        {
          messageId: 'endNotInFinally',
          line: 3,
          data: ended('`db`', 'mysql()', 'db.quit()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `const mysql = require('serverless-mysql');
exports.handler = async (event) => {
  const db = mysql({ config: { host: process.env.MYSQL_HOST } });
  try {
    const rows = await db.query('select * from users where id = ?', [event.id]);
    return rows;
  } finally {
    await db.quit();
  }
};`,
            },
          ],
        },
      ],
    },
    // Passing a checked-out client to a helper is borrowing: it still has to be released.
    {
      code: `import { pool } from './db.js';
export async function migrate() {
  const client = await pool.connect();
  await runMigrations(client);
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 3, data: { name: '`client`', acquire: 'pool.connect()' }, suggestions: [] }],
    },
    {
      code: `import { pool } from './db.js';
export async function migrate() {
  const client = await pool.connect();
  await runMigrations(client);
  client.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          data: ended('`client`', 'pool.connect()', 'client.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { pool } from './db.js';
export async function migrate() {
  const client = await pool.connect();
  try {
    await runMigrations(client);
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // A pool that takes a resource back must get it back on every path too.
    {
      code: `import { createPool } from 'generic-pool';
const browserPool = createPool(factory, { max: 4 });
export async function screenshot(url: string) {
  const browser = await browserPool.acquire();
  const page = await browser.newPage();
  await page.goto(url);
  await browserPool.release(browser);
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: ended('`browser`', 'browserPool.acquire()', 'browserPool.release(browser)'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { createPool } from 'generic-pool';
const browserPool = createPool(factory, { max: 4 });
export async function screenshot(url: string) {
  const browser = await browserPool.acquire();
  try {
    const page = await browser.newPage();
    await page.goto(url);
  } finally {
    await browserPool.release(browser);
  }
}`,
            },
          ],
        },
      ],
    },
    // A checkout kept for the request and released only on finish: aborted requests leak it.
    {
      code: `import { pool } from './db.js';
export async function attachDb(req, res, next) {
  const client = await pool.connect();
  req.db = client;
  res.on('finish', () => client.release());
  next();
}`,
      output: null,
      errors: [
        { messageId: 'requestLifecycle', line: 3, data: lifecycle('`client`', 'pool.connect()', '`req.db`', ONLY_FINISH), suggestions: [] },
      ],
    },
    // A named callback registered by its name on `finish` only.
    {
      code: `import { pool } from './db.js';
export async function attachDb(req, res, next) {
  const client = await pool.connect();
  const giveBack = () => client.release();
  res.on('finish', giveBack);
  req.db = client;
  next();
}`,
      output: null,
      errors: [
        { messageId: 'requestLifecycle', line: 3, data: lifecycle('`client`', 'pool.connect()', '`req.db`', ONLY_FINISH), suggestions: [] },
      ],
    },
    {
      code: `import { pool } from './db.js';
export async function attachDb(req: Request, res: Response, next: () => void) {
  const client = await pool.connect();
  res.once('finish', () => client.release());
  next();
}`,
      output: null,
      errors: [
        {
          messageId: 'requestLifecycle',
          line: 3,
          data: lifecycle('`client`', 'pool.connect()', 'until the response finishes', ONLY_FINISH),
          suggestions: [],
        },
      ],
    },
    {
      code: `import { pool } from './db.js';
app.use(async (req, res, next) => {
  res.locals.db = await pool.connect();
  next();
});`,
      output: null,
      errors: [
        {
          messageId: 'requestLifecycle',
          line: 3,
          data: lifecycle('`res.locals.db`', 'pool.connect()', '`res.locals.db`', 'nowhere in this function'),
          suggestions: [],
        },
      ],
    },
    // A query runner of a DataSource built in this file, released after a try/catch that rethrows:
    // the error path skips the release.
    {
      code: `import { DataSource } from 'typeorm';
const source = new DataSource({ type: 'postgres' });
export async function archive(id: number) {
  const runner = source.createQueryRunner();
  await runner.startTransaction();
  try {
    await runner.query('update orders set archived = true where id = $1', [id]);
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
  await runner.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 4,
          data: ended('`runner`', 'source.createQueryRunner()', 'runner.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { DataSource } from 'typeorm';
const source = new DataSource({ type: 'postgres' });
export async function archive(id: number) {
  const runner = source.createQueryRunner();
  try {
    await runner.startTransaction();
    try {
      await runner.query('update orders set archived = true where id = $1', [id]);
      await runner.commitTransaction();
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
  } finally {
    await runner.release();
  }
}`,
            },
          ],
        },
      ],
    },
    // Callback style: the query's error path calls back to the caller without releasing.
    {
      code: `import pg from 'pg';
const pool = new pg.Pool();
export function loadOrder(id, cb) {
  pool.connect((err, client, release) => {
    if (err) return cb(err);
    client.query('select * from orders where id = $1', [id], (err, res) => {
      if (err) return cb(err);
      release();
      cb(null, res.rows[0]);
    });
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'callbackPathWithoutRelease',
          line: 4,
          data: { client: 'client', acquire: 'pool.connect()', exit: 'cb', line: 7, release: 'release()' },
          suggestions: [],
        },
      ],
    },
    {
      code: `import mysql from 'mysql2';
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
export function countRows(table, done) {
  pool.getConnection((err, conn) => {
    if (err) {
      done(err);
      return;
    }
    conn.query('select count(*) as n from ??', [table], (err, rows) => {
      done(err, rows?.[0]?.n);
    });
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'callbackPathWithoutRelease',
          line: 4,
          data: { client: 'conn', acquire: 'pool.getConnection()', exit: 'done', line: 10, release: 'conn.release()' },
          suggestions: [],
        },
      ],
    },
    // A release inside an earlier branch that returns covers that branch only.
    {
      code: `import pg from 'pg';
const pool = new pg.Pool();
export function rename(id, name, cb) {
  pool.connect((err, client, release) => {
    if (err) return cb(err);
    client.query('begin', (err) => {
      if (err) {
        release();
        return cb(err);
      }
      client.query('update users set name = $2 where id = $1', [id, name], (err) => {
        if (err) return cb(err);
        release();
        cb(null);
      });
    });
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'callbackPathWithoutRelease',
          line: 4,
          data: { client: 'client', acquire: 'pool.connect()', exit: 'cb', line: 12, release: 'release()' },
          suggestions: [],
        },
      ],
    },
    // A Knex transaction taken without a handler and committed only on success: a failing
    // statement leaves it, and its pooled connection, open.
    {
      code: `import knex from 'knex';
const db = knex({ client: 'pg' });
export async function moveStock(from: number, to: number) {
  const trx = await db.transaction();
  await trx('stock').where({ id: from }).decrement('qty', 1);
  await trx('stock').where({ id: to }).increment('qty', 1);
  await trx.commit();
}`,
      output: null,
      errors: [
        {
          messageId: 'transactionNotEnded',
          line: 4,
          data: { name: '`trx`', acquire: 'db.transaction()', release: 'trx.commit()', callee: 'db.transaction' },
          suggestions: [],
        },
      ],
    },
    {
      code: `import { Sequelize } from 'sequelize';
const sequelize = new Sequelize(process.env.DATABASE_URL);
export async function rename(id: number, name: string) {
  const t = await sequelize.transaction();
  await User.update({ name }, { where: { id }, transaction: t });
  if (name === '') return;
  await t.commit();
}`,
      output: null,
      errors: [
        {
          messageId: 'transactionNotEnded',
          line: 4,
          data: { name: '`t`', acquire: 'sequelize.transaction()', release: 't.commit()', callee: 'sequelize.transaction' },
          suggestions: [],
        },
      ],
    },
    {
      code: `import knex from 'knex';
const db = knex({ client: 'pg' });
export async function touch(id: number) {
  const trx = await db.transaction();
  await trx('users').where({ id }).update({ seen_at: new Date() });
}`,
      output: null,
      errors: [{ messageId: 'neverReleased', line: 4, data: { name: '`trx`', acquire: 'db.transaction()' }, suggestions: [] }],
    },
    // TypeORM's query runner is a checkout of the data source.
    {
      code: `import { dataSource } from './db.js';
export async function transfer(a: string) {
  const queryRunner = dataSource.createQueryRunner();
  await queryRunner.connect();
  await queryRunner.query('update accounts set frozen = true where id = $1', [a]);
  await queryRunner.release();
}`,
      output: null,
      errors: [
        {
          messageId: 'notInFinally',
          line: 3,
          data: ended('`queryRunner`', 'dataSource.createQueryRunner()', 'queryRunner.release()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import { dataSource } from './db.js';
export async function transfer(a: string) {
  const queryRunner = dataSource.createQueryRunner();
  try {
    await queryRunner.connect();
    await queryRunner.query('update accounts set frozen = true where id = $1', [a]);
  } finally {
    await queryRunner.release();
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

typedTester().run('require-release: connection lifecycles (typed)', rule, {
  valid: [
    // A lock whose acquire() resolves to a boolean is no permit, whatever the result is called.
    `export async function runNightly(lock: { acquire(key: string): Promise<boolean> }) {
  const release = await lock.acquire('nightly');
  if (!release) return;
  await rebuildIndexes();
}
declare function rebuildIndexes(): Promise<void>;`,
  ],
  invalid: [
    // The type checker knows `C` builds pg clients, though its name and origin say nothing.
    {
      code: `import pg from 'pg';
export async function refresh(C: typeof pg.Client) {
  const client = new C();
  await client.connect();
  await client.query('refresh materialized view totals');
  await client.end();
}`,
      output: null,
      errors: [
        {
          messageId: 'endNotInFinally',
          line: 3,
          data: ended('`client`', 'new C()', 'client.end()'),
          suggestions: [
            {
              messageId: 'moveToFinally',
              output: `import pg from 'pg';
export async function refresh(C: typeof pg.Client) {
  const client = new C();
  try {
    await client.connect();
    await client.query('refresh materialized view totals');
  } finally {
    await client.end();
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});
