import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { classifyFile, clearContextCache, defaultPolicy, parsePolicy, policyJsonSchema } from '../../policy/index.js';

const FILE = '/repo/bounded.policy.yaml';

function problems(text: string) {
  return parsePolicy(text, FILE, { env: {} }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

describe('lint.contexts', () => {
  it('defaults: tests skip blocking calls, deadlines, per-call connections, fan-outs and the background rules; scripts and examples skip no-sync-io-in-async, browser code the deadline, provider and fan-out rules, vendored and generated code every rule', () => {
    const contexts = defaultPolicy().lint.contexts;
    expect(contexts).toEqual({
      service: { files: [], skip: [] },
      test: {
        files: [],
        skip: [
          'no-sync-io-in-async',
          'require-timeout',
          'no-per-call-connection',
          'no-unbounded-concurrency',
          'no-handmade-timeout',
          'no-unmanaged-background-work',
        ],
      },
      script: { files: [], skip: ['no-sync-io-in-async', 'no-unmanaged-background-work'] },
      example: { files: [], skip: ['no-sync-io-in-async'] },
      browser: {
        files: [],
        skip: [
          'require-timeout',
          'no-unthrottled-provider-call',
          'no-unbounded-concurrency',
          'no-handmade-timeout',
          'no-unmanaged-background-work',
        ],
      },
      vendored: { files: [], skip: ['all'] },
      generated: { files: [], skip: ['all'] },
    });
  });

  it("adds the file's globs and replaces a skip list it states; an environment overlay may change both", () => {
    const text = [
      'version: 1',
      'lint:',
      '  contexts:',
      '    service: { files: ["test/server/**"] }',
      '    test: { files: ["**/fixtures/**"], skip: [] }',
      '    script: { skip: [no-sync-io-in-async, require-timeout] }',
      'environments:',
      '  ci:',
      '    lint:',
      '      contexts:',
      '        vendored: { files: ["deps/**"] }',
    ].join('\n');
    const result = parsePolicy(text, FILE, { env: {}, environment: 'ci' });
    expect(result.problems).toEqual([]);
    const contexts = result.policy!.lint.contexts;
    expect(contexts.service.files).toEqual(['test/server/**']);
    expect(contexts.test).toEqual({ files: ['**/fixtures/**'], skip: [] });
    expect(contexts.script.skip).toEqual(['no-sync-io-in-async', 'require-timeout']);
    expect(contexts.vendored).toEqual({ files: ['deps/**'], skip: ['all'] });
    expect(contexts.browser.skip).toEqual(defaultPolicy().lint.contexts.browser.skip);
  });

  it('reports unknown contexts, keys and malformed rule names with their place', () => {
    expect(
      problems(
        'version: 1\nlint:\n  contexts:\n    tests: { files: [a] }\n    script: { skip: [bounded/no-sync-io-in-async], file: [x] }\n',
      ),
    ).toEqual([
      '4:5 lint.contexts.tests: unknown key "tests" (did you mean "test"?)',
      '5:21 lint.contexts.script.skip[0]: expected a rule name without bounded/ ("no-sync-io-in-async") or "all", got "bounded/no-sync-io-in-async"',
      '5:52 lint.contexts.script.file: unknown key "file" (did you mean "files"?)',
    ]);
    expect(problems('version: 1\nlint:\n  contexts:\n    service: { skip: [all] }\n')).toEqual([
      '4:16 lint.contexts.service.skip: unknown key "skip"; expected one of files',
    ]);
  });

  it('is in the shipped JSON Schema, so editors complete and check it', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(policyJsonSchema());
    expect(validate({ version: 1, lint: { contexts: { browser: { files: ['web/**'], skip: ['require-timeout'] } } } })).toBe(true);
    expect(validate({ version: 1, lint: { contexts: { browser: { skip: ['bounded/require-timeout'] } } } })).toBe(false);
    expect(validate({ version: 1, lint: { contexts: { mobile: {} } } })).toBe(false);
  });
});

describe('classifyFile', () => {
  /** A project of these files (path → text) in a new temporary folder; returns "path: contexts — reasons" per file. */
  function classify(files: Record<string, string>): Record<string, string> {
    const root = mkdtempSync(join(tmpdir(), 'bounded-contexts-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    clearContextCache();
    const policy = defaultPolicy();
    return Object.fromEntries(
      Object.keys(files)
        .filter((path) => !path.endsWith('package.json'))
        .map((path) => {
          const found = classifyFile(join(root, path), files[path]!, policy, root);
          return [path, `${found.matches.map((m) => m.context).join(',')} — ${found.matches.map((m) => m.reason).join('; ')}`];
        }),
    );
  }

  const CODE = 'export async function run() {}\n';

  it("tests by a suffix of the project's own, an end-to-end folder, or a test framework's import; not a name that merely ends in test", () => {
    expect(
      classify({
        'web/src/__e2e__/api.servertest.ts': CODE,
        'web/src/features/grid/Cell.clienttest.tsx': CODE,
        'apps/api/e2e/users.e2e-spec.ts': CODE,
        'src/checks/health.ts': "import { describe, it } from 'vitest';\n" + CODE,
        'src/checks/node.ts': "import test from 'node:test';\n" + CODE,
        'src/releases/latest.ts': CODE,
        'src/contest.ts': CODE,
      }),
    ).toEqual({
      'web/src/__e2e__/api.servertest.ts': 'test — path matches **/*.*test.*',
      'web/src/features/grid/Cell.clienttest.tsx': 'test — path matches **/*.*test.*',
      'apps/api/e2e/users.e2e-spec.ts': 'test — path matches **/*.*spec.*',
      'src/checks/health.ts': 'test — imports vitest',
      'src/checks/node.ts': 'test — imports node:test',
      'src/releases/latest.ts': 'service — default: no pattern or marker of another context',
      'src/contest.ts': 'service — default: no pattern or marker of another context',
    });
  });

  it('examples, migrations, seeds, build files and code generators', () => {
    expect(
      classify({
        'examples/chat.ts': CODE,
        'libs/adapters/examples/fs.ts': CODE,
        'sdk-samples/digest.ts': CODE,
        'src/example.ts': CODE,
        'server/migrations/20240101-add.js': CODE,
        'db/seeders/users.js': CODE,
        'prisma/seed.ts': CODE,
        'src/seedling.ts': CODE,
        'build.js': CODE,
        'src/build-info.ts': CODE,
        'webpack.prod.js': CODE,
        'tools/codegen/emit.ts': CODE,
      }),
    ).toEqual({
      'examples/chat.ts': 'example — path matches **/examples/**',
      'libs/adapters/examples/fs.ts': 'example — path matches **/examples/**',
      'sdk-samples/digest.ts': 'example — path matches **/*-samples/**',
      'src/example.ts': 'service — default: no pattern or marker of another context',
      'server/migrations/20240101-add.js': 'script — path matches **/migrations/**',
      'db/seeders/users.js': 'script — path matches **/seeders/**',
      'prisma/seed.ts': 'script — path matches **/{seed,seeds}.{js,cjs,mjs,ts,cts,mts}',
      'src/seedling.ts': 'service — default: no pattern or marker of another context',
      'build.js': 'script — path matches **/{build,webpack,rollup,esbuild,vite}.{js,cjs,mjs,ts,cts,mts}',
      'src/build-info.ts': 'service — default: no pattern or marker of another context',
      'webpack.prod.js': 'script — path matches **/{webpack,rollup,esbuild,vite}.*.{js,cjs,mjs,ts,cts,mts}',
      'tools/codegen/emit.ts': 'script — path matches **/codegen/**',
    });
  });

  it('files a package.json script runs, and the files of a CLI package; not a library that depends on a CLI framework', () => {
    expect(
      classify({
        'app/package.json': JSON.stringify({
          scripts: { build: 'node ./assets.js && tsc', make: 'tsx src/gen.ts --out x' },
          dependencies: { express: '5' },
        }),
        'app/assets.js': CODE,
        'app/src/gen.ts': CODE,
        'app/src/server.ts': CODE,
        'tool/package.json': JSON.stringify({ private: true, dependencies: { commander: '14' } }),
        'tool/src/generator.ts': CODE,
        'lib/package.json': JSON.stringify({ main: 'dist/index.js', dependencies: { commander: '14' } }),
        'lib/src/generator.ts': CODE,
        'svc/package.json': JSON.stringify({ private: true, dependencies: { commander: '14', fastify: '5' } }),
        'svc/src/routes.ts': CODE,
      }),
    ).toEqual({
      'app/assets.js': 'script — package.json script "build" runs it',
      'app/src/gen.ts': 'script — package.json script "make" runs it',
      'app/src/server.ts': 'service — default: no pattern or marker of another context',
      'tool/src/generator.ts':
        'script — CLI package: its package.json depends on commander, exports nothing and depends on no server package',
      'lib/src/generator.ts': 'service — default: no pattern or marker of another context',
      'svc/src/routes.ts': 'service — default: no pattern or marker of another context',
    });
  });

  it('UI modules of a package that also serves (React and Koa): not under server/, not importing the server', () => {
    const pkg = JSON.stringify({ dependencies: { koa: '3', react: '19', 'react-dom': '19' } });
    expect(
      classify({
        'package.json': pkg,
        'app/components/Doc.tsx': "import * as React from 'react';\nimport stores from '~/stores';\nexport const Doc = () => null;\n",
        'app/scenes/Home.tsx': "import Flex from '@shared/components/Flex';\nexport const Home = () => <Flex />;\n",
        'app/hooks/useItems.ts': "import { useEffect } from 'react';\nimport client from '~/utils/ApiClient';\n",
        'app/stores/Items.ts': "import { observable } from 'mobx';\nimport client from '~/utils/ApiClient';\n",
        'app/utils/types.tsx': 'export type Id = string;\n',
        'emails/Welcome.tsx': "import { User } from '@server/models';\nexport const W = () => <p />;\n",
        'app/render.tsx': "import type { Context } from 'koa';\nimport * as React from 'react';\n",
        'app/read.tsx': "import fs from 'node:fs';\nexport const R = () => <p />;\n",
        'server/emails/Invite.tsx': "import * as React from 'react';\nexport const I = () => <p />;\n",
        'server/editor/View.tsx': "import { flushSync } from 'react-dom';\n",
        'server/converters/html.ts': "export const all = () => document.querySelectorAll('a');\n",
        'web/page.tsx': "import { createRoot } from 'react-dom/client';\n",
        'app/Names.tsx': "import { Client } from 'pg';\nexport const N = () => <ul />;\n",
        'app/Summaries.tsx': "import type { Anthropic } from '@anthropic-ai/sdk';\nexport const S = () => <ul />;\n",
      }),
    ).toEqual({
      'app/components/Doc.tsx': "browser — UI module: imports react and nothing of a server's",
      'app/scenes/Home.tsx': "browser — UI module: JSX and no import of a server's",
      'app/hooks/useItems.ts': "browser — UI module: imports react and nothing of a server's",
      'app/stores/Items.ts': 'service — default: no pattern or marker of another context',
      'app/utils/types.tsx': 'service — default: no pattern or marker of another context',
      'emails/Welcome.tsx': 'service — default: no pattern or marker of another context',
      'app/render.tsx': 'service — default: no pattern or marker of another context',
      'app/read.tsx': 'service — default: no pattern or marker of another context',
      'server/emails/Invite.tsx': 'service — default: no pattern or marker of another context',
      'server/editor/View.tsx': 'service — default: no pattern or marker of another context',
      'server/converters/html.ts': 'service — default: no pattern or marker of another context',
      'web/page.tsx': 'browser — imports react-dom/client',
      'app/Names.tsx': 'service — default: no pattern or marker of another context',
      'app/Summaries.tsx': 'service — default: no pattern or marker of another context',
    });
  });

  it('no guess from React in a full-stack framework: its server components import React too', () => {
    expect(
      classify({
        'package.json': JSON.stringify({ dependencies: { next: '15', react: '19' } }),
        'app/page.tsx': "import { Suspense } from 'react';\nexport default function Page() { return <Suspense />; }\n",
        'app/view.tsx': "'use client';\nimport { useState } from 'react';\n",
      }),
    ).toEqual({
      'app/page.tsx': 'service — default: no pattern or marker of another context',
      'app/view.tsx': "browser — 'use client' directive",
    });
  });
});
