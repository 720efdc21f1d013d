/**
 * Syntax errors in the files the prefilter rules out (cli/check-prefilter.ts): ESLint would
 * report each as a fatal message, so such a file is linted after all. TypeScript's parser
 * alone, with the script kind @typescript-eslint/typescript-estree picks (an eighth of what
 * ESLint's parse costs); on a worker thread of its own when there are enough files and the
 * CLI runs compiled, so that it overlaps the index pass and the lint.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';

/** As @typescript-eslint/typescript-estree picks it, with `ecmaFeatures.jsx` on. */
function scriptKind(file: string): ts.ScriptKind {
  switch (extname(file).toLowerCase()) {
    case '.js':
    case '.mjs':
    case '.cjs':
      return ts.ScriptKind.JS;
    case '.jsx':
      return ts.ScriptKind.JSX;
    case '.ts':
    case '.mts':
    case '.cts':
      return ts.ScriptKind.TS;
    default:
      return ts.ScriptKind.TSX;
  }
}

/** True when TypeScript's parser reports a syntax error in `text`, the text of `file`. */
export function hasSyntaxError(file: string, text: string): boolean {
  // JSDoc unparsed, as typescript-estree does without type information: it holds no syntax errors.
  const source = ts.createSourceFile(file, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, false, scriptKind(file));
  return (source as unknown as { parseDiagnostics: readonly unknown[] }).parseDiagnostics.length > 0;
}

/** The files among `files` that do not parse, or cannot be read (ESLint reports those too). */
export function syntaxErrorsIn(files: readonly string[]): string[] {
  return files.filter((file) => {
    try {
      return hasSyntaxError(file, readFileSync(file, 'utf8'));
    } catch {
      return true;
    }
  });
}

/** Below this many files, a thread's start-up (loading TypeScript) costs more than it saves. */
const FILES_FOR_A_THREAD = 100;

/** A syntax check that runs beside the caller: `check(files)` resolves to the files with errors. */
export interface SyntaxChecker {
  check(files: readonly string[]): Promise<string[]>;
  close(): void;
}

/**
 * Starts a checker: a worker thread (which loads TypeScript at once, while the caller goes on)
 * when `threaded` and the CLI runs compiled; otherwise the check runs in this thread.
 */
export function startSyntaxChecker(threaded: boolean, files: number): SyntaxChecker {
  const url = new URL('./check-syntax-worker.js', import.meta.url);
  if (!threaded || files < FILES_FOR_A_THREAD || !import.meta.url.endsWith('.js')) {
    return { check: async (list) => syntaxErrorsIn(list), close: () => {} };
  }
  let worker: Worker;
  try {
    worker = new Worker(url);
  } catch {
    return { check: async (list) => syntaxErrorsIn(list), close: () => {} };
  }
  worker.unref();
  return {
    check: (list) =>
      new Promise<string[]>((resolve) => {
        const done = (result: string[]): void => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(result);
        };
        const onMessage = (bad: string[]): void => done(bad);
        // The thread failed: check here instead.
        const onError = (): void => done(syntaxErrorsIn(list));
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.postMessage(list);
      }),
    close: () => void worker.terminate(),
  };
}
