import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import {
  CONNECTIONS,
  PIPELINED_CLIENT_MODULES,
  PIPELINED_CLIENT_NAME,
  PIPELINED_CLIENT_TYPES,
  type ConnectionEntry,
  type ConnectionLibrary,
} from '@bounded/policy';
import { calleeText } from './functions.js';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import { isRuntimeExport } from './runtime-imports.js';
import type { TypeInfo } from './type-info.js';

/**
 * Database and cache connections: "does this `new Client()` open a PostgreSQL connection?",
 * "is this `pool` a connection pool?". Import tracking first, against the catalog
 * (policy/catalog/connections.ts: pg, postgres.js, slonik, mysql2, ioredis, redis, mongodb,
 * TypeORM, Knex, Sequelize, Drizzle, Prisma); the type checker, when there is one, for
 * constructors it cannot trace.
 */

export type { ConnectionLibrary };

export interface ConnectionFactory {
  readonly library: ConnectionLibrary;
  /** The package: 'pg', 'typeorm'. */
  readonly name: string;
  /** Many connections (a pool) rather than one. */
  readonly pool: boolean;
  /** Usable as soon as it is built, with no `connect()` of its own: hoisting it is a drop-in change. */
  readonly ready: boolean;
}

const constructedAs = (entry: ConnectionEntry, construct: 'new' | 'call'): boolean =>
  entry.construct === 'either' || entry.construct === construct;

/** `process.env.DATABASE_URL`, a string, a template: a URL or options, not a client to wrap. */
function isConnectionString(node: TSESTree.Node): boolean {
  const bare = skipTypeWrappers(node);
  if (bare.type === AST_NODE_TYPES.Literal) return typeof bare.value === 'string';
  if (bare.type === AST_NODE_TYPES.TemplateLiteral) return true;
  const text = calleeText(bare);
  return text !== undefined && text.startsWith('process.env.');
}

/** For a wrapper (`drizzle(…)`): true when it is given a URL or connection options, not a client. */
function opensOwnPool(node: TSESTree.NewExpression | TSESTree.CallExpression): boolean {
  const first = node.arguments[0];
  if (first === undefined) return false;
  if (isConnectionString(first)) return true;
  const bare = skipTypeWrappers(first);
  return (
    bare.type === AST_NODE_TYPES.ObjectExpression &&
    bare.properties.some(
      (property) =>
        property.type === AST_NODE_TYPES.Property &&
        !property.computed &&
        property.key.type === AST_NODE_TYPES.Identifier &&
        property.key.name === 'connection',
    )
  );
}

/** What `node` opens, when it opens database or cache connections: `new pg.Pool()`, `knex(config)`, `new DataSource(…)`. */
export function connectionFactory(
  node: TSESTree.NewExpression | TSESTree.CallExpression,
  scope: Scope.Scope,
  types: TypeInfo | undefined,
): ConnectionFactory | undefined {
  const entry = entryOf(node, scope, types);
  return entry === undefined ? undefined : factoryOf(entry);
}

/** The catalog entry `node` builds with, if any. */
function entryOf(
  node: TSESTree.NewExpression | TSESTree.CallExpression,
  scope: Scope.Scope,
  types: TypeInfo | undefined,
): ConnectionEntry | undefined {
  const construct = node.type === AST_NODE_TYPES.NewExpression ? 'new' : 'call';
  const binding = resolveImport(skipTypeWrappers(node.callee), scope);
  let entry: ConnectionEntry | undefined;
  if (binding !== undefined) {
    entry = CONNECTIONS.find(
      (known) => constructedAs(known, construct) && known.modules.includes(binding.module) && known.exports.includes(binding.imported),
    );
  } else if (construct === 'new' && types !== undefined) {
    entry = entryOfType(node, types);
  }
  if (entry === undefined || (entry.wrapsGivenClient === true && !opensOwnPool(node))) return undefined;
  return entry;
}

const factoryOf = (entry: ConnectionEntry): ConnectionFactory => ({
  library: entry.library,
  name: entry.name,
  pool: entry.pool,
  ready: entry.ready,
});

/** The catalog entry whose type `node` has, declared in that library's own files (a project's own `Pool` is not pg's). */
function entryOfType(node: TSESTree.Node, types: TypeInfo): ConnectionEntry | undefined {
  const name = types.typeName(node);
  if (name === undefined) return undefined;
  const candidates = CONNECTIONS.filter((known) => known.types?.includes(name) === true && known.declaredIn !== undefined);
  if (candidates.length === 0) return undefined;
  const type = types.checker.getNonNullableType(types.typeOf(node));
  const files = ((type.aliasSymbol ?? type.getSymbol())?.getDeclarations() ?? []).map(
    (declaration) => declaration.getSourceFile().fileName,
  );
  return candidates.find((known) => files.some((file) => known.declaredIn!.test(file)));
}

