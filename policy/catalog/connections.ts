/**
 * The connections bounded knows: database drivers, ORMs and query builders that own a pool,
 * cache clients, and the calls that check a connection out of them, run work on one
 * connection, or close them. Data only: the ESLint rules (no-per-call-connection,
 * require-release, no-unbounded-concurrency), the codemods and the migrate prefilter read it.
 */

/** The family a connection belongs to; messages say what to do instead per family. */
export type ConnectionLibrary = 'pg' | 'mysql' | 'redis' | 'mongodb' | 'orm';

/** Something that opens connections when it is built. */
export interface ConnectionEntry {
  readonly library: ConnectionLibrary;
  /** The package, for messages: 'pg', 'typeorm', 'knex'. */
  readonly name: string;
  readonly modules: readonly string[];
  /** Export names; '*' is the module itself (`const Redis = require('ioredis')`), 'default' its default export. */
  readonly exports: readonly string[];
  /** `new X(…)` or `x(…)`; 'either' for exports that work both ways (`Knex(config)`, `new Knex(…)`). */
  readonly construct: 'new' | 'call' | 'either';
  /** Many connections (a pool) rather than one. */
  readonly pool: boolean;
  /** Usable as soon as it is built, with no `connect()` / `initialize()` of its own: hoisting it is a drop-in change. */
  readonly ready: boolean;
  /** Type names of what it builds, for the type checker (`Pool`, `DataSource`). */
  readonly types?: readonly string[];
  /** Where those types are declared (a path under node_modules), so a project's own `Pool` is not taken for one. */
  readonly declaredIn?: RegExp;
  /**
   * It wraps a client it is given (`drizzle(pool)`, `drizzle({ client })`) and opens a pool of
   * its own only when given a URL or connection options (`drizzle(url)`, `drizzle({ connection })`).
   */
  readonly wrapsGivenClient?: boolean;
  /**
   * Methods that check one connection out of it, to be released (`pool.connect()` of pg,
   * `pool.getConnection()` of mysql2). A `connect()` not listed here opens the thing itself
   * (MongoDB's `client.connect()`), and there is nothing to release.
   */
  readonly checkouts?: readonly string[];
}

