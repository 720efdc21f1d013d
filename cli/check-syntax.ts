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
  const source = ts.createSourceFile(
    file,
    text,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    false,
    scriptKind(file),
  );
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

/**
 * Below this many files, a thread's start-up (loading TypeScript) costs more than it saves: on
 * the lint bench (530 spared files, 2 busy cores) the thread made the run 0 to 20 % slower.
 */
const FILES_FOR_A_THREAD = 1000;
/** Files per share of the work the two threads take turns at. */
export const SYNTAX_CHUNK = 16;

/** What the thread is sent: the files, and the shared counter of the next chunk to take. */
export interface SyntaxWork {
  readonly files: readonly string[];
  readonly next: Int32Array;
}

/** What the thread answers for each chunk it took. */
export interface SyntaxChunkDone {
  readonly chunk: number;
  readonly bad: readonly string[];
}

/** Takes chunks of `files` off the shared counter until none is left; `done` gets each chunk's files with errors. */
export function takeChunks(files: readonly string[], next: Int32Array, done: (chunk: number, bad: string[]) => void): void {
  for (;;) {
    const chunk = Atomics.add(next, 0, 1);
    const part = files.slice(chunk * SYNTAX_CHUNK, (chunk + 1) * SYNTAX_CHUNK);
    if (part.length === 0) return;
    done(chunk, syntaxErrorsIn(part));
  }
}

/** A check under way: `finish()` (after the caller's own work) helps with what is left and resolves to the files with errors. */
export interface SyntaxCheck {
  finish(): Promise<string[]>;
}

/** A checker that may run beside the caller. */
export interface SyntaxChecker {
  start(files: readonly string[]): SyntaxCheck;
  close(): void;
}

const inThisThread: SyntaxChecker = {
  start: (files) => ({ finish: () => Promise.resolve(syntaxErrorsIn(files)) }),
  close: () => {},
};

/**
 * Starts a checker: a worker thread (which loads TypeScript at once, while the caller goes on)
 * when `threaded`, there are enough files and the CLI runs compiled; otherwise the check runs
 * in this thread. The two threads share the work chunk by chunk: when the caller is done with
 * its own work it takes the chunks the thread has not, so a thread that starts late (a busy
 * machine) never holds the run up by more than one chunk.
 */
export function startSyntaxChecker(threaded: boolean, files: number): SyntaxChecker {
  if (!threaded || files < FILES_FOR_A_THREAD || !import.meta.url.endsWith('.js')) return inThisThread;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./check-syntax-worker.js', import.meta.url));
  } catch {
    return inThisThread;
  }
  worker.unref();
  let failed = false;
  worker.on('error', () => (failed = true));
  return {
    start(list) {
      if (failed) return inThisThread.start(list);
      const next = new Int32Array(new SharedArrayBuffer(4));
      const chunks = Math.ceil(list.length / SYNTAX_CHUNK);
      const bad: string[] = [];
      const done = new Set<number>();
      let settle: (() => void) | undefined;
      const onDone = (chunk: number, found: readonly string[]): void => {
        done.add(chunk);
        bad.push(...found);
        if (done.size >= chunks) settle?.();
      };
      const onMessage = (message: SyntaxChunkDone): void => onDone(message.chunk, message.bad);
      const onError = (): void => settle?.();
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ files: list, next } satisfies SyntaxWork);
      return {
        async finish() {
          takeChunks(list, next, onDone);
          if (done.size < chunks && !failed) await new Promise<void>((resolve) => (settle = resolve));
          worker.off('message', onMessage);
          worker.off('error', onError);
          // The thread died: check here what it took and did not answer for.
          for (let chunk = 0; chunk < chunks; chunk++) {
            if (!done.has(chunk)) bad.push(...syntaxErrorsIn(list.slice(chunk * SYNTAX_CHUNK, (chunk + 1) * SYNTAX_CHUNK)));
          }
          return bad;
        },
      };
    },
    close: () => void worker.terminate(),
  };
}
