/**
 * Graceful shutdown under load, in a real child process: SIGTERM mid-load, and the child must
 * account for every operation (started = succeeded + failed, nothing left in flight), refuse
 * the queued ones with ClosedError, let the ones in flight finish, and exit 0 within drainMs + 1 s.
 * Real time; the only timing asserted is that upper bound.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdownOn } from '../../../runtime/index.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { TS_CHILD_ARGV } from '../stress/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bounded-shutdown-'));
const TABLE = `shutdown_writes_${process.pid}`;
let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase();
  await db.query(`drop table if exists ${TABLE}`);
  await db.query(`create table ${TABLE} (id int primary key)`);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.query(`drop table if exists ${TABLE}`).catch(() => undefined);
  await db?.close();
});

interface ChildReport {
  started: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  errors: Record<string, number>;
  tasksFinishedAfterSignal: number;
  acknowledged: number[];
  closeErrors: number;
  closedAfterMs: number;
}

describe('shutdownOn', () => {
  it('SIGTERM mid-load: queued work refused with ClosedError, work in flight finishes, every operation accounted for, no acknowledged write lost, exit 0 within drainMs + 1 s', async () => {
    const policy = join(dir, 'bounded.policy.yaml');
    writeFileSync(
      policy,
      `version: 1\nsemaphores:\n  work: { limit: 4, maxQueue: 100 }\npools:\n  main: { connectionString: "${db.url}", min: 0, max: 3 }\n`,
    );
    const drainMs = 1_000;
    const child = spawn(
      process.execPath,
      [...TS_CHILD_ARGV, fileURLToPath(new URL('./shutdown-child.ts', import.meta.url)), policy, String(drainMs), TABLE],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!out.includes('ready\n')) {
      if (child.exitCode !== null) throw new Error(`child exited early: ${err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = performance.now() - signalled;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(drainMs + 1_000);
    const report = JSON.parse(out.split('\n').find((line) => line.startsWith('{'))!) as ChildReport;
    expect(report.closeErrors).toBe(0);
    expect(report.inFlight).toBe(0);
    expect(report.started).toBe(report.succeeded + report.failed);
    // Every worker stopped on a ClosedError: the queued ones at once, the rest on their next call.
    expect(report.errors).toEqual({ ClosedError: 30 });
    // The 4 tasks running at the signal finished (100 ms each, well within drainMs).
    expect(report.tasksFinishedAfterSignal).toBe(4);
    // Every write the database acknowledged is there.
    expect(report.acknowledged.length).toBeGreaterThan(0);
    const { rows } = await db.query<{ id: number }>(`select id from ${TABLE} order by id`);
    const stored = new Set(rows.map((row) => row.id));
    expect(report.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const { acknowledged, ...counts } = report;
    console.log(`shutdown: ${JSON.stringify(counts)}, ${acknowledged.length} writes acknowledged; exit after ${Math.round(tookMs)} ms`);
  }, 30_000);

  it('validates its arguments and can be disposed', () => {
    expect(() => shutdownOn([], [])).toThrow(/`signals`/);
    expect(() => shutdownOn(['SIGTERM'], [{} as never])).toThrow(/`resources`/);
    expect(() => shutdownOn(['SIGTERM'], [], { drainMs: 2 ** 31 })).toThrow(
      new TypeError('Expected `drainMs` to be a number of milliseconds in [0, 2147483647], got 2147483648'),
    );
    const before = process.listenerCount('SIGUSR2');
    const handle = shutdownOn(['SIGUSR2'], [], { exit: false });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    handle[Symbol.dispose]();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});
