/**
 * "Is this `new X()` pg's Client or Pool?" for pool-connections, by import tracking at module
 * scope: named and aliased imports (`import { Client as PgClient } from 'pg'`), the default or
 * namespace import (`import pg from 'pg'` + `new pg.Client()`), a module-level destructuring
 * of it (`const { Pool } = pg`), and the CommonJS forms (`const pg = require('pg')`,
 * `const { Client } = require('pg')`). Type-only imports do not count.
 */
import type { Collection } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { programOf } from './imports.js';

export type PgClass = 'Client' | 'Pool';

/** Where a local name for a pg class was bound, so an unused import can be removed. */
export interface PgBinding {
  readonly local: string;
  /** The import (or require) declaration that binds it. */
  readonly declaration: K.StatementKind;
  /** The specifier (or destructured property) that binds it; undefined for a whole-module binding. */
  readonly specifier: K.NodeKind | undefined;
}

export interface PgNames {
  /** Local names bound to pg's Client / Pool. */
  readonly classes: Map<string, PgClass>;
  /** Local names bound to the pg module itself (default or namespace). */
  readonly modules: Set<string>;
  readonly bindings: Map<string, PgBinding>;
}

const CLASSES = new Set<string>(['Client', 'Pool']);

function isTypeOnly(node: unknown): boolean {
  return (node as { importKind?: string }).importKind === 'type';
}

function isRequirePg(node: K.ExpressionKind | null | undefined): boolean {
  return (
    node?.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    node.callee.name === 'require' &&
    node.arguments.length === 1 &&
    (node.arguments[0]!.type === 'StringLiteral' || node.arguments[0]!.type === 'Literal') &&
    (node.arguments[0] as { value?: unknown }).value === 'pg'
  );
}

function keyName(property: K.ObjectPatternKind['properties'][number]): { key: string; local: string } | undefined {
  if ((property.type !== 'ObjectProperty' && property.type !== 'Property') || property.computed === true) return undefined;
  const key = property.key as { type: string; name?: string };
  const value = property.value as { type: string; name?: string };
  if (key.type !== 'Identifier' || value.type !== 'Identifier') return undefined;
  return { key: key.name!, local: value.name! };
}

/** The pg names a file binds at module scope. */
export function pgNames(root: Collection): PgNames {
  const classes = new Map<string, PgClass>();
  const modules = new Set<string>();
  const bindings = new Map<string, PgBinding>();
  const program = programOf(root);
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration') {
      if (statement.source.value !== 'pg' || isTypeOnly(statement)) continue;
      for (const spec of statement.specifiers ?? []) {
        const local = spec.local?.name;
        if (typeof local !== 'string') continue;
        if (spec.type === 'ImportDefaultSpecifier' || spec.type === 'ImportNamespaceSpecifier') {
          modules.add(local);
          bindings.set(local, { local, declaration: statement, specifier: spec });
        } else if (spec.type === 'ImportSpecifier' && !isTypeOnly(spec)) {
          const imported = (spec.imported as { name?: string }).name;
          if (imported !== undefined && CLASSES.has(imported)) {
            classes.set(local, imported as PgClass);
            bindings.set(local, { local, declaration: statement, specifier: spec });
          }
        }
      }
    }
  }
  // `const pg = require('pg')`, `const { Client } = require('pg')`, `const { Pool } = pg`.
  for (const statement of program.body) {
    if (statement.type !== 'VariableDeclaration' || statement.declarations.length !== 1) continue;
    const declarator = statement.declarations[0]!;
    if (declarator.type !== 'VariableDeclarator') continue;
    const init = declarator.init;
    const fromModule = isRequirePg(init) || (init?.type === 'Identifier' && modules.has(init.name));
    if (!fromModule) continue;
    if (declarator.id.type === 'Identifier' && isRequirePg(init)) {
      modules.add(declarator.id.name);
      bindings.set(declarator.id.name, { local: declarator.id.name, declaration: statement, specifier: undefined });
    } else if (declarator.id.type === 'ObjectPattern') {
      for (const property of declarator.id.properties) {
        const names = keyName(property);
        if (names === undefined || !CLASSES.has(names.key)) continue;
        classes.set(names.local, names.key as PgClass);
        bindings.set(names.local, { local: names.local, declaration: statement, specifier: property });
      }
    }
  }
  return { classes, modules, bindings };
}

/** Which pg class `callee` names (`Client`, `PgClient`, `pg.Pool`), given the file's pg names. */
export function pgClassOf(callee: K.ExpressionKind, names: PgNames): PgClass | undefined {
  if (callee.type === 'Identifier') return names.classes.get(callee.name);
  if (
    callee.type === 'MemberExpression' &&
    !callee.computed &&
    callee.object.type === 'Identifier' &&
    names.modules.has(callee.object.name) &&
    callee.property.type === 'Identifier' &&
    CLASSES.has(callee.property.name)
  ) {
    return callee.property.name as PgClass;
  }
  return undefined;
}

/** The local name `callee` reads to reach the class: `PgClient` for `new PgClient()`, `pg` for `new pg.Client()`. */
export function calleeRoot(callee: K.ExpressionKind): string | undefined {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') return callee.object.name;
  return undefined;
}
