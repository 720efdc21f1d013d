import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCorpus, planCorpus, spread, treeRssKb } from '../../bench/suites/codemod.js';
import { tempDir } from '../helpers/temp.js';

describe('codemod bench corpus', () => {
  it('plans every file once, then again as another set, 100 to a folder, under collision-free .ts names', () => {
    const plan = planCorpus(['/src/a/index.ts', '/src/b/index.mjs', '/src/c.js'], 205);
    expect(plan).toHaveLength(205);
    expect(plan.slice(0, 4).map((file) => file.target)).toEqual([
      join('set1', '000', '00000-index.ts'),
      join('set1', '000', '00001-index.ts'),
      join('set1', '000', '00002-c.ts'),
      join('set2', '000', '00003-index.ts'),
    ]);
    expect(plan[3]!.source).toBe('/src/a/index.ts');
    expect(plan[204]!.target).toBe(join('set69', '002', '00204-index.ts'));
    expect(new Set(plan.map((file) => file.target)).size).toBe(205);
    expect(() => planCorpus([], 1)).toThrow(/no source files/);
  });

  it('spreads a sample evenly, ending with the last item', () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([1, 3, 5, 7, 9]);
    expect(spread([0, 1, 2], 5)).toEqual([0, 1, 2]);
    expect(spread([0, 1, 2, 3], 0)).toEqual([]);
  });

  it('builds the corpus once and reuses it while the sources are unchanged', () => {
    const sources = tempDir('bounded-bench-sources-');
    writeFileSync(join(sources, 'a.ts'), 'export const a = fetch("/a");\n');
    writeFileSync(join(sources, 'b.js'), 'module.exports = 1;\n');
    const parent = tempDir('bounded-bench-parent-');
    const plan = planCorpus([join(sources, 'a.ts'), join(sources, 'b.js')], 3);
    const dir = buildCorpus(plan, parent);
    expect(readdirSync(join(dir, 'set1', '000')).sort()).toEqual(['00000-a.ts', '00001-b.ts']);
    expect(readFileSync(join(dir, 'set2', '000', '00002-a.ts'), 'utf8')).toBe('export const a = fetch("/a");\n');
    expect(existsSync(join(dir, '..', 'noop-transform.cjs'))).toBe(true);
    expect(buildCorpus(plan, parent)).toBe(dir);
    writeFileSync(join(sources, 'a.ts'), 'export const a = 2; // changed\n');
    expect(buildCorpus(plan, parent)).not.toBe(dir);
  });

  it('measures the resident set of a process tree', () => {
    if (!existsSync('/proc/self/status')) return; // /proc only on Linux
    const own = treeRssKb(process.pid);
    expect(own).toBeGreaterThan(10 * 1024);
    expect(treeRssKb(2 ** 22 + 12345)).toBe(0);
  });
});
