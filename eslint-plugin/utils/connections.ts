import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { calleeText } from './functions.js';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import { isRuntimeExport } from './runtime-imports.js';
import type { TypeInfo } from './type-info.js';

/**
 * Database and cache connections: "does this `new Client()` open a PostgreSQL connection?",
 * "is this `pool` a connection pool?". Import tracking first (pg, mysql2, ioredis, redis,
 * mongodb); the type checker, when there is one, for constructors it cannot trace.
 */

export type ConnectionLibrary = 'pg' | 'mysql' | 'redis' | 'mongodb';

export interface ConnectionFactory {
  readonly library: ConnectionLibrary;
  /** Many connections (a pool) rather than one. */
  readonly pool: boolean;
  /** Usable as soon as it is built, with no `connect()` of its own: hoisting it is a drop-in change. */
  readonly ready: boolean;
}

interface Known extends ConnectionFactory {
  readonly modules: readonly string[];
  /** Export names; '*' is the module itself (`const Redis = require('ioredis')`). */
  readonly exports: readonly string[];
  readonly construct: 'new' | 'call';
}

const KNOWN: readonly Known[] = [
  { modules: ['pg'], exports: ['Client'], construct: 'new', library: 'pg', pool: false, ready: false },
  { modules: ['pg'], exports: ['Pool'], construct: 'new', library: 'pg', pool: true, ready: true },
  { modules: ['pg-pool'], exports: ['*', 'default'], construct: 'new', library: 'pg', pool: true, ready: true },
  { modules: ['mysql2', 'mysql2/promise', 'mysql'], exports: ['createConnection'], construct: 'call', library: 'mysql', pool: false, ready: false },
  { modules: ['mysql2', 'mysql2/promise', 'mysql'], exports: ['createPool', 'createPoolCluster'], construct: 'call', library: 'mysql', pool: true, ready: true },
  { modules: ['ioredis'], exports: ['*', 'default', 'Redis'], construct: 'new', library: 'redis', pool: false, ready: true },
  { modules: ['ioredis'], exports: ['Cluster'], construct: 'new', library: 'redis', pool: true, ready: true },
  { modules: ['redis'], exports: ['createClient', 'createCluster'], construct: 'call', library: 'redis', pool: false, ready: false },
  { modules: ['mongodb'], exports: ['MongoClient'], construct: 'new', library: 'mongodb', pool: true, ready: false },
];

/** pg's classes, by the type checker: declared in pg's (or @types/pg's) files. */
const PG_DECLARATIONS = /[\\/]node_modules[\\/](?:@types[\\/])?pg[\\/]/;

/** What `node` opens, when it opens database or cache connections: `new pg.Pool()`, `mysql.createConnection()`. */
export function connectionFactory(
  node: TSESTree.NewExpression | TSESTree.CallExpression,
  scope: Scope.Scope,
  types: TypeInfo | undefined,
): ConnectionFactory | undefined {
  const construct = node.type === AST_NODE_TYPES.NewExpression ? 'new' : 'call';
  const binding = resolveImport(skipTypeWrappers(node.callee), scope);
  if (binding !== undefined) {
    return KNOWN.find((known) => known.construct === construct && known.modules.includes(binding.module) && known.exports.includes(binding.imported));
  }
  if (construct !== 'new' || types === undefined) return undefined;
  const name = types.typeName(node);
  if (name !== 'Client' && name !== 'Pool') return undefined;
  const declarations = types.typeOf(node).getSymbol()?.getDeclarations() ?? [];
  if (!declarations.some((declaration) => PG_DECLARATIONS.test(declaration.getSourceFile().fileName))) return undefined;
  return KNOWN.find((known) => known.library === 'pg' && known.exports.includes(name));
}

/** Names people give pools: `pool`, `pgPool`, `this.readPool`. */
const POOL_NAME = /pool$/i;

/**
 * True when `node` holds a connection pool: built in this file by pg, mysql2 or bounded's
 * `createPool` / `getPool`, or named like one.
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
