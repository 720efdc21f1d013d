/**
 * A mapper that is `declare`d or overloaded has no body where the rule first finds it: the
 * rule used to read `.body` of the first bodiless signature and threw a TypeError, which
 * killed a whole `bounded check` run (issue 15).
 */
import rule from '../../eslint-plugin/rules/no-unbounded-concurrency.js';
import { untypedTester } from './setup.js';

const EXACT = `declare function fn(x: string): Promise<void>;
function fn2(a: number): Promise<void>;
function fn2(a: string): Promise<void>;
function fn2(a: number | string): Promise<void> { return Promise.resolve(); }
export async function run(xs: string[]) {
  await Promise.all(xs.map(fn));
  await Promise.all(xs.map(fn2));
}
`;

untypedTester().run('no-unbounded-concurrency: declared and overloaded mappers', rule, {
  valid: [
    // An overloaded mapper over a fixed list.
    `function load(id: number): Promise<void>;
function load(id: string): Promise<void>;
function load(id: number | string): Promise<void> { return Promise.resolve(); }
export async function three() { await Promise.all([1, 2, 3].map(load)); }`,
    // A declared mapper over a fixed list.
    `declare function ping(host: string): Promise<void>;
export async function two() { await Promise.all(['a', 'b'].map(ping)); }`,
  ],
  invalid: [
    {
      code: EXACT,
      errors: [
        {
          messageId: 'unbounded',
          line: 6,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: EXACT.replace('await Promise.all(xs.map(fn));', 'await mapBounded(xs, fn, { concurrency: 10 });').replace(
                'declare function',
                "import { mapBounded } from '@bounded/runtime';\ndeclare function",
              ),
            },
          ],
        },
        {
          messageId: 'unbounded',
          line: 7,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: EXACT.replace('await Promise.all(xs.map(fn2));', 'await mapBounded(xs, fn2, { concurrency: 10 });').replace(
                'declare function',
                "import { mapBounded } from '@bounded/runtime';\ndeclare function",
              ),
            },
          ],
        },
      ],
    },
    {
      // Overload signatures only (an ambient module's): still a fan-out.
      code: `declare module 'x' {}\ndeclare function save(doc: object): Promise<void>;\ndeclare function save(doc: object, id: string): Promise<void>;\nexport async function all(docs: object[]) {\n  return Promise.allSettled(docs.map(save));\n}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 5,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBoundedSettled } from '@bounded/runtime';\ndeclare module 'x' {}\ndeclare function save(doc: object): Promise<void>;\ndeclare function save(doc: object, id: string): Promise<void>;\nexport async function all(docs: object[]) {\n  return mapBoundedSettled(docs, save, { concurrency: 10 });\n}`,
            },
          ],
        },
      ],
    },
  ],
});
