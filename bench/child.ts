import { fork } from 'node:child_process';
import type { Sample } from './suite.js';

/** What the runner asks a child (bench/worker.ts) to measure; passed as one JSON argument. */
export interface ChildRequest {
  readonly suite: string;
  readonly name: string;
  readonly scenario: string;
  readonly quick: boolean;
}

/** What a child sends back over IPC. */
export type ChildReply =
  | { readonly ok: true; readonly value: number; readonly extra: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly error: string };

export type ChildOutcome =
  | { readonly ok: true; readonly sample: Sample; readonly wallMs: number }
  | { readonly ok: false; readonly error: string; readonly wallMs: number; readonly output: string };

export interface ChildOptions {
  readonly execArgv?: readonly string[];
  readonly timeoutMs: number;
}

/** Keep only the end of a child's output: enough to show why it died. */
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Runs one measurement in a fresh `node` process and waits for its reply. Never rejects: a
 * crash, an out-of-memory abort or a timeout comes back as `{ ok: false, error }`.
 */
export function runChild(workerPath: string, request: ChildRequest, options: ChildOptions): Promise<ChildOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = fork(workerPath, [JSON.stringify(request)], {
      execArgv: [...(options.execArgv ?? [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });

    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    let reply: ChildReply | undefined;
    child.on('message', (message) => {
      reply = message as ChildReply;
    });

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);

    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (reply?.ok === true && code === 0) {
        resolve({ ok: true, sample: { value: reply.value, extra: reply.extra }, wallMs });
        return;
      }
      let error: string;
      if (timedOut) error = `timed out after ${formatSeconds(options.timeoutMs)}`;
      else if (reply?.ok === false) error = reply.error;
      else if (spawnError !== undefined) error = `could not start the child: ${spawnError.message}`;
      else error = describeExit(code, signal, output);
      resolve({ ok: false, error, wallMs, output });
    });
  });
}

/** Why a child ended without a reply, in words a reader of the table understands. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null, output: string): string {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(output)) {
    return 'out of memory (V8 heap limit reached)';
  }
  if (signal === 'SIGKILL') return 'killed by SIGKILL (out of memory?)';
  if (signal !== null) return `killed by ${signal}`;
  return `exited with code ${code ?? 'unknown'} without a result`;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
