import { suggest } from '@bounded/policy';
import type { Io } from './io.js';
import { packageInfo } from './package-info.js';

export type { Io } from './io.js';

interface LoadedCommand {
  readonly run: (args: readonly string[], io: Io, cwd: string) => Promise<number>;
  /** Full help for `bounded <command> --help`. */
  readonly help: string;
}

interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /**
   * Loads the command's module on first use: `bounded migrate` then never pays for loading
   * ESLint (check), pg (db) or the stress harness, which took seconds before any work began.
   */
  readonly load: () => Promise<LoadedCommand>;
}

const COMMANDS: readonly Command[] = [
  {
    name: 'check',
    usage: 'bounded check [paths] [--format stylish|json|sarif] [--policy FILE] [--typed] [--list-contexts] [--debug]',
    summary: 'Lint code for unbounded fan-outs, per-call connections, missing timeouts and unthrottled provider calls',
    load: async () => {
      const { CHECK_USAGE, checkCommand } = await import('./commands/check.js');
      return { run: checkCommand, help: CHECK_USAGE };
    },
  },
  {
    name: 'migrate',
    usage: 'bounded migrate [paths] [--transform a,b] [--dry-run] [--diff] [--check] [--verify] [--json FILE] [--workers N] [--force]',
    summary: "Rewrite flagged code onto bounded's runtime with codemods",
    load: async () => {
      const { MIGRATE_USAGE, migrateCommand } = await import('./commands/migrate.js');
      return { run: migrateCommand, help: MIGRATE_USAGE };
    },
  },
  {
    name: 'stress',
    usage:
      'bounded stress [--level light|medium|heavy|spike|soak] [--duration 30s] [--chaos NAME] [--json FILE] [--report FILE.html] [--compare FILE]',
    summary: "Run the load, chaos and regression suite against the policy's limits",
    load: async () => {
      const { STRESS_USAGE, stressCommand } = await import('./commands/stress.js');
      return { run: stressCommand, help: STRESS_USAGE };
    },
  },
  {
    name: 'policy',
    usage: 'bounded policy init|validate|show [FILE]',
    summary: 'Write, validate or print bounded.policy.yaml',
    load: async () => {
      const { POLICY_USAGE, policyCommand } = await import('./commands/policy.js');
      return { run: policyCommand, help: POLICY_USAGE };
    },
  },
  {
    name: 'db',
    usage: 'bounded db init [--url URL] [--schema NAME] [--print-sql]',
    summary: "Create the PostgreSQL store's schema and tables for shared limits",
    load: async () => {
      const { DB_USAGE, dbCommand } = await import('./commands/db.js');
      return { run: dbCommand, help: DB_USAGE };
    },
  },
];

export function helpText(): string {
  const { version } = packageInfo();
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = [
    `bounded ${version} — keep Node/TypeScript services inside their concurrency and resource limits`,
    '',
    'Usage: bounded <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (for a command: bounded <command> --help)',
    '  -v, --version  Print the version',
    '',
    'Policy: bounded.policy.yaml, found by walking up from the current directory;',
    '--policy FILE or BOUNDED_POLICY override it; with none, the embedded defaults apply.',
    '',
  ];
  return lines.join('\n');
}

/**
 * Runs the CLI and returns its exit code: 0 success, 1 findings or failure, 2 usage error
 * (and, for check, an internal error). `cwd` is where paths and the policy are looked up.
 */
export async function main(argv: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(helpText());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${packageInfo().version}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) {
    const hint = suggest(
      first,
      COMMANDS.map((candidate) => candidate.name),
    );
    io.stderr.write(
      `bounded: unknown command "${first}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}\n` +
        `Run "bounded --help" for the list of commands.\n`,
    );
    return 2;
  }
  const loaded = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(loaded.help);
    return 0;
  }
  return loaded.run(rest, io, cwd);
}

export { suggest };
