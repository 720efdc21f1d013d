/**
 * Every transform over every fixture case again, written with tabs, with CRLF line endings,
 * without semicolons, with double quotes, and without semicolons and with double quotes: recast
 * parses a re-rendered copy of the text (tabs expanded, line breaks turned into `\n`), so a
 * transform that edits the text at recast's offsets lands its edits in the wrong place; and
 * inserted code must follow the file's style. The expected output is the fixture's own,
 * converted the same way (with Babel's tokens, not the transforms' style scanner): inserted
 * lines take the file's line ending, inserted indentation the file's unit, inserted statements
 * its semicolons, inserted strings its quotes. Each case runs both as `jscodeshift -t` parses
 * (recast) and as `bounded migrate` does (Babel straight): same output, same reports.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jscodeshift, { type API, type FileInfo } from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { transforms, type TransformName } from '../../codemods/index.js';
// As `bounded migrate` runs them: bound-promise-all rewrites only what the rule reports.
import { reportedFanOuts } from '../../cli/migrate-rule-findings.js';
import { parsedToSource, parseForTextEdits, withParseSession } from '../../codemods/utils/text-edits.js';
import { defaultPolicy } from '../../policy/index.js';
import { migrate, project, snapshot } from '../cli/migrate-helpers.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/codemods/', import.meta.url));
const policy = defaultPolicy();
const names = Object.keys(transforms) as TransformName[];

/**
 * Runs a transform twice: as `jscodeshift -t` does (recast parses) and as `bounded migrate`
 * does (Babel straight, in a parse session); both must give the same output and reports.
 */
function run(name: TransformName, path: string, source: string, options: Record<string, unknown>): string | null | undefined {
  const once = (): { output: string | null | undefined; reports: string[] } => {
    const j = jscodeshift.withParser('ts');
    const reports: string[] = [];
    const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
    const file: FileInfo = { path, source };
    return { output: transforms[name](file, api, { reportedFanOuts, ...options, policy }), reports };
  };
  const recast = once();
  const babel = withParseSession(once, 'ts');
  expect(babel, 'Babel straight (bounded migrate) and recast (jscodeshift -t) agree').toEqual(recast);
  return recast.output;
}

/** Transform options for a fixture case: `<case>.options.json` beside its input, when there is one. */
function optionsFor(inputPath: string): Record<string, unknown> {
  const sidecar = inputPath.replace(/\.input\.ts$/, '.options.json');
  return existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, unknown>) : {};
}

function cases(name: string): string[] {
  return readdirSync(join(FIXTURES, name))
    .filter((file) => file.endsWith('.input.ts'))
    .map((file) => file.slice(0, -'.input.ts'.length))
    .sort();
}

/** Leading groups of two spaces become tabs (an odd space stays: ` * ` in a block comment). */
const toTabs = (text: string): string => text.replace(/^(?: {2})+/gm, (spaces) => '\t'.repeat(spaces.length / 2));
const toCrlf = (text: string): string => text.replace(/\n/g, '\r\n');

/**
 * Why converting `text` to tabs would change what the program means, if it would: a line that
 * starts inside a template literal or a backslash-continued string begins with the string's
 * own characters, not indentation.
 */
function tabRefusal(text: string): string | undefined {
  const j = jscodeshift.withParser('ts');
  const strings = parseForTextEdits(j, text)
    .find(j.Node, (node: { type: string }) => node.type === 'TemplateLiteral' || node.type === 'StringLiteral')
    .nodes() as unknown as { start: number; end: number }[];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    const line = at + 1;
    if (!text.startsWith('  ', line)) continue;
    if (strings.some((node) => node.start < line && line < node.end)) {
      return `line ${text.slice(0, line).split('\n').length} starts with spaces inside a string or template literal`;
    }
  }
  return undefined;
}

/** Why a case has no tab-indented variant to test, if it has none. */
function tabsRefusal(input: string, expected: string | null): string | undefined {
  // Nothing in the file says tabs: what the transform indents with is its default.
  if (toTabs(input) === input) return 'the input has no indentation to turn into tabs';
  return tabRefusal(input) ?? (expected === null ? undefined : tabRefusal(expected));
}

/** Why a case has no variant in another style to test, if it has none: the input is in that style already. */
function styleRefusal(input: string, variant: Variant): string | undefined {
  // Each style the variant combines must show in the input, or the file does not say which it uses.
  for (const convert of variant.parts ?? [variant.convert]) {
    if (convert(input) === input) return 'the input has nothing that style writes otherwise';
  }
  return undefined;
}

