/**
 * Probes: hot reload of a watched policy. It never fired for a symlinked file, nor for the
 * Kubernetes ConfigMap layout (policy.yaml → ..data/policy.yaml, ..data → ..<timestamp>, an
 * update renaming a new ..data link over the old one); a half-written but valid save was
 * applied live; and a failure other than an invalid file escaped into a timer. Now the watcher
 * follows links, applies an edit once the file has been quiet for `quietMs`, and keeps the
 * last good policy on any failure.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencyManager, type ManagerOptions, type ReloadEvent, type ReloadFailure, type SlidingWindow } from '../../runtime/index.js';
import { tempDir } from '../helpers/temp.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const managers: ConcurrencyManager[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

const at = (limit: number): string => `version: 1\nsemaphores:\n  stress: { limit: ${limit} }\n`;

function manage(file: string, options: ManagerOptions = {}): ConcurrencyManager {
  const manager = ConcurrencyManager.fromPolicy(file, { logger: quiet, env: {}, watch: true, ...options });
  managers.push(manager);
  return manager;
}

/** The next event a manager emits, or a rejection after `ms` (the bound on a test that fails). */
function next<T>(subscribe: (listener: (event: T) => void) => unknown, ms = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
    subscribe((event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

/** With setTimeout faked: yields to the event loop until the watcher has seen a change and armed its quiet timer. */
async function untilQuietTimerArmed(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (vi.getTimerCount() === 0) {
    if (Date.now() > deadline) throw new Error('the watcher saw no change within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The Kubernetes ConfigMap volume layout, as the kubelet's atomic writer makes and updates it. */
function configMap(text: string): { file: string; update(text: string): void } {
  const root = tempDir('bounded-configmap-');
  let generation = 0;
  let current: string | undefined;
  const update = (next: string): void => {
    const folder = `..2026_12_08_00_0${generation}_00.${1000 + generation}`;
    generation++;
    mkdirSync(join(root, folder));
    writeFileSync(join(root, folder, 'policy.yaml'), next);
    symlinkSync(folder, join(root, '..data_tmp'));
    renameSync(join(root, '..data_tmp'), join(root, '..data'));
    if (current !== undefined) rmSync(join(root, current), { recursive: true });
    current = folder;
  };
  update(text);
  symlinkSync(join('..data', 'policy.yaml'), join(root, 'policy.yaml'));
  return { file: join(root, 'policy.yaml'), update };
}

describe('hot reload follows links', () => {
  it('applies an edit of the file a symlinked policy points to', async () => {
    const real = join(tempDir('bounded-target-'), 'real.yaml');
    writeFileSync(real, at(4));
    const link = join(tempDir('bounded-link-'), 'bounded.policy.yaml');
    symlinkSync(real, link);
    const manager = manage(link, { quietMs: 10 });
    const stress = manager.semaphore('stress');
    const reloaded = next<ReloadEvent>((listener) => manager.onReload(listener));
    writeFileSync(real, at(8));
    expect((await reloaded).changes).toEqual(['semaphores.stress.limit 4 → 8']);
    expect(stress.limit).toBe(8);
    expect(manager.policy.source).toBe(link);
  });

  it('applies a Kubernetes ConfigMap update (..data swapped atomically), every time', async () => {
    const volume = configMap(at(4));
    const manager = manage(volume.file, { quietMs: 10 });
    const stress = manager.semaphore('stress');
    for (const limit of [8, 16]) {
      const reloaded = next<ReloadEvent>((listener) => manager.onReload(listener));
      volume.update(at(limit));
      await reloaded;
      expect(stress.limit).toBe(limit);
    }
  });

  it('applies a link re-pointed at another file', async () => {
    const folder = tempDir('bounded-link-');
    writeFileSync(join(folder, 'a.yaml'), at(4));
    writeFileSync(join(folder, 'b.yaml'), at(6));
    symlinkSync('a.yaml', join(folder, 'bounded.policy.yaml'));
    const manager = manage(join(folder, 'bounded.policy.yaml'), { quietMs: 10 });
    const stress = manager.semaphore('stress');
    const reloaded = next<ReloadEvent>((listener) => manager.onReload(listener));
    symlinkSync('b.yaml', join(folder, 'next.yaml'));
    renameSync(join(folder, 'next.yaml'), join(folder, 'bounded.policy.yaml'));
    await reloaded;
    expect(stress.limit).toBe(6);
  });
});

describe('hot reload waits for the file to be quiet', () => {
  it('applies an edit only once the file has been unchanged for quietMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const file = join(tempDir('bounded-quiet-'), 'bounded.policy.yaml');
    writeFileSync(file, at(4));
    const manager = manage(file, { quietMs: 250 });
    const stress = manager.semaphore('stress');
    writeFileSync(file, at(8));
    await untilQuietTimerArmed();
    vi.advanceTimersByTime(249);
    expect(stress.limit).toBe(4);
    vi.advanceTimersByTime(1);
    expect(stress.limit).toBe(8);
  });

  it('never applies a half-written save, even one that happens to be valid', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const file = join(tempDir('bounded-quiet-'), 'bounded.policy.yaml');
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress:\n    limit: 4\n');
    const manager = manage(file, { quietMs: 250 });
    const stress = manager.semaphore('stress');
    const applied: number[] = [];
    manager.onReload((event) => applied.push(event.policy.semaphores.stress!.limit));
    // The writer stops after "limit: 8" of "limit: 80": valid YAML, the wrong number.
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress:\n    limit: 8');
    await untilQuietTimerArmed();
    vi.advanceTimersByTime(200);
    appendFileSync(file, '0\n');
    for (let round = 0; round < 20 && applied.length === 0; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(250);
    }
    expect(applied).toEqual([80]);
    expect(stress.limit).toBe(80);
  });

  it('rejects a quietMs that is not a whole number of milliseconds', () => {
    const file = join(tempDir('bounded-quiet-'), 'bounded.policy.yaml');
    writeFileSync(file, at(4));
    expect(() => manage(file, { quietMs: -1 })).toThrow(/Expected `quietMs` to be a whole number of milliseconds/);
    expect(() => manage(file, { quietMs: 1.5 })).toThrow(TypeError);
  });
});

describe('hot reload keeps the last good policy on any failure', () => {
  it('a file that disappears is reported and the policy kept; its return applies', async () => {
    const file = join(tempDir('bounded-gone-'), 'bounded.policy.yaml');
    writeFileSync(file, at(4));
    const manager = manage(file, { quietMs: 10 });
    const stress = manager.semaphore('stress');
    const failed = next<ReloadFailure>((listener) => manager.onReloadError(listener));
    rmSync(file);
    expect((await failed).problems[0]).toMatchObject({ line: 1, column: 1, message: 'file not found' });
    expect(stress.limit).toBe(4);
    expect(manager.policy.semaphores.stress!.limit).toBe(4);
    const reloaded = next<ReloadEvent>((listener) => manager.onReload(listener));
    writeFileSync(file, at(5));
    await reloaded;
    expect(stress.limit).toBe(5);
  });

  it('an invalid edit seen by the watcher is reported with its location and changes nothing', async () => {
    const file = join(tempDir('bounded-bad-'), 'bounded.policy.yaml');
    writeFileSync(file, at(4));
    const manager = manage(file, { quietMs: 10 });
    const stress = manager.semaphore('stress');
    const failed = next<ReloadFailure>((listener) => manager.onReloadError(listener));
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress: { limit: 9 }\nconstructor: 1\n');
    expect((await failed).problems[0]).toMatchObject({ line: 4, column: 1, path: 'constructor' });
    expect(stress.limit).toBe(4);
  });

  it('a resource that refuses the new numbers part-way: what changed is put back, nothing throws', () => {
    const file = join(tempDir('bounded-apply-'), 'bounded.policy.yaml');
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress: { limit: 4 }\nrateLimits:\n  api: { rate: 10, per: 1s }\n');
    const errors: string[] = [];
    const manager = manage(file, { watch: false, logger: { ...quiet, error: (message) => errors.push(message) } });
    const stress = manager.semaphore('stress');
    const api = manager.limiter('api') as SlidingWindow;
    vi.spyOn(api, 'reconfigure').mockImplementationOnce(() => {
      throw new Error('reconfigure refused');
    });
    const failures: ReloadFailure[] = [];
    manager.onReloadError((failure) => failures.push(failure));
    writeFileSync(file, 'version: 1\nsemaphores:\n  stress: { limit: 9 }\nrateLimits:\n  api: { rate: 20, per: 1s }\n');
    expect(manager.reload()).toBe(false);
    expect(stress.limit).toBe(4);
    expect(api.limit).toBe(10);
    expect(manager.policy.semaphores.stress!.limit).toBe(4);
    expect(failures[0]!.problems[0]!.message).toBe('reconfigure refused');
    expect(errors[0]).toContain('kept the last good policy');
    // The next good edit applies in full.
    expect(manager.reload()).toBe(true);
    expect(stress.limit).toBe(9);
    expect(api.limit).toBe(20);
  });

  it('an entry removed from the file and then restored applies again', () => {
    const file = join(tempDir('bounded-restore-'), 'bounded.policy.yaml');
    const both = (limit: number, rate: number): string =>
      `version: 1\nsemaphores:\n  stress: { limit: ${limit} }\nrateLimits:\n  api: { rate: ${rate}, per: 1s }\n`;
    writeFileSync(file, both(4, 10));
    const manager = manage(file, { watch: false });
    const stress = manager.semaphore('stress');
    const api = manager.limiter('api') as SlidingWindow;
    writeFileSync(file, 'version: 1\n');
    expect(manager.reload()).toBe(true);
    expect([stress.limit, api.limit]).toEqual([4, 10]);
    writeFileSync(file, both(6, 30));
    expect(manager.reload()).toBe(true);
    expect([stress.limit, api.limit]).toEqual([6, 30]);
  });

  it('a listener that throws is logged; the reload and the other listeners go on', () => {
    const file = join(tempDir('bounded-listener-'), 'bounded.policy.yaml');
    writeFileSync(file, at(4));
    const errors: string[] = [];
    const manager = manage(file, { watch: false, logger: { ...quiet, error: (message) => errors.push(message) } });
    const stress = manager.semaphore('stress');
    const seen: number[] = [];
    manager.onReload(() => {
      throw new Error('listener bug');
    });
    manager.onReload((event) => seen.push(event.policy.semaphores.stress!.limit));
    writeFileSync(file, at(7));
    expect(manager.reload()).toBe(true);
    expect(stress.limit).toBe(7);
    expect(seen).toEqual([7]);
    expect(errors).toEqual([expect.stringContaining('an onReload listener threw: Error: listener bug') as unknown]);
  });
});
