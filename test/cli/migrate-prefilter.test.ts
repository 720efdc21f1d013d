/**
 * The prefilter must be sound: a file a transform would change or report on must pass that
 * transform's prefilter, or `bounded migrate` silently skips it. Checked by running every
 * transform, without its prefilter, over every codemod fixture (inputs and outputs, of every
 * transform) and every agent-service source.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jscodeshift, { type API, type Transform } from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { applicableTransforms, mayApply, prefilterFor, withoutCommentLines } from '../../cli/migrate-prefilter.js';
import { parserFor } from '../../cli/migrate-source.js';
import { transforms, type TransformName } from '../../codemods/index.js';
import { defaultPolicy } from '../../policy/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const policy = defaultPolicy();
const names = Object.keys(transforms) as TransformName[];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const files = [...sources(join(ROOT, 'fixtures', 'codemods')), ...sources(join(ROOT, 'fixtures', 'agent-service', 'src'))];

/** Whether `name` changes `file` or reports a site in it, with no prefilter in the way. */
function touches(name: TransformName, file: string, source: string): boolean {
  const j = jscodeshift.withParser(parserFor(file));
  let reported = false;
  const api: API = { j, jscodeshift: j, stats: () => {}, report: () => void (reported = true) };
  let output: string | null | undefined;
  try {
    output = (transforms[name] as Transform)({ path: file, source }, api, { policy }) as string | null | undefined;
  } catch {
    return false;
  }
  return reported || (output != null && output !== source);
}

describe('migrate prefilters', () => {
  it('read the fixtures', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(names)(
    '%s: every file it touches passes its prefilter',
    (name) => {
      if (prefilterFor(name) === undefined) return; // no prefilter: every file is a candidate
      const missed: string[] = [];
      let touched = 0;
      for (const file of files) {
        const source = readFileSync(file, 'utf8');
        if (!touches(name, file, source)) continue;
        touched++;
        if (!mayApply(name, source)) missed.push(file.slice(ROOT.length));
      }
      expect(missed).toEqual([]);
      // The check saw real work: the transform's own fixtures change or report.
      expect(touched).toBeGreaterThan(5);
    },
    120_000,
  );

  it('has a prefilter for every registered transform', () => {
    expect(names.filter((name) => prefilterFor(name) === undefined)).toEqual([]);
  });

  it('skips a file no transform can touch, and keeps registry order for the others', () => {
    expect(
      applicableTransforms(names, 'export const answer = 42;\nexport function get(map: Map<string, number>) { return map.get("a"); }\n'),
    ).toEqual([]);
    const both = 'const res = await fetch(url);\nawait Promise.all(xs.map((x) => f(x)));\n';
    expect(applicableTransforms(['bound-promise-all', 'add-timeouts'], both)).toEqual(['bound-promise-all', 'add-timeouts']);
    expect(applicableTransforms(names, both)).toEqual(['add-timeouts', 'bound-promise-all']);
  });

  it('ignores example calls in comments that fill whole lines', () => {
    const doc = [
      '/**',
      ' * @example',
      ' * ```ts',
      ' * await client.chat.completions.create({ model })',
      ' * ```',
      ' */',
      '// await fetch(url)',
      'export const x = 1; // fetch(y)',
      '',
    ].join('\n');
    expect(withoutCommentLines(doc)).toBe(['', '', 'export const x = 1; // fetch(y)', ''].join('\n'));
    expect(applicableTransforms(names, doc)).toEqual(['add-timeouts']); // the trailing comment stays: it shares a line with code
    expect(mayApply('throttle-provider-calls', doc)).toBe(false);
  });

  it('keeps what only looks like a comment: template literals with code, continued strings, JSX text', () => {
    const template = 'const sql = `\n/* ${await fetch(url)} */\n`;\n';
    expect(withoutCommentLines(template)).toBe(template);
    const reachesCode = 'const glob = `\n/*.ts\n`;\nawait fetch(url);\n/** doc */\n';
    expect(withoutCommentLines(reachesCode)).toBe(reachesCode);
    const docLike = 'const t = `\n/** x\n`; await fetch(url);\n/* y */\n';
    expect(withoutCommentLines(docLike)).toBe(docLike);
    const continued = "const s = 'a\\\n/* b';\nawait fetch(url);\n/* c */\n";
    expect(withoutCommentLines(continued)).toBe(continued);
    const jsx = 'export const A = () => <p>\n// {fetch(url)}\n</p>;\n';
    expect(withoutCommentLines(jsx)).toBe(jsx);
    for (const text of [template, reachesCode, docLike, continued, jsx]) expect(mayApply('add-timeouts', text)).toBe(true);
  });
});
