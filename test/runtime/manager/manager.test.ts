import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurrencyManager, Semaphore, SlidingWindow, TokenBucket, type ReloadFailure } from '../../../runtime/index.js';
import { PolicyError, parsePolicy } from '../../../policy/index.js';
import { tempDir } from '../../helpers/temp.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const managers: ConcurrencyManager[] = [];

function policyFile(text: string): string {
  const file = join(tempDir('bounded-manager-'), 'bounded.policy.yaml');
  writeFileSync(file, text);
  return file;
}

function manage(file: string, options: Parameters<typeof ConcurrencyManager.fromPolicy>[1] = {}): ConcurrencyManager {
  const manager = ConcurrencyManager.fromPolicy(file, { logger: quiet, env: {}, ...options });
  managers.push(manager);
  return manager;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

describe('ConcurrencyManager builds named resources from the policy', () => {
  const text = `version: 1
semaphores:
  stress: { limit: 3, maxQueue: 7 }
rateLimits:
  search: { algorithm: token-bucket, rate: 5, per: 1s, burst: 2 }
`;

  it("builds each name once, with the policy's numbers", () => {
    const manager = manage(policyFile(text));
    const stress = manager.semaphore('stress');
    expect(stress).toBeInstanceOf(Semaphore);
    expect(stress.limit).toBe(3);
    expect(stress.maxQueue).toBe(7);
    expect(stress.name).toBe('stress');
    expect(manager.semaphore('stress')).toBe(stress);
    const search = manager.limiter('search');
    expect(search).toBeInstanceOf(TokenBucket);
    expect((search as TokenBucket).burst).toBe(2);
    const openai = manager.limiter('openai');
    expect(openai).toBeInstanceOf(SlidingWindow);
    expect((openai as SlidingWindow).limit).toBe(60);
    expect((openai as SlidingWindow).perMs).toBe(60_000);
  });

  it('refuses an unknown name, listing the known ones (no silent unbounded default)', () => {
    const manager = manage(policyFile(text));
    expect(() => manager.semaphore('strees')).toThrow(
      /No semaphore named "strees" in semaphores of .*bounded\.policy\.yaml \(did you mean "stress"\?\); known: stress/,
    );
    expect(() => manager.limiter('mistral')).toThrow(
      /known: openai, anthropic, slack, discord, telegram, line, resend, stripe, github, expo, notion, search/,
    );
    expect(() => manager.pool('main')).toThrow(/none are defined: add it under pools:/);
  });

  it("tells which environment variable a pool's connection string is missing", () => {
    const text = 'version: 1\npools:\n  main: { connectionString: env:BOUNDED_TEST_UNSET_URL }\n';
    expect(() => manage(policyFile(text))).toThrow(
      /bounded\.policy\.yaml:3:29: pools\.main\.connectionString: BOUNDED_TEST_UNSET_URL is not set in this environment/,
    );
    // A policy loaded for a tool that never connects keeps the reference; the pool still refuses.
    const manager = ConcurrencyManager.fromPolicy(parsePolicy(text, 'inline.yaml', { env: {} }).policy, { logger: quiet });
    managers.push(manager);
    expect(() => manager.pool('main')).toThrow(/pools\.main\.connectionString is env:BOUNDED_TEST_UNSET_URL, which is not set/);
  });

  it('lists what it built and announces new resources', () => {
    const manager = manage(policyFile(text));
    const seen: string[] = [];
    manager.onResource(({ kind, name }) => seen.push(`${kind}:${name}`));
    manager.semaphore('stress');
    manager.limiter('openai');
    manager.semaphore('stress');
    expect(seen).toEqual(['semaphore:stress', 'limiter:openai']);
    expect([...manager.resources()].map(({ kind, name }) => `${kind}:${name}`)).toEqual(['semaphore:stress', 'limiter:openai']);
  });

  it('works with no file at all, from the embedded defaults', () => {
    const manager = ConcurrencyManager.fromPolicy(parsePolicy('version: 1\n', 'inline.yaml', { env: {} }).policy, { logger: quiet });
    managers.push(manager);
    expect((manager.limiter('anthropic') as SlidingWindow).limit).toBe(50);
  });

  it('throws a PolicyError for an invalid file', () => {
    expect(() => manage(policyFile('version: 1\nsemaphores:\n  a: { limit: 0 }\n'))).toThrow(PolicyError);
  });

  it('close() closes what it built: waiters are refused', async () => {
    const manager = manage(policyFile(text));
    const stress = manager.semaphore('stress');
    const held = [await stress.acquire(), await stress.acquire(), await stress.acquire()];
    // The handler is attached before close() refuses the waiter: close() may take more than one
    // turn of the event loop, and a rejection nobody handles for a turn is an unhandled one.
    const refused = expect(stress.acquire()).rejects.toMatchObject({ name: 'ClosedError' });
    await manager.close();
    await refused;
    held.forEach((permit) => permit.release());
    expect(() => manager.semaphore('stress')).not.toThrow();
    expect(() => manager.semaphore('other')).toThrow(/closed/);
  });
});

describe('hot reload', () => {
  const at = (limit: number) => `version: 1\nsemaphores:\n  stress: { limit: ${limit} }\n`;

  it('under load: raising 10 → 50 and lowering to 5 never starts work above the limit in force, and loses nothing', async () => {
    const file = policyFile(at(10));
    const manager = manage(file);
    const stress = manager.semaphore('stress');
    let inFlight = 0;
    let violations = 0;
    let peakAfterRaise = 0;
    let done = 0;
    const ops = Array.from({ length: 1_000 }, () =>
      stress.run(async () => {
        inFlight++;
        if (inFlight > stress.limit) violations++;
        peakAfterRaise = Math.max(peakAfterRaise, inFlight);
        await tick();
        await tick();
        inFlight--;
        done++;
      }),
    );
    expect(stress.waiting).toBe(990);
    writeFileSync(file, at(50));
    expect(manager.reload()).toBe(true);
    expect(stress.limit).toBe(50);
    expect(stress.inUse).toBe(50);
    await tick();
    writeFileSync(file, at(5));
    expect(manager.reload()).toBe(true);
    expect(stress.limit).toBe(5);
    await Promise.all(ops);
    expect(done).toBe(1_000);
    expect(violations).toBe(0);
    expect(peakAfterRaise).toBe(50);
    expect(stress.inUse).toBe(0);
    expect(stress.waiting).toBe(0);
  });

  it('keeps the last good policy when the edit is invalid, and reports it with its location', () => {
    const file = policyFile(at(10));
    const errors: string[] = [];
    const manager = manage(file, { logger: { ...quiet, error: (message) => errors.push(message) } });
    const stress = manager.semaphore('stress');
    const failures: ReloadFailure[] = [];
    manager.onReloadError((failure) => failures.push(failure));
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress: { limit: -3 }\n');
    expect(manager.reload()).toBe(false);
    expect(stress.limit).toBe(10);
    expect(manager.policy.semaphores.stress!.limit).toBe(10);
    expect(failures[0]!.problems[0]).toMatchObject({ line: 3, column: 20, path: 'semaphores.stress.limit' });
    expect(errors[0]).toContain('kept the last good policy');
  });

  it('reconfigures limiters live and reports what changed', () => {
    const file = policyFile('version: 1\nrateLimits:\n  openai: { rate: 60, per: 1m }\n');
    const manager = manage(file);
    const openai = manager.limiter('openai') as SlidingWindow;
    const changes: string[][] = [];
    manager.onReload((event) => changes.push([...event.changes]));
    writeFileSync(file, 'version: 1\nrateLimits:\n  openai: { rate: 30, per: 1m, spacing: even }\n');
    manager.reload();
    expect(openai.limit).toBe(30);
    expect(openai.spacing).toBe('even');
    expect(changes[0]).toEqual(['rateLimits.openai.rate 60 → 30', 'rateLimits.openai.spacing burst → even']);
  });

  it('says which changes wait for a restart', () => {
    const file = policyFile('version: 1\nrateLimits:\n  openai: { rate: 60, per: 1m }\n');
    const warnings: string[] = [];
    const manager = manage(file, { logger: { ...quiet, warn: (message) => warnings.push(message) } });
    manager.limiter('openai');
    writeFileSync(file, 'version: 1\nrateLimits:\n  openai: { rate: 60, per: 1m, algorithm: token-bucket }\n');
    manager.reload();
    expect(warnings).toEqual(['bounded: rateLimits.openai.algorithm sliding-window → token-bucket applies after a restart']);
  });

  it('watch: true reloads when the file changes on disk', async () => {
    const file = policyFile(at(4));
    const manager = manage(file, { watch: true, quietMs: 20 });
    const stress = manager.semaphore('stress');
    const reloaded = new Promise<void>((resolve) => manager.onReload(() => resolve()));
    writeFileSync(file, at(8));
    await reloaded;
    expect(stress.limit).toBe(8);
  });
});