export const CONNECTIONS: readonly ConnectionEntry[] = [
  // Drivers.
  {
    library: 'pg',
    name: 'pg',
    modules: ['pg'],
    exports: ['Client'],
    construct: 'new',
    pool: false,
    ready: false,
    types: ['Client'],
    declaredIn: /[\\/]node_modules[\\/](?:@types[\\/])?pg[\\/]/,
  },
  {
    library: 'pg',
    name: 'pg',
    modules: ['pg'],
    exports: ['Pool'],
    construct: 'new',
    pool: true,
    ready: true,
    checkouts: ['connect'],
    types: ['Pool'],
    declaredIn: /[\\/]node_modules[\\/](?:@types[\\/])?pg[\\/]/,
  },
  {
    library: 'pg',
    name: 'pg-pool',
    modules: ['pg-pool'],
    exports: ['*', 'default'],
    construct: 'new',
    pool: true,
    ready: true,
    checkouts: ['connect'],
  },
  {
    library: 'pg',
    name: 'postgres',
    modules: ['postgres'],
    exports: ['*', 'default'],
    construct: 'call',
    pool: true,
    ready: true,
    types: ['Sql'],
    declaredIn: /[\\/]node_modules[\\/]postgres[\\/]/,
  },
  {
    library: 'pg',
    name: 'slonik',
    modules: ['slonik'],
    exports: ['createPool'],
    construct: 'call',
    pool: true,
    ready: true,
    checkouts: ['connect'],
    types: ['DatabasePool'],
    declaredIn: /[\\/]node_modules[\\/]slonik[\\/]/,
  },
  {
    library: 'mysql',
    name: 'mysql2',
    modules: ['mysql2', 'mysql2/promise', 'mysql'],
    exports: ['createConnection'],
    construct: 'call',
    pool: false,
    ready: false,
  },
  {
    library: 'mysql',
    name: 'mysql2',
    modules: ['mysql2', 'mysql2/promise', 'mysql'],
    exports: ['createPool', 'createPoolCluster'],
    construct: 'call',
    pool: true,
    ready: true,
    checkouts: ['getConnection'],
  },
  {
    library: 'mysql',
    name: 'serverless-mysql',
    modules: ['serverless-mysql'],
    exports: ['*', 'default'],
    construct: 'call',
    pool: false,
    ready: true,
  },
  {
    library: 'redis',
    name: 'ioredis',
    modules: ['ioredis'],
    exports: ['*', 'default', 'Redis'],
    construct: 'new',
    pool: false,
    ready: true,
    types: ['Redis'],
    declaredIn: /[\\/]node_modules[\\/]ioredis[\\/]/,
  },
  {
    library: 'redis',
    name: 'ioredis',
    modules: ['ioredis'],
    exports: ['Cluster'],
    construct: 'new',
    pool: true,
    ready: true,
    types: ['Cluster'],
    declaredIn: /[\\/]node_modules[\\/]ioredis[\\/]/,
  },
  {
    library: 'redis',
    name: 'redis',
    modules: ['redis', '@redis/client'],
    exports: ['createClient', 'createCluster'],
    construct: 'call',
    pool: false,
    ready: false,
  },
  {
    library: 'mongodb',
    name: 'mongodb',
    modules: ['mongodb'],
    exports: ['MongoClient'],
    construct: 'new',
    pool: true,
    ready: false,
    types: ['MongoClient'],
    declaredIn: /[\\/]node_modules[\\/]mongodb[\\/]/,
  },
  {
    library: 'mongodb',
    name: 'mongoose',
    modules: ['mongoose'],
    exports: ['createConnection'],
    construct: 'call',
    pool: true,
    ready: false,
  },
  // ORMs and query builders: each owns a pool of the driver below it. Kysely is not listed: it
  // opens nothing itself, its dialect is given a driver's pool (`new PostgresDialect({ pool: new
  // Pool() })`), and that driver call is what is found.
  // createQueryRunner() checks a connection out of the data source's pool (CHECKOUTS): it is released, not closed.
  {
    library: 'orm',
    name: 'typeorm',
    modules: ['typeorm'],
    exports: ['DataSource'],
    construct: 'new',
    pool: true,
    ready: false,
    checkouts: ['createQueryRunner'],
    types: ['DataSource'],
    declaredIn: /[\\/]node_modules[\\/]typeorm[\\/]/,
  },
  {
    library: 'orm',
    name: 'typeorm',
    modules: ['typeorm'],
    exports: ['createConnection'],
    construct: 'call',
    pool: true,
    ready: false,
    checkouts: ['createQueryRunner'],
  },
  // db.transaction() without a handler returns a transaction holding one pooled connection until commit() or rollback().
  {
    library: 'orm',
    name: 'knex',
    modules: ['knex'],
    exports: ['*', 'default', 'knex', 'Knex'],
    construct: 'either',
    pool: true,
    ready: true,
    checkouts: ['transaction'],
  },
  {
    library: 'orm',
    name: 'sequelize',
    modules: ['sequelize', 'sequelize-typescript'],
    exports: ['Sequelize', 'default', '*'],
    construct: 'new',
    pool: true,
    ready: true,
    checkouts: ['transaction'],
    types: ['Sequelize'],
    declaredIn: /[\\/]node_modules[\\/]sequelize(?:-typescript)?[\\/]/,
  },
  {
    library: 'orm',
    name: 'drizzle-orm',
    modules: [
      'drizzle-orm/node-postgres',
      'drizzle-orm/postgres-js',
      'drizzle-orm/mysql2',
      'drizzle-orm/neon-serverless',
      'drizzle-orm/vercel-postgres',
    ],
    exports: ['drizzle'],
    construct: 'call',
    pool: true,
    ready: true,
    wrapsGivenClient: true,
  },
  {
    library: 'orm',
    name: 'prisma',
    modules: ['@prisma/client'],
    exports: ['PrismaClient'],
    construct: 'new',
    pool: true,
    ready: true,
    types: ['PrismaClient'],
  },
];

