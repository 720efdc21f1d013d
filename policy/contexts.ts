import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import {
  BROWSER_DIRECTIVES,
  BROWSER_MODULES,
  CLI_PACKAGES,
  CONTEXT_FILES,
  DOM_GLOBALS,
  FULL_STACK_FRAMEWORKS,
  GENERATED_HEADERS,
  MINIFIED,
  SCRIPT_RUNNERS,
  SERVER_PACKAGES,
  SERVER_RENDERING_MODULES,
  SERVER_SEGMENT,
  TEST_FRAMEWORKS,
  UI_FRAMEWORKS,
  UI_PACKAGES,
  UI_PACKAGE_PREFIXES,
  type CodeContext,
} from './catalog/contexts.js';
import { CONNECTIONS } from './catalog/connections.js';
import { PROVIDER_APIS } from './catalog/providers.js';
import { globMatcher } from './glob.js';
import type { Policy } from './load.js';

/**
 * Where a file's code runs — request-serving code, a test, a build script or CLI, browser
 * code, vendored or generated code — from its path, its first lines and its package.json,
 * with the catalog's patterns (policy/catalog/contexts.ts) and the policy's `lint.contexts`.
 * The one place this is decided: the rules (through eslint-plugin-bounded's `ruleRunsHere`) and `bounded check`
 * (which skips vendored and generated files and prints `--list-contexts`) both ask here.
 */

export interface ContextMatch {
  readonly context: CodeContext;
  /** Why: the pattern, marker or package.json field that placed the file here. */
  readonly reason: string;
}

export interface FileContexts {
  /** Every context the file is in; `service` alone when nothing placed it elsewhere. */
  readonly matches: readonly ContextMatch[];
  /** Rules that do not run on the file (names without `bounded/`), or `all`. */
  readonly skip: ReadonlySet<string>;
}

/** Node.js built-ins, for "imports no Node.js module". */
const NODE_BUILTIN =
  /^(?:node:|(?:fs|fs\/promises|path|os|child_process|http|https|http2|net|tls|dgram|dns|cluster|worker_threads|crypto|zlib|stream|readline|v8|vm|process)$)/;
/** `import … from 'm'`, `import 'm'`, `export … from 'm'` at the start of a line; `require('m')` and `import('m')` anywhere. */
const IMPORTS =
  /(?:^[ \t]*import\s[^'";]*?\bfrom\s*|^[ \t]*import\s*|^[ \t]*export\s[^'";]*?\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"\n]+)['"]/gm;
const ASSET = /\.(?:css|scss|sass|less|svg|png|jpe?g|gif|webp|ico|woff2?)$/;

/**
 * Classifies `file` (absolute) whose text is `text`. Globs are matched on the path relative
 * to `base` — the policy file's folder, else the working directory — or, for a file outside
 * it, relative to its package's folder.
 */
export function classifyFile(file: string, text: string, policy: Policy, base: string): FileContexts {
  const contexts = policy.lint.contexts;
  const pkg = nearestPackage(dirname(file));
  const path = pathFrom(file, base, pkg?.dir);
  const forced = firstGlob(path, contexts.service.files);
  if (forced !== undefined)
    return { matches: [{ context: 'service', reason: `policy lint.contexts.service.files: ${forced}` }], skip: new Set() };

  const matches: ContextMatch[] = [];
  const add = (context: CodeContext, reason: string | undefined): void => {
    if (reason !== undefined && !matches.some((match) => match.context === context)) matches.push({ context, reason });
  };
  const glob = (context: Exclude<CodeContext, 'service'>): string | undefined => {
    const fromPolicy = firstGlob(path, contexts[context].files);
    if (fromPolicy !== undefined) return `policy lint.contexts.${context}.files: ${fromPolicy}`;
    const fromCatalog = firstGlob(path, CONTEXT_FILES[context]);
    return fromCatalog === undefined ? undefined : `path matches ${fromCatalog}`;
  };

  add('vendored', glob('vendored'));
  add('generated', glob('generated') ?? generatedHeader(text) ?? minified(text));
  add('test', glob('test') ?? testFramework(text));
  add(
    'script',
    glob('script') ?? (text.startsWith('#!') ? 'shebang' : undefined) ?? binEntry(file, pkg) ?? scriptEntry(file, pkg) ?? cliPackage(pkg),
  );
  add('example', glob('example'));
  add('browser', browser(file, path, text, pkg) ?? glob('browser'));
  if (matches.length === 0) matches.push({ context: 'service', reason: 'default: no pattern or marker of another context' });

  const skip = new Set<string>();
  for (const match of matches) if (match.context !== 'service') for (const rule of contexts[match.context].skip) skip.add(rule);
  return { matches, skip };
}

/** True when the rule (its name without `bounded/`) runs on a file of these contexts. */
export function runsOn(rule: string, contexts: FileContexts): boolean {
  return !contexts.skip.has('all') && !contexts.skip.has(rule);
}

function pathFrom(file: string, base: string, packageDir: string | undefined): string {
  const fromBase = relative(base, file);
  const inside = !fromBase.startsWith('..') && !isAbsolute(fromBase);
  return (inside || packageDir === undefined ? fromBase : relative(packageDir, file)).split(sep).join('/');
}

function firstGlob(path: string, patterns: readonly string[]): string | undefined {
  if (path.startsWith('../')) return undefined;
  return patterns.find((pattern) => globMatcher(pattern).test(path));
}

/** The generated-file marker in the file's leading comments, if any. */
function generatedHeader(text: string): string | undefined {
  const header = /^(?:#![^\n]*\n)?(?:\s*(?:\/\/[^\n]*|\/\*[\s\S]*?\*\/))*/.exec(text.slice(0, 4_000))?.[0] ?? '';
  const marker = GENERATED_HEADERS.map((pattern) => pattern.exec(header)?.[0]).find((found) => found !== undefined);
  return marker === undefined ? undefined : `generated-file header: ${marker}`;
}

function minified(text: string): string | undefined {
  if (text.length < MINIFIED.longLine) return undefined;
  let longest = 0;
  let lines = 0;
  for (let start = 0; start <= text.length; lines++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    longest = Math.max(longest, end - start);
    start = end + 1;
  }
  if (longest < MINIFIED.longLine || text.length / lines < MINIFIED.averageLine) return undefined;
  return `minified: a line of ${longest} characters`;
}

/** A module that imports a test framework (`vitest`, `node:test`, `@playwright/test`…) is a test, wherever it lives. */
function testFramework(text: string): string | undefined {
  const framework = importsOf(text).find(
    (specifier) => TEST_FRAMEWORKS.includes(specifier) || TEST_FRAMEWORKS.includes(`node:${specifier}`),
  );
  return framework === undefined ? undefined : `imports ${framework}`;
}

function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORTS)].map((match) => match[1]!);
}

