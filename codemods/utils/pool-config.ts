/**
 * What pool-connections needs to know about a construction's config, and the AST helpers the
 * transform and this file share: the shared pool it calls for (name from the connection
 * string's environment variable or the policy, `min` / `max` from the policy), and whether the
 * config depends on the call (then it cannot be shared).
 */
import type { ASTPath, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import type { Policy } from '@bounded/policy';
import { findProperty, hasHiddenKeys, span, textOf } from './imports.js';
import type { PgClass } from './pool-pg.js';
import { indentAt } from './pool-text.js';
import { lineEndOf } from './text-edits.js';

type Node = K.NodeKind;

/** Why a site is left alone; reported with its position. */
export class Refusal {
  constructor(readonly reason: string) {}
}

/** A shared pool the file needs: its name, its config as source, and how calls reach it. */
export interface PoolNeed {
  readonly name: string;
  /** Normalized source of the original config, to tell two configs apart. */
  readonly key: string;
  /** `{ …, min, max }` as it goes into `getPool(name, …)`; undefined for none. */
  readonly config: string | undefined;
}

/** Environment variables that name the service's main database. */
const MAIN_ENV = new Set([
  'DATABASE_URL',
  'DB_URL',
  'PG_URL',
  'PGURL',
  'POSTGRES_URL',
  'POSTGRESQL_URL',
  'DATABASE_URI',
  'PG_CONNECTION_STRING',
]);

/** Whether an Identifier path is a reference (not a property name, key or label). */
export function isReference(path: ASTPath<K.IdentifierKind>): boolean {
  const parent = (path.parent as ASTPath | null)?.node as (Node & Record<string, unknown>) | undefined;
  if (parent === undefined) return true;
  const node = path.node;
  if (
    (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') &&
    parent.property === node &&
    parent.computed !== true
  )
    return false;
  if ('key' in parent && parent.key === node && parent.computed !== true && (parent as { shorthand?: boolean }).shorthand !== true)
    return false;
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  if (parent.type === 'TSQualifiedName' && parent.right === node) return false;
  if (parent.type === 'ImportSpecifier' || parent.type === 'ExportSpecifier') return false;
  return true;
}

/** The string value of a literal SQL argument (string or template without substitutions). */
export function sqlText(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.type === 'StringLiteral' || (node.type === 'Literal' && typeof (node as { value?: unknown }).value === 'string'))
    return (node as { value: string }).value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0)
    return node.quasis.map((quasi) => quasi.value.cooked ?? quasi.value.raw).join('');
  return undefined;
}

