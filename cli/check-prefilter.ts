/**
 * The text test of `bounded check`: a file whose text holds nothing any loaded rule acts on
 * is not parsed at all. Most files of a codebase import no provider, HTTP client, database
 * or blocking module and start no fan-out; parsing them (the bulk of a lint run) finds
 * nothing.
 *
 * Per rule, text that every file it can report on contains, read off what the rule keys on
 * (its catalog entries in @bounded/policy, the policy's `lint` additions, the project files
 * the index records); a rule with no entry here makes every file a candidate, so a new rule
 * is correct before it is fast. Without type information only: with it, a client's type may
 * come from another module, with nothing in the file's text to show it.
 *
 * Soundness matters more than precision: test/cli/check-prefilter.test.ts lints the test
 * fixtures, the labelled corpus and a slice of node_modules with and without this test and
 * expects the same findings.
 */
import { dirname, isAbsolute, join } from 'node:path';
import {
  BLOCKING_CALLS,
  CHECKOUTS,
  CONNECTIONS,
  HTTP_CLIENTS,
  PROMISE_APIS,
  PROMISE_TWIN_MODULES,
  PROVIDER_APIS,
  PROVIDER_MODULE_TEXT,
  THREAD_STARTERS,
  loadPolicy,
  parseBlockingCall,
  resolvePolicyPath,
  type Policy,
} from '@bounded/policy';
import { resolveImportPath } from 'eslint-plugin-bounded';
import { withoutCommentLines } from './migrate-prefilter.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Spaces and comments between two tokens. */
const GAP = String.raw`(?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*`;

/**
 * An import or require of one of `modules`, named exactly as the rules match it; a name that
 * ends in `/` is a family prefix (`@langchain/`).
 */
function quoted(modules: readonly string[]): RegExp | undefined {
  const names = [...new Set(modules)].filter((module) => module !== '');
  const exact = names.filter((name) => !name.endsWith('/')).map(escape);
  const prefixes = names.filter((name) => name.endsWith('/')).map(escape);
  const forms = [
    ...(exact.length === 0 ? [] : [`(?:${exact.join('|')})['"]`]),
    ...(prefixes.length === 0 ? [] : [`(?:${prefixes.join('|')})`]),
  ];
  return forms.length === 0 ? undefined : new RegExp(`['"](?:node:)?(?:${forms.join('|')})`);
}

function words(names: readonly string[]): RegExp | undefined {
  const unique = [...new Set(names)].filter((name) => name !== '');
  return unique.length === 0 ? undefined : new RegExp(`\\b(?:${unique.map(escape).join('|')})\\b`);
}

/** `Promise.all(`, `Promise.race(` … on the global Promise (no-unbounded-concurrency). */
const COMBINATOR = new RegExp(`\\bPromise(?:${GAP}\\))*${GAP}\\??\\.${GAP}(?:all|allSettled|any|race)\\b`);
/** `xs.forEach(`, `xs?.map<T>(`: a call of an array method that drops its callbacks' promises. */
const DROPPING_CALL = String.raw`\.${GAP}(?:forEach|map|flatMap)${GAP}(?:\?\.${GAP})?`;
/**
 * Its callback is an async function: written in place (`xs.map(async (x) => …)`, also in
 * parentheses or under a type assertion), or named (`xs.forEach(handle)`: declared async in
 * the file, so the file says `async`). Type arguments the simple form cannot skip, and `<T>fn`
 * assertions, count as either.
 */
const DROPPED = [
  new RegExp(`${DROPPING_CALL}(?:<[^(]*>${GAP})?\\((?:${GAP}\\()*${GAP}async\\b`),
  new RegExp(`${DROPPING_CALL}(?:<[^(]*>${GAP})?\\(${GAP}[\\w$]+${GAP}(?:[,)!]|as\\b|satisfies\\b)`),
  new RegExp(`${DROPPING_CALL}(?:<[^>]*\\(|(?:<[^(]*>${GAP})?\\((?:${GAP}\\()*${GAP}<)`),
];
const ASYNC = /\basync\b/;

