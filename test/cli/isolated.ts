/**
 * Runs a piece of the project's own code in a child process with a deadline, for the hostile
 * input tests: code that spins (a backtracking RegExp) blocks the thread it runs in, so a test
 * in the same thread could not even time it out. The module and what it imports (relative
 * imports only) are transpiled into node_modules/.cache, where package imports still resolve.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface IsolatedRun {
  /** Finished within the deadline. */
  readonly finished: boolean;
  /** What `body` returned (JSON), when it finished. */
  readonly value?: unknown;
  /** Milliseconds the body took (as the child measured it), or the deadline when killed. */
  readonly ms: number;
  readonly stderr: string;
}

/**
 * Imports `entry` (a .ts path relative to the repository) as `m` in a fresh Node process and
 * runs `body` (the text of an async function body; `return` a JSON value). Killed after
 * `timeoutMs`.
 */
export function runIsolated(entry: string, body: string, timeoutMs: number): IsolatedRun {
  const dir = join(ROOT, 'node_modules', '.cache', `bounded-isolated-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  try {
    const pending = [normalize(entry)];
    const done = new Set<string>();
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (done.has(path)) continue;
      done.add(path);
      const text = readFileSync(join(ROOT, path), 'utf8');
      for (const match of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) {
        pending.push(normalize(join(dirname(path), `${match[1]!}.ts`)));
      }
      const { outputText } = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: path,
      });
      const out = join(dir, path.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const url = pathToFileURL(join(dir, entry.replace(/\.ts$/, '.js'))).href;
    const script = `const m = await import(${JSON.stringify(url)});\nconst started = performance.now();\nconst value = await (async () => {\n${body}\n})();\nprocess.stdout.write(JSON.stringify({ value, ms: performance.now() - started }));\n`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
    if (result.status !== 0 || result.stdout === '') return { finished: false, ms: timeoutMs, stderr: result.stderr ?? '' };
    const parsed = JSON.parse(result.stdout) as { value: unknown; ms: number };
    return { finished: true, value: parsed.value, ms: parsed.ms, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
