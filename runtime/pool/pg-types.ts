/**
 * The part of pg's types that bounded's public API names, written out so that @bounded/runtime's
 * declarations type-check without `@types/pg` (pg is an optional peer: only the pool and the
 * PostgreSQL store load it, at run time). pg's own objects satisfy these shapes.
 */
import type { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';

/** A row: column name → value, as pg returns it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's own row type; callers narrow it with `query<Row>()`.
export type QueryResultRow = Record<string, any>;

export interface FieldDef {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: string;
}

export interface QueryResult<R extends QueryResultRow = QueryResultRow> {
  command: string;
  rowCount: number | null;
  oid: number;
  fields: FieldDef[];
  rows: R[];
}

export interface QueryConfig<I = unknown[]> {
  text: string;
  values?: I;
  name?: string;
  rowMode?: 'array';
  types?: unknown;
  queryMode?: 'extended';
}

/** A connection as pg's Pool hands it out. */
export interface PoolClient extends EventEmitter {
  query(config: string | QueryConfig, values?: unknown[]): Promise<QueryResult>;
  release(destroy?: boolean | Error): void;
  /** 'I' idle, 'T' in a transaction, 'E' in a failed transaction, null before the first query. */
  getTransactionStatus(): string | null;
}

/** A connection of pg's (what `Client` subclasses). */
export type ClientBase = EventEmitter;

/** pg's client and pool options (see pg's documentation for each). */
export interface PoolConfig {
  user?: string;
  database?: string;
  password?: string | (() => string | Promise<string>);
  port?: number;
  host?: string;
  connectionString?: string;
  keepAlive?: boolean;
  keepAliveInitialDelayMillis?: number;
  statement_timeout?: false | number;
  query_timeout?: number;
  lock_timeout?: number;
  idle_in_transaction_session_timeout?: number;
  application_name?: string;
  fallback_application_name?: string;
  connectionTimeoutMillis?: number;
  ssl?: boolean | ConnectionOptions;
  types?: unknown;
  options?: string;
  client_encoding?: string;
  max?: number;
  min?: number;
  idleTimeoutMillis?: number;
  allowExitOnIdle?: boolean;
  maxUses?: number;
  maxLifetimeSeconds?: number;
  log?: (...messages: unknown[]) => void;
  /** A pg `Client` subclass to open connections with. */
  Client?: unknown;
}
