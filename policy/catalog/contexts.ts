/**
 * Where code runs: the patterns and markers that place a file in a context. Code serves
 * requests unless something here says otherwise; the policy's `lint.contexts` adds its own
 * globs and decides which rules apply in each context (see `DEFAULT_POLICY.lint.contexts`).
 *
 * A file may be in several contexts (a test of a React component is a test and browser
 * code); a rule that any of them skips does not run on it.
 */

/** The contexts bounded tells apart. `service` is the default: code that serves requests. */
export const CODE_CONTEXTS = ['service', 'test', 'script', 'example', 'browser', 'vendored', 'generated'] as const;
export type CodeContext = (typeof CODE_CONTEXTS)[number];

/** Globs matched against a file's path relative to the policy's folder (or the working directory). */
export const CONTEXT_FILES: Readonly<Record<Exclude<CodeContext, 'service'>, readonly string[]>> = {
  // testing/: test utilities a package ships for its users' tests (fake models, fake tools).
  // *.servertest.ts, *.clienttest.tsx, *.e2e-spec.ts: a test suffix of the project's own; e2e/ and __e2e__/ hold end-to-end tests.
  test: [
    '**/*.test.*',
    '**/*.spec.*',
    '**/*.*test.*',
    '**/*.*spec.*',
    '**/__tests__/**',
    '**/__mocks__/**',
    '**/__e2e__/**',
    '**/e2e/**',
    '**/test/**',
    '**/tests/**',
    '**/testing/**',
  ],
  script: [
    '**/scripts/**',
    // A cli/ folder holds command-line entry points and commands (NodeBB's src/cli/).
    '**/cli/**',
    '**/*.config.{js,cjs,mjs,ts,cts,mts}',
    '**/{gulpfile,Gulpfile,gruntfile,Gruntfile,Jakefile}.*',
    // Build files at any depth: build.js, webpack/rollup/esbuild/vite set-ups without the .config infix.
    '**/{build,webpack,rollup,esbuild,vite}.{js,cjs,mjs,ts,cts,mts}',
    '**/{webpack,rollup,esbuild,vite}.*.{js,cjs,mjs,ts,cts,mts}',
    // Schema migrations and seeds run once per deploy, not per request.
    '**/migrations/**',
    '**/seeds/**',
    '**/seeders/**',
    '**/{seed,seeds}.{js,cjs,mjs,ts,cts,mts}',
    '**/*.seed.{js,cjs,mjs,ts,cts,mts}',
    // Code generators.
    '**/codegen/**',
  ],
  // Example and demo programs: what users copy into services, so the hazard families apply, but
  // each runs as a one-off program that blocks no one else's request.
  example: [
    '**/examples/**',
    '**/example/**',
    '**/demo/**',
    '**/demos/**',
    '**/samples/**',
    '**/sample/**',
    '**/*-samples/**',
    '**/*-examples/**',
  ],
  browser: ['**/public/**', '**/*.browser.*'],
  vendored: ['**/vendor/**', '**/vendors/**', '**/third_party/**', '**/third-party/**'],
  generated: ['**/*.min.{js,mjs,cjs}', '**/*.generated.*', '**/*.gen.{ts,js,mts,mjs}', '**/__generated__/**'],
};

/**
 * Markers of a generated file, looked for in its leading comments only (the header, before
 * the first line of code): Go's `Code generated … DO NOT EDIT.`, Facebook's `@generated`,
 * and the usual wordings of code generators.
 */
export const GENERATED_HEADERS: readonly RegExp[] = [
  /@generated\b/,
  /\bCode generated\b/,
  /\bDO NOT EDIT\b/,
  /\b(?:auto-?generated|automatically generated)\b/i,
];

/**
 * A minified file: some line at least `longLine` characters long, in a file whose lines
 * average at least `averageLine` characters (a hand-written file with one long string
 * constant stays below that).
 */
export const MINIFIED = { longLine: 1_000, averageLine: 200 } as const;

/**
 * Command-line frameworks: a package that depends on one, exports nothing (no main, module or
 * exports field) and depends on no server package is a CLI tool, all of whose files are scripts.
 */
export const CLI_PACKAGES: readonly string[] = [
  'commander',
  'yargs',
  'cac',
  'meow',
  'clipanion',
  '@oclif/core',
  'citty',
  'sade',
  'minimist',
];

