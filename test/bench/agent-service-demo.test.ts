// The before/after demonstration on fixtures/agent-service, at the light level: the hazardous
// copy breaks the limits, the copy `bounded migrate` rewrote holds them. Real PostgreSQL, real
// fake provider and upstream on 127.0.0.1; it runs the built demo (npm ci builds dist) in a
// child process so that the migrated copy and the driver share one @bounded/runtime instance.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../bench/demo/agent-service.js';
import { testDatabase } from '../helpers/postgres.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = `${ROOT}dist/bench/demo/agent-service.js`;

describe('agent-service before and after bounded migrate (light level)', () => {
  it('the hazardous copy exceeds the pool, the provider and the fan-out limit; the migrated copy holds all three', async () => {
    expect(existsSync(DEMO), `${DEMO} is missing: run npm run build`).toBe(true);
    const database = await testDatabase();
    const { stdout } = await run(process.execPath, [DEMO, '--level', 'light', '--json'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url },
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(stdout) as DemoResult;
    const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    expect(byName['before-exceeds-connections']!.ok, byName['before-exceeds-connections']!.detail).toBe(true);
    expect(byName['before-exceeds-provider']!.ok, byName['before-exceeds-provider']!.detail).toBe(true);
    expect(byName['before-unbounded-fan-out']!.ok, byName['before-unbounded-fan-out']!.detail).toBe(true);
    expect(result.after.database.maxServerConnections).toBeLessThanOrEqual(result.limits.poolMax);
    expect(result.after.database.failed).toBe(0);
    expect(result.after.fanOut.peakActive).toBeLessThanOrEqual(result.limits.fanOut);
    expect(result.after.provider.failed).toBe(0);
    expect(byName['after-holds-provider']!.ok, byName['after-holds-provider']!.detail).toBe(true);
    expect(result.ok).toBe(true);
  }, 300_000);
});
