import { fileURLToPath } from 'node:url';
import rule from '../../eslint-plugin/rules/no-per-call-connection.js';
import { typedTester, untypedTester } from './setup.js';

/** test/eslint-plugin/policies/custom/bounded.policy.yaml allows migrations/**, scripts/*.ts and *.seed.ts. */
const inCustomPolicy = (path: string): string => fileURLToPath(new URL(`./policies/custom/${path}`, import.meta.url));

const PG = "create one pool at module scope and share it (`getPool('main')` from @bounded/runtime)";
const MYSQL = 'create one pool at module scope (`createPool`) and share it';
const REDIS = 'create the client once at module scope and share it';
const ORM_INSTEAD = 'create it once at module scope (or lazily, once) and share it: it holds a pool of its own';
const perCall = (call: string, where: string, what: 'a new connection' | 'a new connection pool', instead = PG) => ({
  call,
  where,
  what,
  instead,
});

untypedTester().run('no-per-call-connection', rule, {
  valid: [
    // One pool for the module.
    `import { Pool } from 'pg';
export const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
export async function getUser(id: string) {
  const { rows } = await pool.query('select * from users where id = $1', [id]);
  return rows[0];
}`,
    `const { Pool } = require('pg');
const pool = new Pool();
module.exports = { query: (text, params) => pool.query(text, params) };`,
    `import mysql from 'mysql2/promise';
export const db = mysql.createPool({ uri: process.env.MYSQL_URL, connectionLimit: 10 });`,
    // A factory's connection handed on inside what a caller returns, behind a null check.
    `import Redis from 'ioredis';
export const createRedisInstance = (url: string) => new Redis(url);
export const createQueueOptions = (name: string, url: string) => {
  const connection = createRedisInstance(url);
  return connection ? { name, connection } : null;
};`,
    // Factories whose every caller hands the client on: returned by another factory, kept by a guarded singleton.
    `import Redis, { Cluster } from 'ioredis';
const createClusterInstance = (nodes: string[]) => new Cluster(nodes.map((host) => ({ host, port: 6379 })));
export const createRedisInstance = (url: string | undefined, nodes: string[]) => {
  if (nodes.length > 0) return createClusterInstance(nodes);
  const instance = url ? new Redis(url) : new Redis({ host: 'localhost' });
  return instance;
};`,
    `import { PrismaClient } from '@prisma/client';
class PrismaSingleton {
  static instance: PrismaClient | undefined;
  static get() {
    if (!PrismaSingleton.instance) PrismaSingleton.instance = buildPrisma();
    return PrismaSingleton.instance;
  }
}
const buildPrisma = () => {
  const client = new PrismaClient({ log: ['error'] });
  return client;
};
export const prisma = PrismaSingleton.get();`,
    // Memoised singletons.
    `import { Pool } from 'pg';
let pool: Pool | undefined;
export function db() {
  pool ??= new Pool({ connectionString: process.env.DATABASE_URL });
  return pool;
}`,
    `import pg from 'pg';
let pool;
export function getPool() {
  if (!pool) {
    pool = new pg.Pool({ max: 20 });
    pool.on('error', (err) => console.error('idle client error', err));
  }
  return pool;
}`,
    `import Redis from 'ioredis';
let client: Redis | undefined;
export function redis() {
  if (client) return client;
  client = new Redis(process.env.REDIS_URL!);
  return client;
}`,
    `import { Pool } from 'pg';
let pool: Pool | undefined;
export const getPool = () => pool ?? (pool = new Pool());`,
    `import { Pool } from 'pg';
let pool: Pool | undefined;
export function shared() {
  pool = pool ?? new Pool();
  return pool;
}`,
    `import Redis from 'ioredis';
let redis: Redis | undefined;
export const cache = () => (redis ||= new Redis({ maxRetriesPerRequest: 2 }));`,
    `import { Pool } from 'pg';
export class Database {
  #pool?: Pool;
  get pool() {
    return (this.#pool ??= new Pool());
  }
}`,
    `import Redis from 'ioredis';
export class SessionStore {
  private client?: Redis;
  private get redis() {
    if (!this.client) this.client = new Redis();
    return this.client;
  }
}`,
    // A pool per tenant, kept in a registry.
    `import { Pool } from 'pg';
const pools = new Map<string, Pool>();
export function poolFor(tenant: { id: string; databaseUrl: string }) {
  let pool = pools.get(tenant.id);
  if (!pool) {
    pool = new Pool({ connectionString: tenant.databaseUrl, max: 5 });
    pools.set(tenant.id, pool);
  }
  return pool;
}`,
    // Constructors, and set-up functions that keep what they open (reported in strict mode).
    `import { Pool } from 'pg';
export class UserRepository {
  private readonly pool: Pool;
  constructor(url: string) {
    this.pool = new Pool({ connectionString: url });
  }
}`,
    `import pg from 'pg';
let client: pg.Client;
export async function connectDb() {
  client = new pg.Client();
  await client.connect();
}`,
    // Factories: named like set-up code, or only called at module scope.
    `import { Pool } from 'pg';
export function createDb(url: string) {
  return new Pool({ connectionString: url, max: 10 });
}`,
    `import { Pool } from 'pg';
function pgPool() {
  const pool = new Pool();
  pool.on('error', console.error);
  return pool;
}
export const pool = pgPool();`,
    // Scripts: main() runs once.
    `import { Client } from 'pg';
async function main() {
  const client = new Client();
  await client.connect();
  await client.query('vacuum analyze');
  await client.end();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});`,
    `import { Client } from 'pg';
(async () => {
  const client = new Client();
  await client.connect();
  console.log((await client.query('select now()')).rows[0]);
  await client.end();
})();`,
    `import { Client } from 'pg';
const client = new Client();
await client.connect();`,
    `import { Pool } from 'pg';
export class Db {
  static pool = new Pool();
}`,
    // Files the policy allows (migrations/**, scripts/*.ts, *.seed.ts).
    {
      code: `import { Client } from 'pg';
export async function up() {
  const client = new Client();
  await client.connect();
  await client.query('alter table users add column plan text');
  await client.end();
}`,
      filename: inCustomPolicy('migrations/2024-05-01-add-plan.ts'),
    },
    {
      code: `import { Client } from 'pg';
export async function backfill() { const client = new Client(); await client.connect(); }`,
      filename: inCustomPolicy('scripts/backfill.ts'),
    },
    {
      code: `import { Pool } from 'pg';
export async function seed() { const pool = new Pool(); await pool.query('insert into users default values'); await pool.end(); }`,
      filename: inCustomPolicy('src/db/users.seed.ts'),
    },
    // Files the option allows.
    {
      code: `import { Client } from 'pg';
export async function reindex() { const client = new Client(); await client.connect(); }`,
      filename: 'tools/reindex.ts',
      options: [{ allowFiles: ['tools/**'] }],
    },
    // Not a database client.
    `import { Client } from '@elastic/elasticsearch';
export async function search(q: string) {
  const client = new Client({ node: 'http://localhost:9200' });
  return client.search({ q });
}`,
    `class Pool { constructor(readonly size: number) {} }
export function workers() { return new Pool(4); }`,
    // bounded's own pools are shared by name.
    `import { getPool } from '@bounded/runtime';
export async function handler(req: Request, res: Response) {
  const db = getPool('main');
  res.json((await db.query('select 1')).rows);
}`,
    // A constructor the rule cannot trace without types.
    `import pg from 'pg';
let Driver = pg.Pool;
if (process.env.PG_NATIVE) Driver = pg.native!.Pool;
export async function count() {
  const pool = new Driver();
  return (await pool.query('select count(*) from jobs')).rows[0];
}`,
    // A client cache keyed by options (langchain-redis's connections.ts): built once per key.
    `import { createClient, type RedisClientOptions } from 'redis';
class Clients {
  private clients = new Map<RedisClientOptions, ReturnType<typeof createClient>>();
  get(options: RedisClientOptions = {}) {
    if (!this.clients.has(options)) this.clients.set(options, createClient(options));
    return this.clients.get(options);
  }
}
export const clients = new Clients();`,
    // A static factory (\`fromX\`) hands the pool to the owner it returns (langchain's SqlDatabase).
    `import { DataSource, type DataSourceOptions } from 'typeorm';
export class SqlStore {
  constructor(private readonly source: DataSource) {}
  static async fromOptions(options: DataSourceOptions): Promise<SqlStore> {
    const source = new DataSource(options);
    return SqlStore.fromDataSource({ source });
  }
  static async fromDataSource(fields: { source: DataSource }): Promise<SqlStore> {
    await fields.source.initialize();
    return new SqlStore(fields.source);
  }
}`,
    // A factory assigned to a module's property (NodeBB's database/postgres/connection.js): named like set-up code.
    `const { Pool } = require('pg');
const connection = module.exports;
connection.connect = async function (options) {
  const db = new Pool(options);
  await db.query('select 1');
  return db;
};`,
    // Built in a promise's executor and resolved once connected (NodeBB's database/redis/connection.js).
    `const { createClient } = require('redis');
const connection = module.exports;
connection.connect = async function (options) {
  return new Promise((resolve, reject) => {
    let cxn;
    cxn = createClient({ url: options.url });
    cxn.on('error', reject);
    cxn.connect().then(() => resolve(cxn));
  });
};`,
  ],
  invalid: [
    // A factory that a request path calls and uses on the spot is no factory: it opens a connection per call.
    {
      code: `import Redis from 'ioredis';
const createRedis = (url: string) => (url ? new Redis(url) : new Redis());
export async function lookup(url: string, key: string) {
  const redis = createRedis(url);
  return redis.get(key);
}`,
      errors: [
        { messageId: 'perCall', line: 2 },
        { messageId: 'perCall', line: 2 },
      ],
    },
    // A promise that resolves with something else drops the client it built.
    {
      code: `const { createClient } = require('redis');
const connection = module.exports;
connection.connect = async function (options) {
  return new Promise((resolve, reject) => {
    const cxn = createClient({ url: options.url });
    cxn.on('error', reject);
    cxn.connect().then(() => resolve(true));
  });
};`,
      output: null,
      errors: [
        { messageId: 'perCall', line: 5, data: perCall('createClient()', 'this function', 'a new connection', REDIS), suggestions: [] },
      ],
    },
    // The same assignment under a name that is no set-up code.
    {
      code: `const { Pool } = require('pg');
const users = module.exports;
users.count = async function (options) {
  const db = new Pool(options);
  return db;
};`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Pool()', '`count`', 'a new connection pool'), suggestions: [] }],
    },
    // A cache that never keeps what it builds is no cache.
    {
      code: `import { createClient } from 'redis';
const clients = new Map<string, ReturnType<typeof createClient>>();
export async function publish(url: string, message: string) {
  if (!clients.has(url)) clients.get(url);
  const client = createClient({ url });
  await client.connect();
  await client.publish('events', message);
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 5, data: perCall('createClient()', '`publish`', 'a new connection', REDIS), suggestions: [] }],
    },
    // A method that is no factory, handing the pool to an owner per call (a route's repository).
    {
      code: `import { DataSource, type DataSourceOptions } from 'typeorm';
import { SqlStore } from './store';
export async function countRows(options: DataSourceOptions, table: string) {
  const source = new DataSource(options);
  const store = await SqlStore.fromDataSource({ source });
  return store.count(table);
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          data: perCall('new DataSource()', '`countRows`', 'a new connection pool', ORM_INSTEAD),
          suggestions: [],
        },
      ],
    },
    // The incident: a new connection per operation.
    {
      code: `import { Client } from 'pg';

export async function getUser(id: string) {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query('select * from users where id = $1', [id]);
    return rows[0];
  } finally {
    await client.end();
  }
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Client()', '`getUser`', 'a new connection'), suggestions: [] }],
    },
    // A pool per request: hoisting it is a drop-in change.
    {
      code: `import express from 'express';
import { Pool } from 'pg';

const app = express();

app.get('/orders', async (req, res) => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 5 });
  const { rows } = await pool.query('select * from orders where user_id = $1', [req.query.user]);
  res.json(rows);
});`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 7,
          data: perCall('new Pool()', 'a request handler', 'a new connection pool'),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'pool' },
              output: `import express from 'express';
