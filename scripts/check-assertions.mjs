#!/usr/bin/env node
// Every test asserts (`npm run lint`, and test/packages/assertions.test.ts): finds the `it` /
// `test` blocks of test/**/*.test.ts whose function never reaches an assertion, so a test that
// can only pass shows up in review instead of in production.
//
// An assertion is a call whose callee names `expect…` or `assert…` anywhere in its chain
// (`expect(x).toBe(1)`, `await expect(p).rejects.toThrow()`, `assert.equal`, `fc.assert`,
// `harness.expectFindings()`), or a call of a helper that reaches one: a function, arrow or
// method of the same file or of a module under test/ it imports, followed through any depth of
// helpers (product code is not followed: its argument checks are not a test's assertions). A test that asserts some other way (a helper that throws on failure, RuleTester
// cases) says so with a comment inside or just above it, with its reason:
//
//   // no-assertion: runTsc throws when the fixture does not type-check
//
// Prints each finding as file:line: message and exits 1 when there is one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Callee names that assert. */
const ASSERTING = /^(expect|assert)/;
/** The opt-out: `// no-assertion: <reason>` (a reason of at least two words). */
const OPT_OUT = /\/\/[^\S\n]*no-assertion:[^\S\n]*\S+[^\S\n]+\S+/;
/** Folders under test/ that hold inputs, not tests. */
const SKIPPED = new Set(['node_modules', 'corpus', 'fixture', 'fixtures']);

function* testFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* testFiles(path);
    else if (entry.name.endsWith('.test.ts')) yield path;
  }
}

/** Every name along a callee: `a.b(c).d` → ['a', 'b', 'd'] (calls in the chain are looked through). */
function calleeNames(node) {
  const names = [];
  for (let current = node; current !== undefined; ) {
    if (ts.isIdentifier(current)) {
      names.unshift(current.text);
      break;
    }
    if (ts.isPropertyAccessExpression(current)) {
      names.unshift(current.name.text);
      current = current.expression;
    } else if (
      ts.isCallExpression(current) ||
      ts.isNonNullExpression(current) ||
      ts.isParenthesizedExpression(current) ||
      ts.isAwaitExpression(current)
    ) {
      current = current.expression;
    } else if (ts.isElementAccessExpression(current)) {
      current = current.expression;
    } else break;
  }
  return names;
}

const isFunction = (node) =>
  ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node);

/** A parsed module: its named functions (by name; a name may have several bodies) and its relative imports. */
class Module {
  constructor(path, helpers) {
    this.path = path;
    this.text = readFileSync(path, 'utf8');
    this.source = ts.createSourceFile(path, this.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    /** @type {Map<string, ts.Node[]>} */
    this.functions = new Map();
    /** local name → { module path, imported name } */
    this.imports = new Map();
    /** Names imported from vitest that declare tests (`it`, `test`, or their aliases). */
    this.testNames = new Set();
    const add = (name, body) => {
      if (!this.functions.has(name)) this.functions.set(name, []);
      this.functions.get(name).push(body);
    };
    const visit = (node) => {
      if (ts.isFunctionDeclaration(node) && node.name !== undefined) add(node.name.text, node);
      else if (ts.isMethodDeclaration(node) && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name))) add(node.name.text, node);
      else if (
        (ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node)) &&
        node.name !== undefined &&
        (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name)) &&
        node.initializer !== undefined &&
        isFunction(node.initializer)
      ) {
        add(node.name.text, node.initializer);
      }
      ts.forEachChild(node, visit);
    };
    visit(this.source);
    for (const statement of this.source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const specifier = statement.moduleSpecifier.text;
      const bindings = statement.importClause?.namedBindings;
      if (specifier === 'vitest') {
        if (bindings !== undefined && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            const imported = (element.propertyName ?? element.name).text;
            if (imported === 'it' || imported === 'test') this.testNames.add(element.name.text);
          }
        }
        continue;
      }
      if (!specifier.startsWith('.')) continue;
      // Helpers are test code: product code's own argument checks (`assertSignal`) are not a test's assertions.
      const target = resolveModule(dirname(path), specifier);
      if (target === undefined || !target.startsWith(helpers + sep)) continue;
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements)
          this.imports.set(element.name.text, { path: target, name: (element.propertyName ?? element.name).text });
      }
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) this.imports.set(bindings.name.text, { path: target, name: '*' });
      if (statement.importClause?.name !== undefined) this.imports.set(statement.importClause.name.text, { path: target, name: 'default' });
    }
  }

  line(node) {
    return this.source.getLineAndCharacterOfPosition(node.getStart(this.source)).line + 1;
  }
}

