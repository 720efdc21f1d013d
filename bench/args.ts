import { parseArgs } from 'node:util';

export const DEFAULT_REPS = 3;

export interface BenchOptions {
  readonly suite: string;
  /** Standard output holds only JSON lines, one per figure. */
  readonly json: boolean;
  /** Repetitions of every measurement, interleaved. */
  readonly reps: number;
  /** Smaller counts, for a smoke test. */
  readonly quick: boolean;
  /** Run only measurements whose `name @ scenario` contains this (plus their baselines). */
  readonly filter: string | undefined;
  /** One-shot suites (`precision`): list the details behind the figures. */
  readonly verbose?: boolean;
  /** One-shot suites (`precision`): lint with type information. */
  readonly typed?: boolean;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: BenchOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export function usage(suites: readonly string[]): string {
  return [
    'Usage: npm run bench -- <suite> [--json] [--reps N] [--quick] [--filter TEXT] [--verbose] [--typed]',
    '',
    `Suites: ${suites.join(', ')}`,
    '',
    'Options:',
    '  --json         standard output holds only JSON lines, one per figure',
    `  --reps N       repetitions of every measurement, interleaved (default ${DEFAULT_REPS})`,
    '  --quick        smaller counts, for a smoke test (figures not comparable)',
    '  --filter TEXT  only measurements whose "name @ scenario" contains TEXT, plus their baselines',
    '                 (precision: only corpus files whose path contains TEXT)',
    '  --verbose      precision: list every missed hazard and every false positive',
    '  --typed        precision: lint with type information',
    '  -h, --help     show this help',
    '',
    'Every measurement runs in a fresh child process, one at a time; the table shows medians',
    'with min and max. Progress goes to standard error.',
  ].join('\n');
}

/**
 * Parses the arguments after `node dist/bench/cli.js`. Pure: errors come back as values, the
 * caller decides how to print them and which exit code to use.
 */
export function parseBenchArgs(argv: readonly string[], suites: readonly string[], plannedSuites: readonly string[] = []): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        reps: { type: 'string' },
        quick: { type: 'boolean', default: false },
        filter: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        typed: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };

  const [suite, ...rest] = positionals;
  if (suite === undefined) return { kind: 'error', message: 'Missing the suite to run.' };
  if (rest.length > 0) return { kind: 'error', message: `Unexpected argument '${rest[0]}'.` };
  if (!suites.includes(suite)) {
    const known = `Available suites: ${suites.join(', ')}.`;
    return plannedSuites.includes(suite)
      ? { kind: 'error', message: `Suite '${suite}' is not implemented yet. ${known}` }
      : { kind: 'error', message: `Unknown suite '${suite}'. ${known}` };
  }

  let reps = DEFAULT_REPS;
  if (values.reps !== undefined) {
    reps = Number(values.reps);
    if (!/^\d+$/.test(values.reps) || !Number.isSafeInteger(reps) || reps < 1) {
      return { kind: 'error', message: `Expected --reps to be a positive integer, got '${values.reps}'.` };
    }
  }

  const filter = values.filter === '' ? undefined : values.filter;
  return {
    kind: 'run',
    options: {
      suite,
      json: values.json === true,
      reps,
      quick: values.quick === true,
      filter,
      ...(values.verbose === true ? { verbose: true } : {}),
      ...(values.typed === true ? { typed: true } : {}),
    },
  };
}
