/**
 * The scanner that reads a file's style and writes inserted code in it. The fixture variants in
 * whitespace.test.ts run every transform in each style; these cases pin the reading itself on
 * what a token scanner can get wrong: strings, templates, regular expressions, JSX text.
 */
import { describe, expect, it } from 'vitest';
import { restyle, styleOf } from '../../codemods/utils/style.js';

describe('styleOf', () => {
  it('reads a semicolon-free file as one, and a file with semicolons as one', () => {
    expect(styleOf("import a from 'a'\n\nconst b = a()\nexport function c() {\n  return b\n}\n").semicolons).toBe(false);
    expect(styleOf("import a from 'a';\n\nconst b = a();\nexport function c() {\n  return b;\n}\n").semicolons).toBe(true);
  });

  it('does not count line ends inside argument lists, continued lines or templates', () => {
    const noSemi = ['const x = f(', '  a,', '  b', ')', 'const y = x', '  .map((v) => v)', 'const t = `a;', 'b;`', ''].join('\n');
    expect(styleOf(noSemi).semicolons).toBe(false);
    // A `for (;;)` head and a `;` inside a string are not statement ends.
    expect(styleOf("for (let i = 0; i < 3; i++) g(';')\nh()\n").semicolons).toBe(false);
  });

  it('takes the quote of the module specifiers, then of most strings', () => {
    expect(styleOf("import a from \"a\"\nconst s = 'x'\nconst t = 'y'\n").quote).toBe('"');
    expect(styleOf('const s = "x"\nconst t = "y"\nconst u = \'z\'\n').quote).toBe('"');
    expect(styleOf("const s = require('x')\n").quote).toBe("'");
    // A regular expression with a quote in it is no string.
    expect(styleOf('import a from \'a\'\nconst r = /"/g\nconst s = "it\'s"\n').quote).toBe("'");
  });
});

describe('restyle', () => {
  const noSemiDouble = { semicolons: false, quote: '"' } as const;

  it('drops line-ending semicolons and requotes strings', () => {
    expect(restyle("import { mapBounded } from '@bounded/runtime';\n", noSemiDouble)).toBe(
      'import { mapBounded } from "@bounded/runtime"\n',
    );
    expect(restyle('client.release();', noSemiDouble, '\n}\n')).toBe('client.release()');
  });

  it('keeps a semicolon the next line needs, one mid-line, and the ones in a for head', () => {
    expect(restyle('const a = b;\n', noSemiDouble, '(c || d).run()\n')).toBe('const a = b;\n');
    expect(restyle('const a = b;', noSemiDouble, ' c()\n')).toBe('const a = b;');
    expect(restyle('for (;;) {\n  f();\n}\n', noSemiDouble)).toBe('for (;;) {\n  f()\n}\n');
  });

  it('leaves a string holding a double quote, and JSX-like text, alone', () => {
    expect(restyle(`f('say "hi"');`, { semicolons: true, quote: '"' })).toBe(`f('say "hi"');`);
    expect(restyle("<p>it's a 'test</p>", { semicolons: true, quote: '"' })).toBe("<p>it's a 'test</p>");
  });

  it('is idempotent and the identity in the house style', () => {
    const once = restyle("const a = f('x');\nconst b = 'y';\n", noSemiDouble);
    expect(restyle(once, noSemiDouble)).toBe(once);
    expect(restyle("const a = f('x');\n", { semicolons: true, quote: "'" })).toBe("const a = f('x');\n");
  });
});
