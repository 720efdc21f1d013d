/**
 * "Is this `new X()` pg's Client or Pool?" for pool-connections, by import tracking at module
 * scope: named and aliased imports (`import { Client as PgClient } from 'pg'`), the default or
 * namespace import (`import pg from 'pg'` + `new pg.Client()`), a module-level destructuring
 * of it (`const { Pool } = pg`), and the CommonJS forms (`const pg = require('pg')`,
 * `const { Client } = require('pg')`). Type-only imports do not count.
 */
import type { Collection, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { programOf, span, textOf, type Edit } from './imports.js';
import { isReference } from './pool-config.js';
import { deleteStatement } from './pool-text.js';

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

/** Drops pg imports (and requires) whose every use was a rewritten construction; `roots` are the names those constructions read. */
export function unusedPgImports(
  j: JSCodeshift,
  text: string,
  root: Collection,
  names: PgNames,
  roots: readonly (string | undefined)[],
): Edit[] {
  const rewritten = new Map<string, number>();
  for (const local of roots) if (local !== undefined) rewritten.set(local, (rewritten.get(local) ?? 0) + 1);
  const unused = new Set<string>();
  for (const [local, count] of rewritten) {
    const binding = names.bindings.get(local);
    if (binding === undefined) continue;
    const declaration = span(binding.declaration);
    let uses = 0;
    root.find(j.Identifier, { name: local }).forEach((path) => {
      const at = span(path.node).start;
      if (at >= declaration.start && at < declaration.end) return;
      if (isReference(path)) uses++;
    });
    if (uses === count) unused.add(local);
  }
  const edits: Edit[] = [];
  const statements = new Set([...unused].map((local) => names.bindings.get(local)!.declaration));
  for (const statement of statements) {
    if (statement.type === 'ImportDeclaration') {
      const specifiers = statement.specifiers ?? [];
      const kept = specifiers.filter((spec) => !unused.has(localName(spec)));
      if (kept.length === 0) {
        edits.push(deleteStatement(text, statement));
        continue;
      }
      const first = kept[0]!.type === 'ImportSpecifier' ? undefined : kept[0]!;
      const named = kept.filter((spec) => spec.type === 'ImportSpecifier');
      const clause = [
        first === undefined ? undefined : textOf(text, first),
        named.length === 0 ? undefined : `{ ${named.map((spec) => textOf(text, spec)).join(', ')} }`,
      ]
        .filter((part) => part !== undefined)
        .join(', ');
      edits.push({
        start:
          span(specifiers[0]).start -
          (text.slice(0, span(specifiers[0]).start).endsWith('{ ') ? 2 : text.slice(0, span(specifiers[0]).start).endsWith('{') ? 1 : 0),
        end: span(statement.source).start,
        text: `${clause} from `,
      });
    } else if (statement.type === 'VariableDeclaration') {
      const pattern = (statement.declarations[0] as K.VariableDeclaratorKind).id;
      if (pattern.type !== 'ObjectPattern') {
        edits.push(deleteStatement(text, statement));
        continue;
      }
      const kept = pattern.properties.filter((property) => !unused.has((property as { value?: { name?: string } }).value?.name ?? ''));
      if (kept.length === 0) edits.push(deleteStatement(text, statement));
      else
        edits.push({
          start: span(pattern).start,
          end: span(pattern).end,
          text: `{ ${kept.map((property) => textOf(text, property)).join(', ')} }`,
        });
    }
  }
  return edits;
}

function localName(spec: unknown): string {
  const name = (spec as { local?: { name?: unknown } | null }).local?.name;
  return typeof name === 'string' ? name : '';
}
