// bounded lints itself with typescript-eslint and, as its rules arrive, its own plugin.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
// bounded's own plugin, from the build (`npm ci` / `npm run build` makes dist/).
import bounded from './dist/eslint-plugin/index.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'fixtures/', 'test/eslint-plugin/fixture/', 'scripts/eslint-docs/'] },
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
  { ...bounded.configs.recommended, files: ['runtime/**/*.ts', 'policy/**/*.ts', 'cli/**/*.ts', 'eslint-plugin/**/*.ts', 'codemods/**/*.ts'] },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