/** Runners a package.json script names a file with (`tsx src/cli.ts`, `node ./build.js`). */
export const SCRIPT_RUNNERS: readonly string[] = [
  'node',
  'tsx',
  'ts-node',
  'ts-node-esm',
  'bun',
  'deno',
  'esno',
  'esrun',
  'vite-node',
  'babel-node',
  'zx',
];

/** Directives that mark a module as browser code (React Server Components' client boundary). */
export const BROWSER_DIRECTIVES: readonly string[] = ['use client'];

/** Modules only browser code imports (`react-dom/server` renders on the server: not listed). */
export const BROWSER_MODULES: readonly string[] = ['react-dom', 'react-dom/client'];

/**
 * UI libraries: a module whose package imports are all from these (plus relative files and
 * assets) is browser code, unless its package uses a full-stack framework (see SERVER_PACKAGES).
 */
export const UI_PACKAGES: readonly string[] = [
  'react',
  'react-dom',
  'preact',
  'vue',
  'svelte',
  'solid-js',
  'lit',
  '@angular/core',
  'react-router',
  'react-router-dom',
  '@tanstack/react-query',
  'styled-components',
  '@emotion/react',
  '@emotion/styled',
  '@mui/material',
  'classnames',
  'clsx',
];

/**
 * Frameworks that render in the browser: a package that depends on one (not as a dev
 * dependency) and on no server package is a UI package, all of whose files are browser code.
 */
export const UI_FRAMEWORKS: readonly string[] = ['react-dom', 'preact', 'vue', 'svelte', 'solid-js', 'lit', '@angular/core'];

/** Entry points of UI libraries that render on the server: never a sign of browser code. */
export const SERVER_RENDERING_MODULES: readonly string[] = [
  'react-dom/server',
  'react-dom/server.node',
  'vue/server-renderer',
  'svelte/server',
];

/** Module prefixes that count as UI libraries too (`@mui/icons-material`, `@radix-ui/react-dialog`). */
export const UI_PACKAGE_PREFIXES: readonly string[] = ['@mui/', '@radix-ui/', '@headlessui/', '@chakra-ui/', 'react-'];

/**
 * Packages that run code on a server. A package depending on one is not a UI package, and a
 * full-stack framework (Next.js, Remix, Nuxt…) also turns off the "imports only UI libraries"
 * guess: its server components import React too; only `'use client'` and react-dom say browser.
 */
export const SERVER_PACKAGES: readonly string[] = [
  'next',
  'nuxt',
  '@remix-run/node',
  '@remix-run/react',
  '@react-router/node',
  '@sveltejs/kit',
  'astro',
  '@angular/ssr',
  'express',
  'fastify',
  'koa',
  'hono',
  '@hapi/hapi',
  '@nestjs/core',
  'restify',
];

/** The full-stack frameworks of SERVER_PACKAGES: their components may render on the server. */
export const FULL_STACK_FRAMEWORKS: readonly string[] = [
  'next',
  'nuxt',
  '@remix-run/node',
  '@remix-run/react',
  '@react-router/node',
  '@sveltejs/kit',
  'astro',
  '@angular/ssr',
];

/**
 * A path segment or import specifier segment that says "server side" (`server/`, `@server/…`,
 * `../api/…`): a JSX module there, or one importing from there, is not taken for browser code.
 */
export const SERVER_SEGMENT: RegExp = /(?:^|[/@~#])(?:server|servers|api|backend)(?:\/|$)/;

/**
 * DOM globals used the way only browser code uses them, and DOM event handling
 * (`event.preventDefault()`: a paste or drop handler of an editor plugin). A module that uses
 * one and imports no Node.js built-in is browser code. (`document.` alone is not enough:
 * servers call their database records documents; and `typeof window.location` is how
 * isomorphic code asks.)
 */
export const DOM_GLOBALS: RegExp =
  /(?<!typeof\s*\(?\s*)\b(?:window\.(?:location|addEventListener|localStorage|sessionStorage|history|innerWidth|matchMedia|requestAnimationFrame)|document\.(?:getElementById|querySelector|querySelectorAll|createElement|body|cookie|addEventListener)|(?:localStorage|sessionStorage)\.(?:getItem|setItem|removeItem))\b|\.(?:preventDefault|stopPropagation)\(\)/;

/** Test frameworks and runners: a module that imports one is a test (corpus README, G1). */
export const TEST_FRAMEWORKS: readonly string[] = [
  'vitest',
  '@jest/globals',
  'mocha',
  'node:test',
  'ava',
  'tap',
  'uvu',
  '@playwright/test',
  'cypress',
  'supertest',
];