const NAME = String.raw`[A-Za-z_$][\w$]*`;
/** `async function name`, `name = async …`: the file's async functions (AsyncNames in the rule). */
const ASYNC_FUNCTION = new RegExp(String.raw`\basync\s+function\s*\*?\s*(${NAME})|(${NAME})\s*=\s*async\b`, 'g');
/** `async name(` at a member's start: a class's async method. */
const ASYNC_METHOD = new RegExp(
  String.raw`^\s*(?:(?:public|private|protected|static|override|readonly)\s+)*async\s+\*?\s*(${NAME})\s*[(<]`,
  'gm',
);

/**
 * True when the file calls one of its own async functions (`name(`, not where it is declared) or
 * async methods (`this.name(`): the only untyped way the background rule knows a floating call of
 * the file's own code returns a promise. A file that merely says `async` is not enough.
 */
function callsOwnAsync(text: string): boolean {
  if (!ASYNC.test(text)) return false;
  const escapeName = (name: string): string => name.replace(/\$/g, '\\$');
  for (const match of text.matchAll(ASYNC_FUNCTION)) {
    const name = escapeName(match[1] ?? match[2]!);
    if (new RegExp(String.raw`(?<!function\s*\*?\s*)(?<![\w$.])${name}\s*(?:\?\.\s*)?(?:<[^>]*>\s*)?\(`).test(text)) return true;
  }
  for (const match of text.matchAll(ASYNC_METHOD)) {
    if (new RegExp(String.raw`\bthis\s*\.\s*${escapeName(match[1]!)}\s*(?:<[^>]*>\s*)?\(`).test(text)) return true;
  }
  return false;
}
/** require-release's acquisitions: the catalog's checkouts (`pool.connect()`), and semaphores' `acquire` / `tryAcquire`. */
const ACQUISITION = new RegExp(
  `\\.${GAP}(?:${[...new Set([...CHECKOUTS.map((checkout) => checkout.method), 'acquire', 'tryAcquire'])].join('|')})\\b`,
);
/** A call of `fetch` (the global, `globalThis.fetch`; `fetch?.(…)`, `fetch<T>(…)`). */
const FETCH = new RegExp(`\\bfetch${GAP}(?:\\?\\.${GAP})?[(<]`);

/**
 * A client received under its conventional name with a request path of two segments or more below
 * it (`openai.files.del(`; the SDKs' request paths are that deep, `openai.com/v1` is not):
 * the provider rule knows it without an import (the catalog's `receivedNames`).
 */
const RECEIVED_CLIENT = new RegExp(
  `\\b(?:${PROVIDER_APIS.flatMap((api) => (api.receivedNames === undefined ? [] : [api.receivedNames.source.replace(/^\^|\$$/g, '')])).join('|')})${GAP}\\??\\.${GAP}[\\w$]+${GAP}\\??\\.${GAP}[\\w$]+`,
);

/** The catalog's library fan-outs by method or function name (`batch`, `embedDocuments`, `embedMany`). */
const LIBRARY_FAN_OUT = words(PROVIDER_APIS.flatMap((api) => Object.keys(api.fanOuts ?? {})));

/** The modules and globals a policy's `lint` section adds, and the project files it names. */
interface PolicyText {
  readonly providers: readonly string[];
  readonly httpClients: readonly string[];
  readonly connections: readonly string[];
  readonly blockingModules: readonly string[];
  readonly blockingGlobals: readonly string[];
  /** Project files the policy names (`./src/llm.ts`), resolved from its folder. */
  readonly files: readonly string[];
}

function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' || isAbsolute(specifier);
}

