import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../cli/diff.js';

const lines = (count: number) => Array.from({ length: count }, (_, i) => `line ${i}`).join('\n') + '\n';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a.ts', 'x\n', 'x\n')).toBe('');
  });

  it('writes hunks with three lines of context and correct ranges', () => {
    const before = lines(20);
    const after = before.replace('line 5\n', 'line 5 changed\n').replace('line 15\n', '').replace('line 19\n', 'line 19\nnew\n');
    expect(unifiedDiff('x.ts', before, after)).toBe(
      [
        '--- a/x.ts',
        '+++ b/x.ts',
        '@@ -3,7 +3,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line 5 changed',
        ' line 6',
        ' line 7',
        ' line 8',
        '@@ -13,8 +13,8 @@',
        ' line 12',
        ' line 13',
        ' line 14',
        '-line 15',
        ' line 16',
        ' line 17',
        ' line 18',
        ' line 19',
        '+new',
        '',
      ].join('\n'),
    );
  });

  it('joins changes closer than twice the context into one hunk', () => {
    const before = lines(12);
    const after = before.replace('line 3\n', 'three\n').replace('line 7\n', 'seven\n');
    const diff = unifiedDiff('x.ts', before, after);
    expect(diff.match(/^@@/gm)).toHaveLength(1);
    expect(diff).toContain('@@ -1,11 +1,11 @@');
  });

  it('handles a file that was empty', () => {
    expect(unifiedDiff('n.ts', '', 'a\nb\n')).toBe('--- a/n.ts\n+++ b/n.ts\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  });
});
