// bounded lints itself with typescript-eslint and, as its rules arrive, its own plugin.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
// bounded's own plugin, from its build (`npm ci` / `npm run build` makes eslint-plugin/dist/).
import bounded from 'eslint-plugin-bounded';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      '**/dist/',
      'node_modules/',
      'coverage/',
      'fixtures/',
      'test/eslint-plugin/fixture/',
      'test/corpus/files/',
      '.tmp-*/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      // A primitive rejects with the caller's own abort reason or task error, whatever it is.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  // bounded's own rules on the product code. Tests and benchmarks build hazards on purpose
  // (a benchmark of Promise.all must call Promise.all), so they are left out.
  {
    ...bounded.configs.recommended,
    files: ['runtime/**/*.ts', 'policy/**/*.ts', 'cli/**/*.ts', 'eslint-plugin/**/*.ts', 'codemods/**/*.ts'],
  },
  // A function a reader can hold (issue 19): product code only. A longer one says why on the
  // line before it (`// eslint-disable-next-line max-lines-per-function -- <reason>`).
  {
    files: ['runtime/**/*.ts', 'policy/**/*.ts', 'cli/**/*.ts', 'eslint-plugin/**/*.ts', 'codemods/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Build and packaging scripts run on Node.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