function policyText(policy: Policy): PolicyText {
  const files: string[] = [];
  const packages = (modules: readonly string[]): string[] => {
    const names: string[] = [];
    for (const module of modules) {
      if (!isPathSpecifier(module)) names.push(module);
      else {
        // As the rules resolve it (policyModuleKey): from the policy's folder.
        const file = resolveImportPath(module, policy.source ?? join(process.cwd(), 'bounded.policy.yaml'));
        if (file !== undefined) files.push(file);
      }
    }
    return names;
  };
  const blocking = policy.lint.blockingCalls.map(parseBlockingCall);
  return {
    providers: packages(policy.lint.providers.map((entry) => entry.module)),
    httpClients: packages(policy.lint.httpClients.map((entry) => entry.module)),
    connections: packages(policy.lint.connections.map((entry) => entry.module)),
    blockingModules: blocking.flatMap((entry) => (entry.module === undefined ? [] : [entry.module])),
    // A listed name may also be matched as written (`config.loadSync`): its first segment is in the text.
    blockingGlobals: policy.lint.blockingCalls.map((entry) => entry.split('.')[0]!),
    files,
  };
}

type Test = (text: string) => boolean;

function anyOf(...patterns: (RegExp | Test | undefined)[]): Test {
  const defined = patterns.filter((pattern): pattern is RegExp | Test => pattern !== undefined);
  return (text) => defined.some((pattern) => (typeof pattern === 'function' ? pattern(text) : pattern.test(text)));
}