function isUiModule(specifier: string): boolean {
  if (SERVER_RENDERING_MODULES.includes(specifier)) return false;
  return UI_PACKAGES.includes(specifier) || UI_PACKAGE_PREFIXES.some((prefix) => specifier.startsWith(prefix));
}

/** Why the file is browser code, if it is. `path` is the file's path as globs see it. */
function browser(file: string, path: string, text: string, pkg: PackageInfo | undefined): string | undefined {
  const directive = /^(?:#![^\n]*\n)?(?:\s*(?:\/\/[^\n]*|\/\*[\s\S]*?\*\/))*\s*(['"])([^'"\n]+)\1/.exec(text.slice(0, 4_000))?.[2];
  if (directive !== undefined && BROWSER_DIRECTIVES.includes(directive)) return `'${directive}' directive`;
  const imports = importsOf(text);
  // Under a server/ or api/ folder, react-dom and DOM globals are server-side rendering and jsdom.
  const serverDir = SERVER_SEGMENT.test(path.slice(0, path.lastIndexOf('/') + 1));
  const dom = serverDir ? undefined : imports.find((specifier) => BROWSER_MODULES.includes(specifier));
  if (dom !== undefined) return `imports ${dom}`;
  const packages = imports.filter((specifier) => !specifier.startsWith('.') && !ASSET.test(specifier));
  const node = packages.some((specifier) => NODE_BUILTIN.test(specifier));
  if (!node && !serverDir) {
    const global = DOM_GLOBALS.exec(text)?.[0];
    if (global !== undefined) return `uses ${global}`;
  }
  const fullStack = pkg?.dependencies.find((name) => SERVER_PACKAGES.includes(name));
  // Server components of a full-stack framework import React too: there, only the markers above say browser.
  if (!node && fullStack === undefined && packages.length > 0 && packages.every(isUiModule))
    return `imports only UI libraries (${packages[0]})`;
  const component = !node && !serverDir ? reactComponent(file, text, imports, pkg) : undefined;
  if (component !== undefined) return component;
  if (pkg === undefined) return undefined;
  if (pkg.browser.some((entry) => sameModule(entry, file, pkg.dir))) return `named in its package.json's browser field`;
  const ui = pkg.dependencies.find((name) => UI_FRAMEWORKS.includes(name));
  const server = pkg.dependencies.find((name) => SERVER_PACKAGES.includes(name));
  if (ui !== undefined && server === undefined) return `UI package: its package.json depends on ${ui} and no server package`;
  return undefined;
}

/**
 * A React (or other UI) module outside a full-stack framework: a .tsx/.jsx file that imports a
 * UI library or holds JSX, or another module that imports a UI library (a hook), and that
 * imports nothing of a server's (no Node.js module and is under no `server/` or `api/` folder —
 * the caller checked —, no server package, no `server/` or `api/` import). Outline's `app/` and
 * a Vite SPA next to an Express server are this; the email templates a server renders with
 * react-dom/server (under `server/`, importing `@server/…`) are not.
 */
/** Database drivers and ORMs, and model-provider SDKs (they hold server secrets): a module importing one is a server's. */
const SERVER_SIDE_MODULES: ReadonlySet<string> = new Set([
  ...CONNECTIONS.flatMap((entry) => entry.modules),
  ...PROVIDER_APIS.filter((api) => api.kind === 'sdk').flatMap((api) =>
    api.modules.filter((module): module is string => typeof module === 'string'),
  ),
]);

function reactComponent(file: string, text: string, imports: readonly string[], pkg: PackageInfo | undefined): string | undefined {
  if (pkg?.dependencies.some((name) => FULL_STACK_FRAMEWORKS.includes(name))) return undefined;
  const jsx = /\.[jt]sx$/.test(file);
  // A database driver, an ORM or a provider SDK is a server's too: a component using one renders on the server.
  const serverImport = imports.some(
    (specifier) =>
      SERVER_PACKAGES.includes(specifier) ||
      SERVER_RENDERING_MODULES.includes(specifier) ||
      SERVER_SEGMENT.test(specifier) ||
      SERVER_SIDE_MODULES.has(specifier),
  );
  if (serverImport) return undefined;
  const ui = imports.find((specifier) => !specifier.startsWith('.') && isUiModule(specifier));
  if (ui !== undefined) return `UI module: imports ${ui} and nothing of a server's`;
  return jsx && /<\/[A-Za-z]|\/>/.test(text) ? "UI module: JSX and no import of a server's" : undefined;
}

/**
 * The file is run by one of its package.json's scripts (`"build": "node ./build.js"`, `"make":
 * "tsx src/cli.ts"`).
 */
function scriptEntry(file: string, pkg: PackageInfo | undefined): string | undefined {
  if (pkg === undefined) return undefined;
  const own = relative(pkg.dir, file).split(sep).join('/');
  for (const [name, command] of pkg.scripts) {
    const words = command.split(/\s+|&&|\|\||;/).filter((word) => word !== '');
    for (let index = 1; index < words.length; index++) {
      const runner = words[index - 1]!;
      const word = words[index]!.replace(/^\.\//, '');
      if (SCRIPT_RUNNERS.includes(runner) && word === own) return `package.json script "${name}" runs it`;
    }
  }
  return undefined;
}

/** A CLI tool's package: depends on a command-line framework, exports nothing and serves nothing. */
function cliPackage(pkg: PackageInfo | undefined): string | undefined {
  if (pkg === undefined || pkg.exportsCode) return undefined;
  const cli = pkg.dependencies.find((name) => CLI_PACKAGES.includes(name));
  if (cli === undefined || pkg.dependencies.some((name) => SERVER_PACKAGES.includes(name))) return undefined;
  return `CLI package: its package.json depends on ${cli}, exports nothing and depends on no server package`;
}

function binEntry(file: string, pkg: PackageInfo | undefined): string | undefined {
  const entry = pkg?.bin.find((bin) => sameModule(bin, file, pkg.dir));
  return entry === undefined ? undefined : `package.json bin: ${entry}`;
}

/**
 * True when a package.json path (`./dist/cli.js`) names `file`: the same path, or the same
 * module before the build (`src/cli.ts` for `dist/cli.js`).
 */
function sameModule(entry: string, file: string, dir: string): boolean {
  const normal = (path: string): string =>
    path
      .replace(/^\.\//, '')
      .replace(/\.(?:[cm]?[jt]sx?)$/, '')
      .replace(/^(?:dist|build|lib|out|src)\//, '');
  return normal(entry) === normal(relative(dir, file).split(sep).join('/'));
}

interface PackageInfo {
  readonly dir: string;
  readonly bin: readonly string[];
  readonly browser: readonly string[];
  /** dependencies and peerDependencies (what the code runs with), not devDependencies. */
  readonly dependencies: readonly string[];
  /** `scripts` as [name, command]. */
  readonly scripts: readonly (readonly [string, string])[];
  /** It has a main, module or exports field: other code imports it. */
  readonly exportsCode: boolean;
}

const packages = new Map<string, PackageInfo | null>();

/** The package.json nearest above `dir` (cached per folder). */
function nearestPackage(dir: string): PackageInfo | undefined {
  const cached = packages.get(dir);
  if (cached !== undefined) return cached ?? undefined;
  let found: PackageInfo | null;
  try {
    const file = join(dir, 'package.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const strings = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : typeof value === 'object' && value !== null
          ? Object.values(value).filter((v): v is string => typeof v === 'string')
          : [];
    const browserField = json.browser;
    const browserEntries = [
      ...strings(browserField),
      ...(typeof browserField === 'object' && browserField !== null ? Object.keys(browserField).filter((key) => key.startsWith('.')) : []),
    ];
    found = {
      dir,
      bin: strings(json.bin),
      browser: browserEntries,
      dependencies: [...Object.keys(objectOf(json.dependencies)), ...Object.keys(objectOf(json.peerDependencies))],
      scripts: Object.entries(objectOf(json.scripts)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      exportsCode: json.main !== undefined || json.module !== undefined || json.exports !== undefined,
    };
  } catch {
    const parent = dirname(dir);
    found = parent === dir ? null : (nearestPackage(parent) ?? null);
  }
  packages.set(dir, found);
  return found ?? undefined;
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Forget cached package.json files (tests, and editors after one changed). */
export function clearContextCache(): void {
  packages.clear();
}