function resolveModule(from, specifier) {
  const base = resolve(from, specifier);
  for (const candidate of [base.replace(/\.(m|c)?js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (/\.(m|c)?ts$/.test(candidate) && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Decides, with memory, whether a function body reaches an assertion. */
class Analysis {
  constructor(helpers) {
    this.helpers = helpers;
    this.modules = new Map();
    this.memo = new Map();
  }

  module(path) {
    if (!this.modules.has(path)) this.modules.set(path, new Module(path, this.helpers));
    return this.modules.get(path);
  }

  /** The bodies a call may run: same-file functions of that name, or what an import names. */
  targets(module, names) {
    const found = [];
    const [root] = names;
    const last = names.at(-1);
    const imported = module.imports.get(root);
    if (imported !== undefined) {
      const other = this.module(imported.path);
      // `helpers.check()` through a namespace import, `check()` through a named one.
      const wanted = imported.name === '*' ? last : imported.name;
      for (const body of other.functions.get(wanted) ?? []) found.push({ module: other, body });
      if (names.length > 1) for (const body of other.functions.get(last) ?? []) found.push({ module: other, body });
    }
    for (const body of module.functions.get(last) ?? []) found.push({ module, body });
    // A method of a class or object imported from a relative module (`meter.collect()`).
    if (names.length > 1) {
      for (const { path } of module.imports.values())
        for (const body of this.module(path).functions.get(last) ?? []) found.push({ module: this.module(path), body });
    }
    return found;
  }

  asserts(module, body) {
    const key = body;
    if (this.memo.has(key)) return this.memo.get(key);
    this.memo.set(key, false); // a cycle asserts only through some other path
    let result = false;
    const visit = (node) => {
      if (result) return;
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const names = calleeNames(node.expression);
        if (names.some((name) => ASSERTING.test(name))) {
          result = true;
          return;
        }
        if (
          names.length > 0 &&
          this.targets(module, names).some((target) => target.body !== body && this.asserts(target.module, target.body))
        ) {
          result = true;
          return;
        }
      }
      // A function passed by name (`it('x', check)`, `items.forEach(check)`).
      if (ts.isIdentifier(node) && ts.isCallExpression(node.parent) && node.parent.arguments.includes(node)) {
        if (this.targets(module, [node.text]).some((target) => target.body !== body && this.asserts(target.module, target.body))) {
          result = true;
          return;
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(body);
    this.memo.set(key, result);
    return result;
  }
}

/** The `it(...)` / `test(...)` calls of a module, with the function each runs. */
function* tests(module) {
  if (module.testNames.size === 0) return;
  const visit = function* (node) {
    if (ts.isCallExpression(node)) {
      const names = calleeNames(node.expression);
      // `.todo` has no body and `.skip` never runs its own: neither passes by asserting nothing.
      if (names.length > 0 && module.testNames.has(names[0]) && !names.includes('todo') && !names.includes('skip')) {
        const rest = node.arguments.slice(1);
        const fn = rest.find((argument) => isFunction(argument)) ?? rest.findLast((argument) => ts.isIdentifier(argument));
        if (fn !== undefined) {
          yield {
            call: node,
            fn,
            name: ts.isStringLiteralLike(node.arguments[0]) ? node.arguments[0].text : node.arguments[0]?.getText(module.source),
          };
          return;
        }
      }
    }
    for (const child of node.getChildren(module.source)) yield* visit(child);
  };
  yield* visit(module.source);
}

/** The statement a test call stands in, with its leading comments. */
function optedOut(module, call) {
  let statement = call;
  while (statement.parent !== undefined && !ts.isExpressionStatement(statement) && !ts.isSourceFile(statement.parent))
    statement = statement.parent;
  return OPT_OUT.test(module.text.slice(statement.getFullStart(), statement.getEnd()));
}

/** Every test of `files` (default: test/**\/*.test.ts under root) that never asserts: { file, line, message }. */
export function findUnassertedTests(root, files = [...testFiles(join(root, 'test'))]) {
  const analysis = new Analysis(join(root, 'test'));
  const problems = [];
  for (const file of files) {
    const module = analysis.module(resolve(file));
    for (const { call, fn, name } of tests(module)) {
      const asserts = ts.isIdentifier(fn)
        ? analysis.targets(module, [fn.text]).some((target) => analysis.asserts(target.module, target.body))
        : analysis.asserts(module, fn);
      if (asserts || optedOut(module, call)) continue;
      problems.push({
        file: relative(root, module.path),
        line: module.line(call),
        message: `test ${JSON.stringify(name)} asserts nothing: add an expect/assert, or a \`// no-assertion: <reason>\` comment`,
      });
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files = [...testFiles(join(root, 'test'))];
  const problems = findUnassertedTests(root, files);
  for (const problem of problems) process.stderr.write(`${problem.file}:${problem.line}: ${problem.message}\n`);
  if (problems.length > 0) process.exitCode = 1;
  else process.stdout.write(`test assertions: ${files.length} test files, every test asserts\n`);
}
