import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { nearestTsconfig, newDiagnostics, verifyChanges, type FileChange } from '../../codemods/verify.js';
import { tempDir } from '../helpers/temp.js';

// ts-morph loads the lib files for every project: seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const STRICT = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022'],
    types: [],
    noEmit: true,
  },
});
const LOOSE = JSON.stringify({
  compilerOptions: {
    strict: false,
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022'],
    types: [],
    noEmit: true,
  },
});

/** A temp folder with these files; returns a function from relative to absolute paths. */
function tree(files: Record<string, string>): (path: string) => string {
  const root = tempDir('bounded-verify-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return (path) => join(root, path);
}

function change(at: (path: string) => string, path: string, before: string, after: string): FileChange {
  mkdirSync(join(at(path), '..'), { recursive: true });
  writeFileSync(at(path), before);
  return { file: at(path), before, after };
}

describe('verifyChanges', () => {
  it('rejects a change that adds a type error, with the error, and keeps one that adds none', () => {
    const at = tree({ 'tsconfig.json': STRICT });
    const bad = change(at, 'src/bad.ts', 'export const n: number = 1;\n', 'export const n: number = 1;\nexport const s: number = "one";\n');
    const good = change(at, 'src/good.ts', 'export const n = 1;\n', 'export const n = 1;\nexport const m = n + 1;\n');
    const result = verifyChanges([bad, good]);
    expect(result.projects).toEqual([at('tsconfig.json')]);
    expect(result.rejected).toEqual([
      {
        file: bad.file,
        tsconfig: at('tsconfig.json'),
        diagnostics: [{ line: 2, column: 14, code: 2322, message: "Type 'string' is not assignable to type 'number'." }],
      },
    ]);
  });

  it('compares by code and message, not position: an old error that moved is not new, a second copy is', () => {
    const at = tree({ 'tsconfig.json': STRICT });
    const old = 'export const s: number = "one";\n';
    const moved = change(at, 'moved.ts', old, `// a line above\n${old}`);
    const doubled = change(at, 'doubled.ts', old, `${old}export const t: number = "one";\n`);
    const result = verifyChanges([moved, doubled]);
    expect(result.rejected.map((r) => r.file)).toEqual([doubled.file]);
    expect(result.rejected[0]!.diagnostics).toMatchObject([{ line: 2, code: 2322 }]);
  });

  it('checks each file with the nearest tsconfig.json', () => {
    const at = tree({ 'tsconfig.json': LOOSE, 'strict/tsconfig.json': STRICT });
    const implicitAny = 'export function f(a) {\n  return a;\n}\n';
    const loose = change(at, 'src/a.ts', 'export {};\n', implicitAny);
    const strict = change(at, 'strict/src/a.ts', 'export {};\n', implicitAny);
    const result = verifyChanges([loose, strict]);
    expect(result.projects).toEqual([at('strict/tsconfig.json'), at('tsconfig.json')].sort());
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ file: strict.file, tsconfig: at('strict/tsconfig.json'), diagnostics: [{ code: 7006 }] });
  });

  it("applies a project's changes together, and re-checks the rest after putting one back", () => {
    const at = tree({ 'tsconfig.json': STRICT });
    // b's change needs a's new export: fine together.
    const a = change(at, 'a.ts', 'export const one = 1;\n', 'export const one = 1;\nexport const two = 2;\n');
    const b = change(
      at,
      'b.ts',
      'import { one } from "./a";\nexport const x = one;\n',
      'import { one, two } from "./a";\nexport const x = one + two;\n',
    );
    expect(verifyChanges([a, b]).rejected).toEqual([]);
    // Now a's change also adds an error: a goes back, and then b's change no longer compiles.
    const aBad = { ...a, after: `${a.after}export const bad: string = 1;\n` };
    const result = verifyChanges([aBad, b]);
    expect(result.rejected.map((r) => r.file)).toEqual([a.file, b.file]);
    expect(result.rejected[1]!.diagnostics).toMatchObject([{ code: 2305 }]);
  });

  it('checks a file with no tsconfig.json above it with strict defaults', () => {
    const at = tree({});
    if (nearestTsconfig(at('.')) !== undefined) return; // a tsconfig.json above the temp folder: nothing to test here
    const file = change(at, 'a.ts', 'export {};\n', 'export function f(a) {\n  return a;\n}\n');
    const result = verifyChanges([file]);
    expect(result.projects).toEqual([]);
    expect(result.rejected).toMatchObject([{ file: file.file, tsconfig: undefined, diagnostics: [{ code: 7006, line: 1, column: 19 }] }]);
  });
});

describe('newDiagnostics', () => {
  it('subtracts the old ones as a multiset', () => {
    const d = (code: number, message: string, line = 1) => ({ line, column: 1, code, message });
    expect(newDiagnostics([d(1, 'a'), d(2, 'b')], [d(2, 'b', 9), d(1, 'a', 5), d(1, 'a', 7), d(3, 'c')])).toEqual([
      d(1, 'a', 7),
      d(3, 'c'),
    ]);
    expect(newDiagnostics([d(1, 'a')], [])).toEqual([]);
  });
});