import { Pool } from 'pg';

const app = express();

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 5 });

app.get('/orders', async (req, res) => {
  const { rows } = await pool.query('select * from orders where user_id = $1', [req.query.user]);
  res.json(rows);
});`,
            },
          ],
        },
      ],
    },
    // A multi-line config is re-indented, and the function's doc comment stays with it.
    {
      code: `import Redis from 'ioredis';

/** Marks a job done. */
export async function handleJob(job: { id: string }) {
  const redis = new Redis({
    host: process.env.REDIS_HOST,
    maxRetriesPerRequest: 2,
  });
  await redis.set(\`job:\${job.id}\`, 'done');
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 5,
          data: perCall('new Redis()', '`handleJob`', 'a new connection', REDIS),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'redis' },
              output: `import Redis from 'ioredis';

const redis = new Redis({
  host: process.env.REDIS_HOST,
  maxRetriesPerRequest: 2,
});

/** Marks a job done. */
export async function handleJob(job: { id: string }) {
  await redis.set(\`job:\${job.id}\`, 'done');
}`,
            },
          ],
        },
      ],
    },
    // Namespace import; ended in the function, so not hoistable.
    {
      code: `import * as pg from 'pg';
export async function countJobs() {
  const pool = new pg.Pool();
  const { rows } = await pool.query('select count(*) from jobs');
  await pool.end();
  return rows[0].count;
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new pg.Pool()', '`countJobs`', 'a new connection pool'), suggestions: [] }],
    },
    // require with an alias.
    {
      code: `const { Client: PgClient } = require('pg');
async function query(sql, params) {
  const client = new PgClient();
  await client.connect();
  const result = await client.query(sql, params);
  await client.end();
  return result.rows;
}
module.exports = { query };`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new PgClient()', '`query`', 'a new connection'), suggestions: [] }],
    },
    // Aliases of a default import.
    {
      code: `import pg from 'pg';
const { Pool } = pg;
const Db = Pool;
export async function listUsers() {
  const db = new Db();
  try {
    return (await db.query('select * from users')).rows;
  } finally {
    await db.end();
  }
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 5, data: perCall('new Db()', '`listUsers`', 'a new connection pool'), suggestions: [] }],
    },
    // require in place.
    {
      code: `export async function ping() {
  const client = new (require('pg').Client)();
  await client.connect();
  await client.end();
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 2, data: perCall('new Client()', '`ping`', 'a new connection'), suggestions: [] }],
    },
    // import = require.
    {
      code: `import pg = require('pg');
export async function lock(key: number) {
  const client = new pg.Client();
  await client.connect();
  await client.query('select pg_advisory_lock($1)', [key]);
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new pg.Client()', '`lock`', 'a new connection'), suggestions: [] }],
    },
    // A dynamic import.
    {
      code: `export async function health() {
  const { Client } = await import('pg');
  const client = new Client();
  await client.connect();
  await client.end();
  return 'ok';
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, suggestions: [] }],
    },
    // A serverless handler.
    {
      code: `import { Client } from 'pg';
export const handler = async (event: { userId: string }) => {
  const client = new Client();
  await client.connect();
  const { rows } = await client.query('select * from carts where user_id = $1', [event.userId]);
  await client.end();
  return { statusCode: 200, body: JSON.stringify(rows) };
};`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new Client()', '`handler`', 'a new connection'), suggestions: [] }],
    },
    // mysql2: a connection per call.
    {
      code: `import mysql from 'mysql2/promise';
export async function findOrder(id: number) {
  const conn = await mysql.createConnection(process.env.MYSQL_URL!);
  const [rows] = await conn.execute('select * from orders where id = ?', [id]);
  await conn.end();
  return rows;
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('mysql.createConnection()', '`findOrder`', 'a new connection', MYSQL),
          suggestions: [],
        },
      ],
    },
    // mysql with require in place.
    {
      code: `async function query(sql, params) {
  const conn = require('mysql').createConnection(process.env.MYSQL_URL);
  conn.connect();
  return new Promise((resolve, reject) => conn.query(sql, params, (err, rows) => (conn.end(), err ? reject(err) : resolve(rows))));
}
module.exports = { query };`,
      output: null,
      errors: [
        { messageId: 'perCall', line: 2, data: perCall('createConnection()', '`query`', 'a new connection', MYSQL), suggestions: [] },
      ],
    },
    // mysql2: a pool per call, hoistable.
    {
      code: `import { createPool } from 'mysql2/promise';
export class Reports {
  async monthly(month: string) {
    const pool = createPool({ uri: process.env.MYSQL_URL, connectionLimit: 4 });
    const [rows] = await pool.query('select * from sales where month = ?', [month]);
    return rows;
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          data: perCall('createPool()', '`monthly`', 'a new connection pool', MYSQL),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'pool' },
              output: `import { createPool } from 'mysql2/promise';
const pool = createPool({ uri: process.env.MYSQL_URL, connectionLimit: 4 });

export class Reports {
  async monthly(month: string) {
    const [rows] = await pool.query('select * from sales where month = ?', [month]);
    return rows;
  }
}`,
            },
          ],
        },
      ],
    },
    // ioredis per request, closed in the handler.
    {
      code: `import Redis from 'ioredis';
import express from 'express';
const app = express();
app.post('/rate', async (req, res) => {
  const redis = new Redis(process.env.REDIS_URL!);
  const hits = await redis.incr(\`rate:\${req.ip}\`);
  await redis.quit();
  res.json({ hits });
});`,
      output: null,
      errors: [
        { messageId: 'perCall', line: 5, data: perCall('new Redis()', 'a request handler', 'a new connection', REDIS), suggestions: [] },
      ],
    },
    // node-redis.
    {
      code: `import { createClient } from 'redis';
export async function getSession(id: string) {
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  return client.get(\`session:\${id}\`);
}`,
      output: null,
      errors: [
        { messageId: 'perCall', line: 3, data: perCall('createClient()', '`getSession`', 'a new connection', REDIS), suggestions: [] },
      ],
    },
    // MongoDB.
    {
      code: `import { MongoClient } from 'mongodb';
export async function findProduct(sku: string) {
  const mongo = new MongoClient(process.env.MONGO_URL!);
  await mongo.connect();
  return mongo.db('shop').collection('products').findOne({ sku });
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('new MongoClient()', '`findProduct`', 'a new connection pool', REDIS),
          suggestions: [],
        },
      ],
    },
    // A named request handler.
    {
      code: `import { Pool } from 'pg';
import http from 'node:http';
http.createServer(async function onRequest(req, res) {
  const pool = new Pool();
  res.end(JSON.stringify((await pool.query('select 1')).rows));
  await pool.end();
});`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          data: perCall('new Pool()', 'the request handler `onRequest`', 'a new connection pool'),
          suggestions: [],
        },
      ],
    },
    // A "getter" with no memo creates a pool on every call.
    {
      code: `import { Pool } from 'pg';
export function getPool() {
  return new Pool({ max: 20 });
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new Pool()', '`getPool`', 'a new connection pool'), suggestions: [] }],
    },
    // A factory this file calls per request.
    {
      code: `import { Client } from 'pg';
import express from 'express';
function newClient() {
  return new Client();
}
express().get('/me', async (req, res) => {
  const client = newClient();
  await client.connect();
  res.json((await client.query('select * from users where id = $1', [req.params.id])).rows[0]);
  await client.end();
});`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Client()', '`newClient`', 'a new connection'), suggestions: [] }],
    },
    // Its options depend on the call: not hoistable.
    {
      code: `import { Pool } from 'pg';
export async function tenantQuery(url: string, sql: string) {
  const pool = new Pool({ connectionString: url });
  return (await pool.query(sql)).rows;
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, suggestions: [] }],
    },
    // The module already has a `pool`: not hoistable.
    {
      code: `import { Pool } from 'pg';
export const pool = new Pool();
export async function longReport(sql: string) {
  const pool = new Pool({ statement_timeout: 600_000 });
  return (await pool.query(sql)).rows;
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, suggestions: [] }],
    },
    // A guard on something else is no memo.
    {
      code: `import { Pool } from 'pg';
export async function maybeQuery(enabled: boolean, sql: string) {
  if (!enabled) return [];
  const pool = new Pool();
  return (await pool.query(sql)).rows;
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'pool' },
              output: `import { Pool } from 'pg';
const pool = new Pool();

export async function maybeQuery(enabled: boolean, sql: string) {
  if (!enabled) return [];
  return (await pool.query(sql)).rows;
}`,
            },
          ],
        },
      ],
    },
    // A file outside the policy's allowed folders.
    {
      code: `import { Client } from 'pg';
export async function nightly() { const client = new Client(); await client.connect(); }`,
      filename: inCustomPolicy('src/jobs/nightly.ts'),
      output: null,
      errors: [{ messageId: 'perCall', line: 2, suggestions: [] }],
    },
    // strict: constructors, unguarded set-up functions and factories too.
    {
      code: `import { Pool } from 'pg';
export class UserRepository {
  private readonly pool: Pool;
  constructor(url: string) {
    this.pool = new Pool({ connectionString: url });
  }
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'perCall', line: 5, data: perCall('new Pool()', '`constructor`', 'a new connection pool'), suggestions: [] }],
    },
    {
      code: `import pg from 'pg';
let client: pg.Client;
export async function connectDb() {
  client = new pg.Client();
  await client.connect();
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'perCall', line: 4, suggestions: [] }],
    },
    {
      code: `import { Pool } from 'pg';
export function createDb(url: string) {
  return new Pool({ connectionString: url, max: 10 });
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('new Pool()', '`createDb`', 'a new connection pool'), suggestions: [] }],
    },
    // An exported main() may be called from anywhere.
    {
      code: `import { Client } from 'pg';
export async function main() {
  const client = new Client();
  await client.connect();
}
main();`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, suggestions: [] }],
    },
  ],
});

