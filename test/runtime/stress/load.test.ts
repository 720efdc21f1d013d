/**
 * `light` and the database and CPU chaos scenarios at short durations, against a real
 * PostgreSQL of this file's own (db-restart stops it), asserting every must-hold check the
 * harness makes: limits (the server's own connection count included), every operation
 * accounted for with a typed error, acknowledged writes present afterwards, recovery within
 * the stated bound, alerts raised exactly for the resources that crossed the warning level.
 *
 * Real load on a shared machine: durations are short and fixed; the bounds the checks use
 * (recovery within 5–10 s, settling within twice the longest deadline) are generous on purpose.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stressCommand } from '../../../cli/commands/stress.js';
import { runStress } from '../../../runtime/stress/harness.js';
import type { StressResult } from '../../../runtime/stress/types.js';
import { failedBeyondKnown, stressTestDatabase } from './helpers.js';

const DURATION_MS = 3_000;
/** Deadlines capped at 2 s, so stuck work surfaces (and settles) quickly. */
const MAX_TIMEOUT_MS = 2_000;
/**
 * A fast upstream (2–12 ms): with 100 closed-loop workers, the slowest dependency collects
 * most of them, and on a busy CI machine a 20 ms upstream behind 10 connections would queue
 * calls past their 2 s deadline (the heavy documented run shows that collapse).
 */
const HTTP_LATENCY_MS = 2;

let db: Awaited<ReturnType<typeof stressTestDatabase>>;

beforeAll(async () => {
  db = await stressTestDatabase('stress-db');
});

afterAll(async () => {
  await db?.close();
});

function run(options: Parameters<typeof runStress>[0]): Promise<StressResult> {
  return runStress({
    durationMs: DURATION_MS,
    maxTimeoutMs: MAX_TIMEOUT_MS,
    httpLatencyMs: HTTP_LATENCY_MS,
    seed: 7,
    database: db,
    ...options,
  });
}

function expectCommon(result: StressResult): void {
  expect(failedBeyondKnown(result)).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.totals.started).toBeGreaterThan(0);
  expect(result.totals.started).toBe(result.totals.succeeded + result.totals.failed);
  expect(result.database.maxServerConnections).toBeGreaterThan(0);
  expect(result.database.maxServerConnections).toBeLessThanOrEqual(result.database.poolMax);
}

describe('bounded stress', () => {
  it('light: 100 concurrent operations of every kind stay inside every limit', async () => {
    const result = await run({ level: 'light' });
    expectCommon(result);
    expect(result.meta).toMatchObject({ level: 'light', chaos: null, targetConcurrency: 100, seed: 7 });
    expect(result.operations.map((op) => op.kind).sort()).toEqual(['db-read', 'db-write', 'fanout', 'http', 'model']);
    // Under load a call may still miss its 2 s deadline on a busy machine, or be shed at once when
    // its deadline is shorter than its measured wait, or refused by the HTTP client's bounded
    // queue (a hung attempt is retried after attemptTimeoutMs): typed, and counted.
    for (const op of result.operations)
      for (const name of Object.keys(op.errors)) expect(['TimeoutError', 'LoadShedError', 'QueueFullError']).toContain(name);
    expect(result.database.acknowledgedWrites).toBeGreaterThan(0);
    // 100 workers against a pool of 20, 10 HTTP connections and 10 model permits: the monitor
    // warned for exactly those that crossed 80 % (the alerts-accurate check), and at least one did.
    expect(result.warnings.filter((w) => w.level === 'warning').length).toBeGreaterThan(0);
    const resources = Object.fromEntries(result.resources.map((r) => [`${r.kind}/${r.name}`, r]));
    expect(resources['pool/db']!.limit).toBe(20);
    expect(resources['pool/db']!.maxInFlight).toBeGreaterThan(0);
    expect(resources['pool/db']!.maxInFlight).toBeLessThanOrEqual(20);
    expect(resources['http/upstream']!.maxInFlight).toBeLessThanOrEqual(10);
    expect(resources['semaphore/fanout']!.limit).toBe(10);
    expect(resources['semaphore/fanout']!.maxInFlight).toBeLessThanOrEqual(10);
    expect(result.reference.inProcessOpsPerSec).toBeGreaterThan(0);
    expect(result.reference.loopbackHttpReqPerSec).toBeGreaterThan(0);
    expect(result.reference.dbSelectPerSec).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  }, 60_000);

  it('db-kill: every backend terminated mid-load; failures typed, writes durable, the pool recovers', async () => {
    const result = await run({ level: 'light', chaos: 'db-kill' });
    expectCommon(result);
    expect(result.faults).toHaveLength(1);
    expect(result.checks.map((c) => c.name)).toContain('recovered');
  }, 60_000);

  it.runIf(db === undefined || process.env.DATABASE_URL === undefined)(
    'db-restart: the server stopped and started mid-load; nothing lost, the pool recovers',
    async () => {
      const result = await run({ level: 'light', chaos: 'db-restart' });
      expectCommon(result);
      const errors = result.operations.filter((op) => op.kind.startsWith('db-')).flatMap((op) => Object.keys(op.errors));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((name) => ['PoolConnectionError', 'TimeoutError'].includes(name))).toBe(true);
    },
    60_000,
  );

  it('db-exhaust: another client holds all but 3 connections; the pool makes do and recovers', async () => {
    const result = await run({ level: 'light', chaos: 'db-exhaust' });
    expectCommon(result);
    expect(result.faults[0]!.name).toBe('db-exhaust');
  }, 90_000);

  it('cpu: event-loop blocks mid-load; limits hold and the monitor reports the delay', async () => {
    const result = await run({ level: 'light', chaos: 'cpu' });
    expect(failedBeyondKnown(result)).toEqual([]);
    const reported = result.checks.find((c) => c.name === 'event-loop-delay-reported');
    expect(reported?.ok, reported?.detail).toBe(true);
    expect(result.process.eventLoop.maxMs).toBeGreaterThanOrEqual(200);
    expect(Math.max(...result.process.samples.map((s) => s.eventLoopMaxMs))).toBeGreaterThan(50);
  }, 60_000);

  it('the command: summary on stdout, every figure in --json, an HTML report, a baseline, exit 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bounded-stress-cli-'));
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await stressCommand(
        [
          '--level',
          'light',
          '--duration',
          '2s',
          '--seed',
          '5',
          '--http-latency',
          '2',
          '--json',
          'run.json',
          '--report',
          'run.html',
          '--save-baseline',
          'base.json',
        ],
        { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } },
        dir,
      );
      const summary = out.join('');
      expect(err.join('')).toContain('database: DATABASE_URL');
      expect(code, summary).toBe(0);
      expect(summary).toMatch(/bounded stress: light, 2\.0 s load/);
      expect(summary).toContain('must hold:');
      expect(summary).toMatch(/checks (held|FAILED)/);
      const json = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as StressResult;
      expect(failedBeyondKnown(json), summary).toEqual([]);
      expect(json).toMatchObject({ meta: { level: 'light', seed: 5, durationMs: 2_000, database: 'DATABASE_URL' } });
      expect(await readFile(join(dir, 'run.html'), 'utf8')).toMatch(/^<!doctype html>/i);
      expect(JSON.parse(await readFile(join(dir, 'base.json'), 'utf8'))).toMatchObject({ kind: 'bounded-stress-baseline' });
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