/** Methods that start a connection or pool an entry built (TypeORM's `initialize`, pg's `connect`). */
export const OPEN_METHODS: readonly string[] = ['connect', 'initialize', '$connect'];
/** Methods that close a connection or a pool: hoisting a construction its function closes would break the next call. */
export const CLOSE_METHODS: readonly string[] = ['end', 'quit', 'disconnect', 'close', 'destroy', '$disconnect'];

/**
 * Calls that check a connection out of a pool; what they return must be given back with one
 * of `release` (and is never given back by closing the pool).
 */
export interface CheckoutEntry {
  readonly method: string;
  readonly release: readonly string[];
  /** 'pool': the object is a pool (`pool.connect()`); 'source': an ORM's data source (`dataSource.createQueryRunner()`). */
  readonly from: 'pool' | 'source';
  /** The checkout is synchronous (`createQueryRunner()` returns the runner; `connect()` on it opens it). */
  readonly sync?: boolean;
  /**
   * Only on an object a catalog entry built in the file and lists the method for
   * (`checkouts`): the name is too common to trust elsewhere (`db.transaction()`).
   */
  readonly traced?: boolean;
}

export const CHECKOUTS: readonly CheckoutEntry[] = [
  { method: 'connect', release: ['release'], from: 'pool' },
  { method: 'getConnection', release: ['release'], from: 'pool' },
  { method: 'createQueryRunner', release: ['release'], from: 'source', sync: true },
  // Knex's and Sequelize's transaction() called without a handler (with one, it manages itself).
  { method: 'transaction', release: ['commit', 'rollback'], from: 'pool', traced: true },
];

/** Names people give ORM data sources that hand out query runners: `dataSource`, `AppDataSource`, `this.ds`. */
export const DATA_SOURCE_NAME = /(?:^|[a-z_])(?:datasource|ds|connection|manager)$/i;

/**
 * Calls that run a callback on one connection: an interactive transaction. Every query inside
 * waits for the one before it on that connection, so a fan-out over them is bounded by it.
 * `method` is called on the database (`db.transaction(fn)`); `then`, when present, is the
 * method called on its result that takes the callback (Kysely: `db.transaction().execute(fn)`).
 */
export const TRANSACTION_CALLS: readonly { readonly method: string; readonly then?: string }[] = [
  { method: 'transaction' }, // Knex, Sequelize, TypeORM, Drizzle, Objection, bounded's pool.transaction
  { method: '$transaction' }, // Prisma interactive transactions
  { method: 'begin' }, // postgres.js: sql.begin(async (sql) => …)
  { method: 'withTransaction' }, // MongoDB sessions
  { method: 'transaction', then: 'execute' }, // Kysely
  { method: 'withClient' }, // bounded's pool.withClient(fn): one checked-out client
];

/** Modules whose clients send every command over one connection, pipelined: a fan-out of commands waits on that socket. */
export const PIPELINED_CLIENT_MODULES: readonly string[] = ['ioredis', 'redis', '@redis/client'];
/** Names people give such clients: `redis`, `this.redisClient`, `redisCache`. */
export const PIPELINED_CLIENT_NAME = /redis/i;
/** Type names of such clients, with type information. */
export const PIPELINED_CLIENT_TYPES: readonly string[] = ['Redis', 'Cluster', 'RedisClientType', 'RedisClusterType'];

/** Calls whose result is one entry per node or shard of a cluster the operator sized: `redis.nodes('master')`. */
export const PER_NODE_METHODS: readonly string[] = ['nodes', 'getNodes', 'masters', 'replicas', 'shards', 'getShards'];