/**
 * What `node` (`this.client`, a module's `client`) holds, when it is a connection: built by a
 * catalog factory where it was assigned, or, with types, typed as one.
 */
export function heldConnection(node: TSESTree.Node, scope: Scope.Scope, types: TypeInfo | undefined): ConnectionFactory | undefined {
  const bare = skipTypeWrappers(node);
  const origin = valueOrigin(bare, scope);
  if (origin !== undefined && origin !== bare) {
    const built = skipTypeWrappers(origin.type === AST_NODE_TYPES.AwaitExpression ? origin.argument : origin);
    if (built.type === AST_NODE_TYPES.NewExpression || built.type === AST_NODE_TYPES.CallExpression)
      return connectionFactory(built, scope, types);
    return undefined;
  }
  const entry = types === undefined ? undefined : entryOfType(bare, types);
  return entry === undefined ? undefined : factoryOf(entry);
}

/**
 * Whether `method` on `node` checks a connection out: true for `pool.connect()` on a pg pool
 * built here, false for `client.connect()` on a MongoClient (it opens itself), undefined when
 * `node` was not built by a catalog factory in this file.
 */
export function checksOut(node: TSESTree.Node, method: string, scope: Scope.Scope, types: TypeInfo | undefined): boolean | undefined {
  const bare = skipTypeWrappers(node);
  const origin = valueOrigin(bare, scope);
  if (origin === undefined || origin === bare) return undefined;
  const built = skipTypeWrappers(origin.type === AST_NODE_TYPES.AwaitExpression ? origin.argument : origin);
  if (built.type !== AST_NODE_TYPES.NewExpression && built.type !== AST_NODE_TYPES.CallExpression) return undefined;
  const entry = entryOf(built, scope, types);
  return entry === undefined ? undefined : entry.checkouts?.includes(method) === true;
}

/** Names people give pools: `pool`, `pgPool`, `this.readPool`. */
const POOL_NAME = /pool$/i;

/**
 * True when `node` holds a connection pool: built in this file by a driver in the catalog or
 * bounded's `createPool` / `getPool`, or named like one.
 */
export function isPool(node: TSESTree.Node, scope: Scope.Scope, types: TypeInfo | undefined): boolean {
  const bare = skipTypeWrappers(node);
  const text = calleeText(bare);
  if (text !== undefined && POOL_NAME.test(text)) return true;
  const origin = valueOrigin(bare, scope) ?? bare;
  const built = skipTypeWrappers(origin.type === AST_NODE_TYPES.AwaitExpression ? origin.argument : origin);
  if (built.type === AST_NODE_TYPES.NewExpression || built.type === AST_NODE_TYPES.CallExpression) {
    if (isRuntimeExport(built.callee, scope, ['createPool', 'getPool'])) return true;
    if (connectionFactory(built, scope, types)?.pool === true) return true;
  }
  const typeName = types?.typeName(bare);
  return typeName !== undefined && POOL_NAME.test(typeName);
}

/**
 * True when `node` is a client that sends every command over one connection, pipelined
 * (ioredis, node-redis): built from one of those modules in this file, typed as one, or named
 * like one (`redis`, `this.redisClient`).
 */
export function isPipelinedClient(node: TSESTree.Node, scope: Scope.Scope, types: TypeInfo | undefined): boolean {
  const bare = skipTypeWrappers(node);
  const origin = valueOrigin(bare, scope);
  if (origin !== undefined && origin !== bare) {
    const built = skipTypeWrappers(origin.type === AST_NODE_TYPES.AwaitExpression ? origin.argument : origin);
    if (built.type === AST_NODE_TYPES.NewExpression || built.type === AST_NODE_TYPES.CallExpression) {
      const binding = resolveImport(skipTypeWrappers(built.callee), scope);
      if (binding !== undefined) return PIPELINED_CLIENT_MODULES.includes(binding.module);
    }
  }
  if (types !== undefined) {
    // ioredis's class comes through a re-exported default: its printed name is the reliable one.
    const typeName =
      types.typeName(bare) ?? types.checker.typeToString(types.checker.getNonNullableType(types.typeOf(bare))).replace(/<.*$/s, '');
    if (PIPELINED_CLIENT_TYPES.includes(typeName)) return true;
  }
  const text = calleeText(bare);
  return text !== undefined && PIPELINED_CLIENT_NAME.test(text);
}