/** Per rule (id without `bounded/`), a test every file it reports on passes; imports of indexed files are checked for every rule. */
function ruleTests(policy: Policy): Readonly<Record<string, Test>> {
  const extra = policyText(policy);
  const connections = quoted([...CONNECTIONS.flatMap((entry) => entry.modules), ...extra.connections]);
  const requests = quoted([
    ...HTTP_CLIENTS.flatMap((client) => client.modules),
    ...PROVIDER_MODULE_TEXT,
    ...extra.httpClients,
    ...extra.providers,
  ]);
  return {
    // …or a library call that fans out inside the library (`model.batch(`, `embedMany(`: the catalog's fanOuts).
    'no-unbounded-concurrency': (text) =>
      COMBINATOR.test(text) || (ASYNC.test(text) && DROPPED.some((pattern) => pattern.test(text))) || LIBRARY_FAN_OUT?.test(text) === true,
    'no-sync-io-in-async': anyOf(
      quoted([...BLOCKING_CALLS.flatMap((entry) => (entry.module === undefined ? [] : [entry.module])), ...extra.blockingModules]),
      words([
        ...BLOCKING_CALLS.filter((entry) => entry.module === undefined).map((entry) => entry.name.split('.')[0]!),
        ...extra.blockingGlobals,
      ]),
    ),
    'require-release': anyOf(ACQUISITION, connections),
    'no-per-call-connection': anyOf(connections),
    // Requests: the global fetch or an HTTP client; the SDKs' own deadlines; provider hosts reached over HTTP.
    'require-timeout': anyOf(FETCH, requests),
    'no-unthrottled-provider-call': anyOf(FETCH, requests, RECEIVED_CLIENT),
    // A floating promise needs a call of the file's own async code or a promise API the rule knows
    // untyped (fetch, fs.promises, the catalog's promise modules); threads need their modules; an
    // interval needs setInterval; a scheduled callback must be async.
    'no-unmanaged-background-work': anyOf(
      callsOwnAsync,
      /\bpromises\s*\./,
      FETCH,
      quoted([
        ...THREAD_STARTERS.map((starter) => starter.module),
        ...PROMISE_APIS.flatMap((api) => (api.module === undefined ? [] : [api.module])),
      ]),
      /\bsetInterval\b|\bnew\s+Worker\b|\b(?:setTimeout|setImmediate|nextTick)\s*\(\s*async\b/,
    ),
    // A hand-made timeout or sleep is a setTimeout beside a promise or an abort; or promisify; or callback fs.
    'no-handmade-timeout': anyOf(
      (text) => text.includes('setTimeout') && /\bnew\s+Promise\b|\babort\b/.test(text),
      /\bpromisify\b/,
      quoted(PROMISE_TWIN_MODULES),
    ),
  };
}

/**
 * Whether a file can make, itself, a call the index records (a provider call, a request, a
 * connection): it names such a module, calls `fetch`, or imports a project file the policy
 * lists. `text` without its comment lines.
 */
export function indexCandidate(policy: Policy): (file: string, code: string) => boolean {
  const tests = ruleTests(policy);
  const files = new Set(policyText(policy).files);
  return (file, code) =>
    tests['require-timeout']!(code) ||
    tests['no-unthrottled-provider-call']!(code) ||
    tests['no-per-call-connection']!(code) ||
    (files.size > 0 && importsAny(code, file, files));
}

/** Quoted path specifiers: `'./llm.js'`, `"../db"`, `'/abs/x'`. */
const PATH_STRING = /(['"])((?:\.{1,2}|\/)[^'"\n]*)\1/g;

/** True when `text` (the file `file`) imports one of `targets` by a path. */
function importsAny(text: string, file: string, targets: ReadonlySet<string>): boolean {
  for (const match of text.matchAll(PATH_STRING)) {
    const specifier = match[2]!;
    if (!isPathSpecifier(specifier)) continue;
    const target = resolveImportPath(specifier, file);
    if (target !== undefined && targets.has(target)) return true;
  }
  return false;
}

export interface LintPrefilterOptions {
  /** The rules that run, by id without `bounded/`. */
  readonly rules: readonly string[];
  /** The policy of the run. */
  readonly policy: Policy;
  /**
   * Its file, given to the rules as `settings.bounded.policy`. When undefined, the rules read
   * the nearest bounded.policy.yaml above each file, and so does the prefilter.
   */
  readonly policyPath: string | undefined;
  /** With type information the test is off (undefined is returned). */
  readonly typed: boolean;
  readonly reportUnusedDisableDirectives: boolean;
  /** Project files whose exports the index records. */
  readonly indexed: readonly string[];
  /** Project files the index records only async exports of: their importers are linted when no-unmanaged-background-work runs. */
  readonly asyncIndexed?: readonly string[];
}

/** Whether `file`, with text `text`, must be linted. */
export type LintPrefilter = (file: string, text: string) => boolean;

/**
 * The test for a run, or undefined when every file must be linted: with type information, or
 * when a rule that runs has no entry here.
 */
export function lintPrefilter(options: LintPrefilterOptions): LintPrefilter | undefined {
  if (options.typed) return undefined;
  if (options.rules.some((rule) => !Object.hasOwn(ruleTests(options.policy), rule))) return undefined;
  const forPolicy = (policy: Policy): LintPrefilter => {
    const tests = ruleTests(policy);
    const active = options.rules.map((rule) => tests[rule]!);
    const background = options.rules.includes('no-unmanaged-background-work') ? (options.asyncIndexed ?? []) : [];
    const targets = new Set([...options.indexed, ...background, ...policyText(policy).files]);
    return (file, text) => {
      // Inline configuration of bounded's rules (`/* eslint bounded/…: … */`, a disable comment that may go unused).
      if (text.includes('bounded/')) return true;
      if (options.reportUnusedDisableDirectives && text.includes('eslint-')) return true;
      // Doc comments are full of example calls and imports; code is never on a comment line.
      const code = withoutCommentLines(text);
      if (active.some((test) => test(code))) return true;
      return targets.size > 0 && importsAny(code, file, targets);
    };
  };
  const main = forPolicy(options.policy);
  if (options.policyPath !== undefined) return main;
  // The rules' own lookup (eslint-plugin/utils/policy.ts): the nearest policy file above the file.
  const byPath = new Map<string, LintPrefilter | undefined>();
  const pathByDir = new Map<string, string | undefined>();
  return (file, text) => {
    const dir = dirname(file);
    if (!pathByDir.has(dir)) pathByDir.set(dir, resolvePolicyPath({ cwd: dir }));
    const path = pathByDir.get(dir);
    if (path === undefined) return main(file, text);
    if (!byPath.has(path)) {
      try {
        byPath.set(path, forPolicy(loadPolicy({ path })));
      } catch {
        // An invalid policy: the rules report it on every file.
        byPath.set(path, undefined);
      }
    }
    return byPath.get(path)?.(file, text) ?? true;
  };
}