/** The pool a construction's config calls for; a config built from values of the call is refused. */
// eslint-disable-next-line max-lines-per-function -- one walk over the pool config's properties, each property's refusal next to the value it reads
export function poolNeed(
  j: JSCodeshift,
  text: string,
  path: ASTPath<K.NewExpressionKind>,
  kind: PgClass,
  policy: Policy,
): PoolNeed | Refusal {
  const args = path.node.arguments;
  if (args.length > 1) return new Refusal('the constructor takes more than one argument');
  const config = args[0];
  if (config?.type === 'SpreadElement') return new Refusal('the config is spread into the constructor');
  let envVar: string | undefined;
  let local: string | undefined;
  if (config !== undefined) {
    const configPath = path.get('arguments', 0) as ASTPath;
    j(configPath)
      .find(j.Identifier)
      .forEach((ref) => {
        if (local !== undefined || !isReference(ref)) return;
        const scope = (ref.scope as { lookup(name: string): { isGlobal: boolean } | null } | null)?.lookup(ref.node.name);
        if (scope != null && !scope.isGlobal) local = ref.node.name;
      });
    if (local !== undefined)
      return new Refusal(`the connection config uses \`${local}\`, a value of this call; one shared pool needs one config for every call`);
    const dynamic = j(configPath)
      .find(j.Node)
      .filter((p) => ['ThisExpression', 'AwaitExpression', 'YieldExpression'].includes(p.node.type));
    if (dynamic.length > 0 || ['ThisExpression', 'AwaitExpression'].includes(config.type))
      return new Refusal('the connection config reads `this` or awaits; one shared pool needs one config for every call');
  }
  const envOf = (node: Node | undefined): string | undefined => {
    if (node?.type !== 'MemberExpression') return undefined;
    const object = node.object;
    if (
      object.type !== 'MemberExpression' ||
      object.computed ||
      object.object.type !== 'Identifier' ||
      object.object.name !== 'process' ||
      object.property.type !== 'Identifier' ||
      object.property.name !== 'env'
    )
      return undefined;
    if (!node.computed && node.property.type === 'Identifier') return node.property.name;
    return sqlText(node.property);
  };

  const policyPool = (name: string) => policy.pools[name];
  let configText: (name: string) => string | undefined;
  const statementIndent = indentAt(text, span(config ?? path.node).start);
  const dedent = (source: string): string =>
    source
      .split('\n')
      .map((line, i) => (i > 0 && line.startsWith(statementIndent) ? line.slice(statementIndent.length) : line))
      .join('\n');
  const limits = (name: string) => ({
    min: policyPool(name)?.min ?? policy.defaults.pool.min,
    max: policyPool(name)?.max ?? policy.defaults.pool.max,
  });

  if (config === undefined) {
    configText = (name) => `{ min: ${limits(name).min}, max: ${limits(name).max} }`;
  } else if (config.type === 'ObjectExpression') {
    const connection = findProperty(config, 'connectionString');
    envVar =
      connection?.type === 'ObjectProperty' || connection?.type === 'Property'
        ? envOf((connection as K.ObjectPropertyKind).value)
        : undefined;
    const hidden = hasHiddenKeys(config);
    const ownMax = findProperty(config, 'max');
    const ownMin = findProperty(config, 'min');
    configText = (name) => {
      const { min, max } = limits(name);
      const add: string[] = [];
      if (kind === 'Client' || (!hidden && ownMax === undefined && ownMin === undefined)) {
        add.push(`min: ${min}`, `max: ${max}`);
      } else if (!hidden && ownMin === undefined && ownMax !== undefined) {
        const value = (ownMax as K.ObjectPropertyKind).value as Node;
        const literal =
          value.type === 'NumericLiteral' || (value.type === 'Literal' && typeof (value as { value?: unknown }).value === 'number')
            ? (value as { value: number }).value
            : undefined;
        if (literal !== undefined) add.push(`min: ${Math.min(min, literal)}`);
      }
      const source = textOf(text, config);
      if (add.length === 0) return dedent(source);
      if (config.properties.length === 0) return `{ ${add.join(', ')} }`;
      const last = config.properties.at(-1)!;
      const lastEnd = span(last).end - span(config).start;
      const multiline = source.slice(lastEnd).includes('\n');
      if (!multiline) return dedent(`${source.slice(0, lastEnd)}, ${add.join(', ')}${source.slice(lastEnd)}`);
      const lineEnd = lineEndOf(source, lastEnd);
      const propertyIndent = indentAt(text, span(last).start);
      const trailing = /^\s*,/.test(source.slice(lastEnd));
      const added = add.map((part) => `\n${propertyIndent}${part},`).join('');
      const head = trailing ? source.slice(0, lineEnd) : `${source.slice(0, lastEnd)},${source.slice(lastEnd, lineEnd)}`;
      return dedent(`${head}${trailing ? added : added.slice(0, -1)}${source.slice(lineEnd)}`);
    };
  } else {
    const source = textOf(text, config);
    const env = envOf(config);
    const stringy =
      env !== undefined ||
      config.type === 'StringLiteral' ||
      config.type === 'TemplateLiteral' ||
      (config.type === 'Identifier' && /(?:url|uri|dsn|connectionstring)$/i.test(config.name));
    const objecty =
      (config.type === 'Identifier' || config.type === 'MemberExpression') && /(?:config|options|opts|cfg|settings|params)$/i.test(source);
    if (!stringy && !objecty) return new Refusal(`cannot tell whether \`${source}\` is a connection string or a config object`);
    envVar = env;
    if (stringy) configText = (name) => `{ connectionString: ${source}, min: ${limits(name).min}, max: ${limits(name).max} }`;
    else if (kind === 'Pool') configText = () => source;
    else configText = (name) => `{ ...${source}, min: ${limits(name).min}, max: ${limits(name).max} }`;
  }

  let name = 'main';
  if (envVar !== undefined) {
    const named = Object.entries(policy.pools).find(([, pool]) => pool.connectionStringRef === `env:${envVar}`)?.[0];
    if (named !== undefined) name = named;
    else if (!MAIN_ENV.has(envVar)) {
      const slug = envVar
        .replace(/_?(?:DATABASE_URL|DATABASE_URI|DB_URL|PG_URL|POSTGRES_URL|CONNECTION_STRING|URL|URI|DSN)$/i, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
      if (/^[a-z][a-z0-9-]*$/.test(slug)) name = slug;
    }
  }
  const key = config === undefined ? '' : textOf(text, config).replace(/\s+/g, ' ');
  return { name, key, config: configText(name) };
}
