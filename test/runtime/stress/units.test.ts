/**
 * The harness's parts that need no database: window counting, percentiles, levels, the seeded
 * workload choices, the policy digest, the upstream's fault modes, the summary table, and the
 * CLI's argument checks. Deterministic.
 */
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../../policy/load.js';
import { stressCommand } from '../../../cli/commands/stress.js';
import { createHttpClient } from '../../../runtime/http/client.js';
import { isRetryExhaustedError } from '../../../runtime/http/errors.js';
import { isTimeoutError } from '../../../runtime/errors.js';
import { maxInWindow, policyDigest } from '../../../runtime/stress/harness.js';
import { LEVELS, peakConcurrency, seededRandom, targetConcurrency } from '../../../runtime/stress/levels.js';
import { LatencyLog, establishedTo, quantile } from '../../../runtime/stress/measure.js';
import { formatSummary } from '../../../runtime/stress/summary.js';
import { startUpstream } from '../../../runtime/stress/upstream.js';
import { sampleResult } from './report-fixture.js';

describe('maxInWindow', () => {
  it('counts the most times inside any half-open window', () => {
    expect(maxInWindow([], 1_000)).toBe(0);
    expect(maxInWindow([0, 999, 1_000, 1_999], 1_000)).toBe(2);
    expect(maxInWindow([0, 1, 2, 3, 1_002], 1_000)).toBe(4);
    expect(maxInWindow([0, 500, 999.9], 1_000)).toBe(3);
  });
});

describe('establishedTo', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:A001 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0100007F:A002 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
    '   2: 0100007F:A003 0100007F:1F90 04 00000000:00000000 00:00000000 00000000     0        0 3 1',
    '   3: 0100007F:1F90 0100007F:A001 01 00000000:00000000 00:00000000 00000000     0        0 4 1',
    '   4: 0100007F:A004 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 5 1',
  ].join('\n');

  it('counts the connecting side of ESTABLISHED connections to the port, nothing else', () => {
    // Port 8080 = 0x1F90: two established client sockets; one in FIN_WAIT1 (04), the server's
    // own side, and another port do not count.
    expect(establishedTo(8080, () => table)).toBe(2);
    expect(establishedTo(8081, () => table)).toBe(1);
  });

  it('is undefined where /proc/net/tcp cannot be read', () => {
    expect(
      establishedTo(8080, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });
});

describe('LatencyLog', () => {
  it('reports nearest-rank percentiles, max and mean', () => {
    const log = new LatencyLog();
    for (let i = 1; i <= 2_000; i++) log.add(i);
    expect(log.size).toBe(2_000);
    expect(log.figures()).toEqual({ p50: 1_000, p95: 1_900, p99: 1_980, max: 2_000, mean: 1_000.5 });
  });

  it('reports nulls when empty', () => {
    expect(new LatencyLog().figures()).toEqual({ p50: null, p95: null, p99: null, max: null, mean: null });
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('levels', () => {
  it('hold the plan numbers', () => {
    expect(LEVELS.light.concurrency).toBe(100);
    expect(LEVELS.medium.concurrency).toBe(500);
    expect(LEVELS.heavy.concurrency).toBe(1_000);
    expect(peakConcurrency(LEVELS.spike)).toBe(10 * LEVELS.spike.concurrency);
  });

  it('spike jumps to 10× suddenly and comes back', () => {
    const d = 10_000;
    expect(targetConcurrency(LEVELS.spike, 3_999, d)).toBe(100);
    expect(targetConcurrency(LEVELS.spike, 4_000, d)).toBe(1_000);
    expect(targetConcurrency(LEVELS.spike, 5_999, d)).toBe(1_000);
    expect(targetConcurrency(LEVELS.spike, 6_000, d)).toBe(100);
    expect(targetConcurrency(LEVELS.heavy, 5_000, d)).toBe(1_000);
  });

  it('the same seed makes the same choices', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('policyDigest', () => {
  it('is stable for one policy and changes with a limit', () => {
    const policy = defaultPolicy();
    expect(policyDigest(policy)).toBe(policyDigest(defaultPolicy()));
    expect(policyDigest(policy)).toMatch(/^[0-9a-f]{64}$/);
    const changed = { ...policy, defaults: { ...policy.defaults, concurrency: 11 } };
    expect(policyDigest(changed)).not.toBe(policyDigest(policy));
  });
});

describe('upstream', () => {
  it('answers, hangs, resets, and refuses connections while partitioned', async () => {
    const upstream = await startUpstream({ latencyMs: 1, jitterMs: 0 });
    const client = createHttpClient({ baseUrl: upstream.url, connections: 2, timeoutMs: 500, retries: 1 });
    try {
      const ok = await client.request('/work');
      expect(JSON.parse(await ok.body.text())).toMatchObject({ ok: true });

      upstream.setMode('hang');
      const hung = await client.request('/work').catch((error: unknown) => error);
      expect(isTimeoutError(hung)).toBe(true);

      upstream.setMode('reset');
      const reset = await client.request('/work').catch((error: unknown) => error);
      expect(isRetryExhaustedError(reset)).toBe(true);

      upstream.setMode('ok');
      await upstream.partition();
      expect(upstream.accepting).toBe(false);
      const refused = await client.request('/work').catch((error: unknown) => error);
      expect(isRetryExhaustedError(refused)).toBe(true);

      await upstream.heal();
      const again = await client.request('/work?ms=0');
      expect(again.statusCode).toBe(200);
      expect(upstream.stats()).toMatchObject({ hung: 1, answered: 2 });
      expect(upstream.stats().reset).toBeGreaterThanOrEqual(1);
    } finally {
      await client.destroy();
      await upstream.close();
    }
  });
});

describe('formatSummary', () => {
  it('prints operations, resources, figures and every check', () => {
    const result = sampleResult();
    const text = formatSummary(result);
    expect(text).toContain('bounded stress: ');
    for (const op of result.operations) expect(text).toContain(op.kind);
    for (const resource of result.resources) expect(text).toContain(`${resource.kind} ${resource.name}`);
    for (const check of result.checks) expect(text).toContain(check.name);
    expect(text).toMatch(/checks (held|FAILED)/);
  });
});

describe('bounded stress arguments', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } };
  };

  it.each([
    [['--level', 'hevy'], /unknown level "hevy" \(did you mean "heavy"\?\)/],
    [['--chaos', 'db-kil'], /unknown chaos scenario "db-kil" \(did you mean "db-kill"\?\)/],
    [['--duration', 'soon'], /--duration expects a duration/],
    [['--seed', '1.5'], /--seed expects an integer/],
    [['--repeat', '0'], /--repeat expects an integer/],
    [['--report', 'out.txt'], /--report expects a file ending in .html/],
    [['--nope'], /Unknown option '--nope'/],
  ])('refuses %j with a usage error', async (args, message) => {
    const { err, io: streams } = io();
    expect(await stressCommand(args, streams)).toBe(2);
    expect(err.join('')).toMatch(message);
  });
});