typedTester().run('no-per-call-connection (typed)', rule, {
  valid: [
    `import { Pool } from 'pg';
export const pool = new Pool();`,
  ],
  invalid: [
    // The type checker knows `Driver` builds pg pools.
    {
      code: `import pg from 'pg';
let Driver = pg.Pool;
if (process.env.PG_NATIVE) Driver = pg.native!.Pool;
export async function count() {
  const pool = new Driver();
  return (await pool.query('select count(*) from jobs')).rows[0];
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 5,
          data: perCall('new Driver()', '`count`', 'a new connection pool'),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'pool' },
              output: `import pg from 'pg';
let Driver = pg.Pool;
if (process.env.PG_NATIVE) Driver = pg.native!.Pool;
const pool = new Driver();

export async function count() {
  return (await pool.query('select count(*) from jobs')).rows[0];
}`,
            },
          ],
        },
      ],
    },
  ],
});

const ORM = 'create it once at module scope (or lazily, once) and share it: it holds a pool of its own';

untypedTester().run('no-per-call-connection: ORMs, handlers and owners', rule, {
  valid: [
    // A class that opens a client per instance, instantiated once at module scope.
    `import { PrismaClient } from '@prisma/client';
class Reports {
  private db = new PrismaClient();
  totals() { return this.db.order.count(); }
}
export const reports = new Reports();
export async function GET() {
  return Response.json(await reports.totals());
}`,
    // …or made by a function that does not run per request: the caller decides how often.
    `import { Pool } from 'pg';
export class Reports {
  private pool: Pool;
  constructor() { this.pool = new Pool(); }
}
export function makeReports() { return new Reports(); }`,
    // Put on the instance and connected once, on first use, and kept open.
    `import { Client } from 'pg';
export class AuditLog {
  private db?: Client;
  async record(event: string) {
    if (!this.db) {
      this.db = new Client();
      await this.db.connect();
    }
    await this.db.query('insert into audit (event) values ($1)', [event]);
  }
}`,
    // ORMs and query builders built once, at module scope or lazily.
    `import { DataSource } from 'typeorm';
export const AppDataSource = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });`,
    // Opened as it is built (\`new DataSource(…).initialize()\`), kept in a registry guarded by a lookup.
    `import { DataSource } from 'typeorm';
const byRegion = new Map<string, Promise<DataSource>>();
export function regionSource(region: string) {
  let ready = byRegion.get(region);
  if (!ready) {
    ready = new DataSource({ type: 'postgres', url: \`postgres://db-\${region}/app\` }).initialize();
    byRegion.set(region, ready);
  }
  return ready;
}`,
    `import knex from 'knex';
export const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });`,
    `import { PrismaClient } from '@prisma/client';
const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
export function prisma() {
  globalForPrisma.prisma ??= new PrismaClient();
  return globalForPrisma.prisma;
}`,
    // drizzle over a pool it is given opens nothing of its own.
    `import { drizzle } from 'drizzle-orm/node-postgres';
import { pool } from './pool.js';
export function dbFor(schema: Schema) {
  return drizzle(pool, { schema });
}`,
    // A pool handed to a memoised owner.
    `import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
let db: Kysely<DB> | undefined;
export function getDb() {
  db ??= new Kysely<DB>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }) });
  return db;
}`,
    // …or to an owner object the function returns: a factory, called once by its user.
    `import { Pool } from 'pg';
export function createDatabase(url: string) {
  const pool = new Pool({ connectionString: url });
  return { query: (sql: string) => pool.query(sql), close: () => pool.end() };
}`,
    `import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
export function createDb(url: string) {
  return drizzle(new Pool({ connectionString: url }));
}`,
    // A Lambda handler that reuses a client made outside it (or memoised in it).
    `import { Client } from 'pg';
let client: Client | undefined;
export const handler = async (event: { id: string }) => {
  if (!client) {
    client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  }
  return (await client.query('select * from items where id = $1', [event.id])).rows[0];
};`,
    // An instance client connected once, at start-up.
    `import { Client } from 'pg';
export class Listener {
  private client = new Client({ connectionString: process.env.DATABASE_URL });
  async start() {
    await this.client.connect();
    await this.client.query('listen jobs');
  }
  async stop() {
    await this.client.end();
  }
}`,
    // A pool's connect() is a checkout, not a connection per operation.
    `import { Pool } from 'pg';
const pool = new Pool();
export async function ping() {
  const client = await pool.connect();
  try {
    await client.query('select 1');
  } finally {
    client.release();
  }
}`,
  ],
  invalid: [
    {
      code: `import { DataSource } from 'typeorm';
export async function getUser(id: string) {
  const ds = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
  await ds.initialize();
  try {
    return await ds.getRepository(User).findOneBy({ id });
  } finally {
    await ds.destroy();
  }
}`,
      output: null,
      errors: [
        { messageId: 'perCall', line: 3, data: perCall('new DataSource()', '`getUser`', 'a new connection pool', ORM), suggestions: [] },
      ],
    },
    // Opened as it is built, and used for one call.
    {
      code: `import { DataSource } from 'typeorm';
export async function countOrders(region: string) {
  const source = await new DataSource({ type: 'postgres', url: \`postgres://db-\${region}/app\` }).initialize();
  try {
    return await source.query('select count(*) from orders');
  } finally {
    await source.destroy();
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('new DataSource()', '`countOrders`', 'a new connection pool', ORM),
          suggestions: [],
        },
      ],
    },
    // Opened as it is built and stored in a registry with no lookup first: a new one on every call.
    {
      code: `import { DataSource } from 'typeorm';
const byRegion = new Map<string, Promise<DataSource>>();
export function regionSource(req: Request, res: Response) {
  const ready = new DataSource({ type: 'postgres' }).initialize();
  byRegion.set(String(req.query.region), ready);
  res.end();
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          data: perCall('new DataSource()', 'the request handler `regionSource`', 'a new connection pool', ORM),
          suggestions: [],
        },
      ],
    },
    {
      code: `import knex from 'knex';
export async function getUser(id: string) {
  const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
  return db('users').where({ id }).first();
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('knex()', '`getUser`', 'a new connection pool', ORM),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'db' },
              output: `import knex from 'knex';
const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });

export async function getUser(id: string) {
  return db('users').where({ id }).first();
}`,
            },
          ],
        },
      ],
    },
    {
      code: `import { Sequelize } from 'sequelize';
app.get('/users', async (req, res) => {
  const sequelize = new Sequelize(process.env.DATABASE_URL);
  res.json(await sequelize.query('select * from users'));
});`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('new Sequelize()', 'a request handler', 'a new connection pool', ORM),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'sequelize' },
              output: `import { Sequelize } from 'sequelize';
const sequelize = new Sequelize(process.env.DATABASE_URL);

app.get('/users', async (req, res) => {
  res.json(await sequelize.query('select * from users'));
});`,
            },
          ],
        },
      ],
    },
    // Kysely's pool is its dialect's: the driver call is the per-call pool.
    {
      code: `import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
export async function getUser(id: string) {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }) });
  return db.selectFrom('users').where('id', '=', id).executeTakeFirst();
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Pool()', '`getUser`', 'a new connection pool'), suggestions: [] }],
    },
    {
      code: `import { drizzle } from 'drizzle-orm/node-postgres';
export async function getUser(id: string) {
  const db = drizzle(process.env.DATABASE_URL!);
  return db.select().from(users).where(eq(users.id, id));
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('drizzle()', '`getUser`', 'a new connection pool', ORM),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'db' },
              output: `import { drizzle } from 'drizzle-orm/node-postgres';
const db = drizzle(process.env.DATABASE_URL!);

export async function getUser(id: string) {
  return db.select().from(users).where(eq(users.id, id));
}`,
            },
          ],
        },
      ],
    },
    {
      code: `import postgres from 'postgres';
export async function getUser(id: string) {
  const sql = postgres(process.env.DATABASE_URL!);
  const [user] = await sql\`select * from users where id = \${id}\`;
  await sql.end();
  return user;
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('postgres()', '`getUser`', 'a new connection pool'), suggestions: [] }],
    },
    {
      code: `import { createPool, sql } from 'slonik';
export async function getUser(id: string) {
  const pool = await createPool(process.env.DATABASE_URL!);
  return pool.one(sql.unsafe\`select * from users where id = \${id}\`);
}`,
      output: null,
      errors: [{ messageId: 'perCall', line: 3, data: perCall('createPool()', '`getUser`', 'a new connection pool'), suggestions: [] }],
    },
    {
      code: `import { PrismaClient } from '@prisma/client';
export async function getUser(id: string) {
  const prisma = new PrismaClient();
  return prisma.user.findUnique({ where: { id } });
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('new PrismaClient()', '`getUser`', 'a new connection pool', ORM),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'prisma' },
              output: `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function getUser(id: string) {
  return prisma.user.findUnique({ where: { id } });
}`,
            },
          ],
        },
      ],
    },
    // Lambda and serverless handlers run per invocation: storing the client without a guard re-opens it each time.
    {
      code: `import { Client } from 'pg';
let client: Client;
export const handler = async (event: APIGatewayProxyEvent) => {
  client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return { statusCode: 200, body: JSON.stringify((await client.query('select 1')).rows) };
};`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Client()', '`handler`', 'a new connection'), suggestions: [] }],
    },
    {
      code: `const { Client } = require('pg');
let client;
exports.handler = async (event) => {
  client = new Client();
  await client.connect();
  return client.query('select 1');
};`,
      output: null,
      errors: [{ messageId: 'perCall', line: 4, data: perCall('new Client()', '`handler`', 'a new connection'), suggestions: [] }],
    },
    {
      code: `import { Pool } from 'pg';
let pool: Pool;
export default async function handler(req, res) {
  pool = new Pool();
  res.json((await pool.query('select 1')).rows);
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 4,
          data: perCall('new Pool()', 'the request handler `handler`', 'a new connection pool'),
          suggestions: [],
        },
      ],
    },
    // An instance field opens a client for every instance, and a route handler makes one per request.
    {
      code: `import { PrismaClient } from '@prisma/client';
class Reports {
  private db = new PrismaClient();
  totals() { return this.db.order.count(); }
}
export async function GET() {
  const reports = new Reports();
  return Response.json(await reports.totals());
}`,
      output: null,
      errors: [
        {
          messageId: 'perInstance',
          line: 3,
          data: { call: 'new PrismaClient()', className: 'Reports', where: '`GET`', what: 'a new connection pool', instead: ORM },
          suggestions: [],
        },
      ],
    },
    // The same through the constructor, instantiated in an Express handler.
    {
      code: `import { Pool } from 'pg';
class Reports {
  constructor() {
    this.pool = new Pool();
  }
}
app.get('/reports', async (req, res) => {
  res.json(await new Reports().pool.query('select 1'));
});`,
      output: null,
      errors: [
        {
          messageId: 'perInstance',
          line: 4,
          data: { call: 'new Pool()', className: 'Reports', where: 'a request handler', what: 'a new connection pool', instead: PG },
          suggestions: [],
        },
      ],
    },
    // The operation puts the client on the instance itself (lazily), then connects and ends it.
    {
      code: `import { Client } from 'pg';
export class AuditLog {
  private db?: Client;
  async record(event: string) {
    this.db ??= new Client();
    await this.db.connect();
    await this.db.query('insert into audit (event) values ($1)', [event]);
    await this.db.end();
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'connectPerOperation',
          line: 6,
          data: { call: 'this.db.connect()', where: '`record`', client: 'this.db', instead: PG },
          suggestions: [],
        },
      ],
    },
    {
      code: `const { Client } = require('pg');
class AuditLog {
  async record(event) {
    this.db = this.db ?? new Client(this.options);
    await this.db.connect();
    await this.db.query('insert into audit (event) values ($1)', [event]);
    await this.db.end();
    this.db = undefined;
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'connectPerOperation',
          line: 5,
          data: { call: 'this.db.connect()', where: '`record`', client: 'this.db', instead: PG },
          suggestions: [],
        },
      ],
    },
    // An instance-held client that each operation connects and ends.
    {
      code: `import { Client } from 'pg';
export class UserRepo {
  private client = new Client({ connectionString: process.env.DATABASE_URL });
  async getUser(id: string) {
    await this.client.connect();
    try {
      return (await this.client.query('select * from users where id = $1', [id])).rows[0];
    } finally {
      await this.client.end();
    }
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'connectPerOperation',
          line: 5,
          data: { call: 'this.client.connect()', where: '`getUser`', client: 'this.client', instead: PG },
          suggestions: [],
        },
      ],
    },
    {
      code: `import { createClient } from 'redis';
const redis = createClient({ url: process.env.REDIS_URL });
export async function getSession(id: string) {
  await redis.connect();
  const session = await redis.get(\`session:\${id}\`);
  await redis.quit();
  return session;
}`,
      output: null,
      errors: [
        {
          messageId: 'connectPerOperation',
          line: 4,
          data: { call: 'redis.connect()', where: '`getSession`', client: 'redis', instead: REDIS },
          suggestions: [],
        },
      ],
    },
    // A pool used locally by a function with a factory's name is still one per call.
    {
      code: `import { Pool } from 'pg';
export async function createUser(name: string) {
  const pool = new Pool();
  return (await pool.query('insert into users (name) values ($1) returning *', [name])).rows[0];
}`,
      output: null,
      errors: [
        {
          messageId: 'perCall',
          line: 3,
          data: perCall('new Pool()', '`createUser`', 'a new connection pool'),
          suggestions: [
            {
              messageId: 'hoist',
              data: { name: 'pool' },
              output: `import { Pool } from 'pg';
const pool = new Pool();

export async function createUser(name: string) {
  return (await pool.query('insert into users (name) values ($1) returning *', [name])).rows[0];
}`,
            },
          ],
        },
      ],
    },
  ],
});

typedTester().run('no-per-call-connection: connections per operation (typed)', rule, {
  valid: [
    // A pool handed in: connect() is a checkout, not a connection.
    `import type { Pool } from 'pg';
export class Repo {
  constructor(private readonly pool: Pool) {}
  async ping() {
    const client = await this.pool.connect();
    client.release();
  }
}`,
  ],
  invalid: [
    // A client handed to the constructor, connected and ended by each operation: known by its type.
    {
      code: `import type { Client } from 'pg';
export class UserRepo {
  constructor(private readonly db: Client) {}
  async count() {
    await this.db.connect();
    try {
      return (await this.db.query('select count(*) from users')).rows[0];
    } finally {
      await this.db.end();
    }
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'connectPerOperation',
          line: 5,
          data: { call: 'this.db.connect()', where: '`count`', client: 'this.db', instead: PG },
          suggestions: [],
        },
      ],
    },
  ],
});