interface BabelToken {
  readonly type: string | { readonly label: string };
  readonly start: number;
  readonly end: number;
}

/** The file's tokens as Babel reads them (independent of the transforms' own style scanner). */
function tokensOf(text: string): { label: string; start: number; end: number }[] {
  const j = jscodeshift.withParser('ts');
  const file = (parseForTextEdits(j, text).get() as { node: { tokens: BabelToken[] } }).node;
  return file.tokens.map((token) => ({
    label: typeof token.type === 'string' ? token.type : token.type.label,
    start: token.start,
    end: token.end,
  }));
}

/**
 * Prettier's `semi: false`, roughly: every `;` that ends a line goes, except one the next line
 * needs (it starts with `(`, `[`, a backtick, `+`, `-`, `/` or `*`) and those in a `for (;;)` head.
 */
function toNoSemicolons(text: string): string {
  const tokens = tokensOf(text).filter((token) => token.label !== 'CommentLine' && token.label !== 'CommentBlock');
  const open: string[] = [];
  const drop: number[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.label === '(' || token.label === '[' || token.label === '{' || token.label === '${') open.push(token.label);
    if (token.label === ')' || token.label === ']' || token.label === '}') open.pop();
    if (token.label !== ';' || (open.length > 0 && open.at(-1) !== '{')) continue;
    const next = tokens[index + 1];
    const between = text.slice(token.end, next?.start ?? text.length);
    if (!between.includes('\n') && next !== undefined && next.label !== 'eof') continue;
    if (next !== undefined && /^[([`+\-/*]/.test(text.slice(next.start, next.start + 1))) continue;
    drop.push(token.start);
  }
  let result = '';
  let at = 0;
  for (const offset of drop) {
    result += text.slice(at, offset);
    at = offset + 1;
  }
  return result + text.slice(at);
}

/** Every single-quoted string that holds no `"` becomes double-quoted (Prettier's default quotes). */
function toDoubleQuotes(text: string): string {
  let result = '';
  let at = 0;
  for (const token of tokensOf(text)) {
    if (token.label !== 'string' || text[token.start] !== "'") continue;
    const body = text.slice(token.start + 1, token.end - 1);
    if (body.includes('"')) continue;
    result += `${text.slice(at, token.start)}"${body.replace(/\\'/g, "'")}"`;
    at = token.end;
  }
  return result + text.slice(at);
}

interface Variant {
  readonly label: string;
  readonly convert: (text: string) => string;
  /** The conversions it combines, when it combines some. */
  readonly parts?: readonly ((text: string) => string)[];
}

const VARIANTS: readonly Variant[] = [
  { label: 'tab-indented', convert: toTabs },
  { label: 'CRLF', convert: toCrlf },
  { label: 'semicolon-free', convert: toNoSemicolons },
  { label: 'double-quoted', convert: toDoubleQuotes },
  {
    label: 'semicolon-free and double-quoted',
    convert: (text) => toDoubleQuotes(toNoSemicolons(text)),
    parts: [toNoSemicolons, toDoubleQuotes],
  },
];

describe.each(names)('%s', (name) => {
  const found = cases(name);
  for (const variant of VARIANTS) {
    describe(variant.label, () => {
      for (const c of found) {
        const inputPath = join(FIXTURES, name, `${c}.input.ts`);
        const outputPath = join(FIXTURES, name, `${c}.output.ts`);
        const input = readFileSync(inputPath, 'utf8');
        const expected = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : null;
        const refusal =
          variant.convert === toTabs ? tabsRefusal(input, expected) : variant.convert === toCrlf ? undefined : styleRefusal(input, variant);
        if (refusal !== undefined) {
          it.skip(`${c} (skipped: ${refusal})`, () => {});
          continue;
        }
        it(c, () => {
          const source = variant.convert(input);
          expect(source, 'the variant differs from the fixture').not.toBe(input);
          const output = run(name, inputPath, source, optionsFor(inputPath));
          expect(output ?? null).toBe(expected === null ? null : variant.convert(expected));
        });
      }
    });
  }

  it('runs most of its cases with tabs (the template-literal skip is narrow)', () => {
    const skipped = found.filter((c) => {
      const outputPath = join(FIXTURES, name, `${c}.output.ts`);
      return (
        tabsRefusal(
          readFileSync(join(FIXTURES, name, `${c}.input.ts`), 'utf8'),
          existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : null,
        ) !== undefined
      );
    });
    expect(skipped.length).toBeLessThan(found.length / 2);
  });
});

describe('parseForTextEdits', () => {
  const j = jscodeshift.withParser('ts');
  const starts = (source: string): string[] =>
    parseForTextEdits(j, source)
      .find(j.CallExpression)
      .nodes()
      .map((node) => source.slice((node as unknown as { start: number }).start, (node as unknown as { end: number }).end));

  it('gives offsets into the file as written: tabs, CRLF, lone CR, U+2028, a byte-order mark, mixed endings', () => {
    expect(starts('if (a) {\n\t\tf(1);\n}\n')).toEqual(['f(1)']);
    expect(starts('if (a) {\r\n  f(1);\r\n}\r\ng(2);\r\n')).toEqual(['f(1)', 'g(2)']);
    expect(starts('if (a) {\r\tf(1);\r}\rg(2);')).toEqual(['f(1)', 'g(2)']);
    expect(starts('f(0);\u2028\tf(1);\u2029f(2);\n')).toEqual(['f(0)', 'f(1)', 'f(2)']);
    expect(starts('\ufeffconst x = 1;\r\n\f\tf(1);\r\n')).toEqual(['f(1)']);
    expect(starts('a();\r\nb();\nc();\r\n\t\td();\n')).toEqual(['a()', 'b()', 'c()', 'd()']);
  });

  it('maps comments and tokens too', () => {
    const source = 'x();\r\n\t// note\r\n\ty(); /* end */\r\n';
    const file = (parseForTextEdits(j, source).get() as { node: { tokens: { type: unknown; start: number; end: number }[] } }).node;
    const comments = file.tokens
      .filter((token) => token.type === 'CommentLine' || token.type === 'CommentBlock')
      .map((token) => source.slice(token.start, token.end));
    expect(comments).toEqual(['// note', '/* end */']);
  });

  it('leaves a file recast parses as written alone (no mapping to do)', () => {
    expect(parsedToSource('if (a) {\n\tf(1);\n}\n')).toBeUndefined();
    expect(parsedToSource('a();\r\nb();\n')).toBeDefined();
  });
});

describe('bounded migrate on tab-indented and CRLF files', () => {
  const TABS = [
    'export async function first(urls: string[]) {',
    '\tif (urls.length === 1) {',
    '\t\tconst res = await fetch(urls[0]);',
    '\t\treturn res.json();',
    '\t}',
    '\treturn Promise.all(urls.map((url) => fetch(url, {',
    '\t\tmethod: "HEAD",',
    '\t})));',
    '}',
    '',
  ].join('\n');
  const TABS_OUT = [
    // The file's one string is double-quoted: the new import's is too.
    'import { mapBounded } from "@bounded/runtime";',
    '',
    'export async function first(urls: string[]) {',
    '\tif (urls.length === 1) {',
    '\t\tconst res = await fetch(urls[0], { signal: AbortSignal.timeout(60_000) });',
    '\t\treturn res.json();',
    '\t}',
    '\treturn mapBounded(urls, (url) => fetch(url, {',
    '\t\tmethod: "HEAD",',
    '\t\tsignal: AbortSignal.timeout(60_000),',
    '\t}), { concurrency: 10 });',
    '}',
    '',
  ].join('\n');
  const CRLF = ['export async function load(url: string) {', '  const res = await fetch(url);', '  return res.json();', '}', ''].join(
    '\r\n',
  );
  const CRLF_OUT = [
    'export async function load(url: string) {',
    '  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });',
    '  return res.json();',
    '}',
    '',
  ].join('\r\n');

  it('rewrites them byte for byte as expected, and a second run changes nothing', async () => {
    const root = project({ 'tabs.ts': TABS, 'crlf.ts': CRLF });
    const result = await migrate(['--force'], root);
    expect(result.stderr).not.toMatch(/does not parse|nothing written/);
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, 'tabs.ts'), 'utf8')).toBe(TABS_OUT);
    expect(readFileSync(join(root, 'crlf.ts'), 'utf8')).toBe(CRLF_OUT);
    const after = snapshot(root);
    expect((await migrate(['--force'], root)).code).toBe(0);
    expect(snapshot(root)).toEqual(after);
  });
});
