import { fileURLToPath } from 'node:url';
import { stressDatabase, type StressDatabase } from '../../../runtime/stress/postgres.js';
import type { StressResult } from '../../../runtime/stress/types.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';

/**
 * The stress harness's database in the tests: the global setup's throwaway server named
 * `server` (or DATABASE_URL), stoppable through the setup's control endpoint.
 */
export async function stressTestDatabase(server: string): Promise<StressDatabase & { readonly test: TestDatabase }> {
  const test = await testDatabase({ server });
  const db = stressDatabase(
    test.url,
    test.controllable ? { stop: () => test.stop(), start: () => test.start(), destroy: () => test.close() } : undefined,
    test.controllable ? 'throwaway' : 'DATABASE_URL',
  );
  return Object.assign(db, { test });
}

/** `node` arguments that let the memory chaos's child run the TypeScript sources. */
export const TS_CHILD_ARGV = ['--import', fileURLToPath(new URL('./ts-register.mjs', import.meta.url))];

/** The failed checks, for a readable assertion message. */
export function failed(result: StressResult): string[] {
  return result.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
}

/**
 * Checks that fail because of a known defect outside the harness, kept visible in every result
 * (and in the command's exit code) but not failing the suite, each with what the tests assert
 * instead:
 *
 * - `limit:http/upstream`: when calls time out or the upstream's port closes and comes back,
 *   the kernel has shown up to 20 (35 after a partition) ESTABLISHED connections from
 *   createHttpClient's undici Pool to the upstream with `connections: 10`, while the client's
 *   own stats stay within 10. The tests still require the client's stats within the limit.
 */
export const KNOWN_FINDINGS: readonly string[] = ['limit:http/upstream'];

/** `failed(result)` less the known findings, after checking what stands in for them. */
export function failedBeyondKnown(result: StressResult): string[] {
  const http = result.resources.find((r) => r.kind === 'http' && r.name === 'upstream');
  const clientSide = http === undefined ? 0 : Math.max(0, ...http.samples.map((s) => s.inFlight));
  const problems = failed(result).filter((line) => !KNOWN_FINDINGS.some((name) => line.startsWith(`${name}:`)));
  if (http !== undefined && http.limit !== null && clientSide > http.limit) {
    problems.push(`the HTTP client's own stats showed ${clientSide} connections busy of ${http.limit}`);
  }
  return problems;
}
