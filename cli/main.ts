import { suggest } from '../policy/suggest.js';
import { CHECK_USAGE, checkCommand } from './commands/check.js';
import { DB_USAGE, dbCommand } from './commands/db.js';
import { MIGRATE_USAGE, migrateCommand } from './commands/migrate.js';
import { policyCommand, POLICY_USAGE } from './commands/policy.js';
import { STRESS_USAGE, stressCommand } from './commands/stress.js';
import type { Io } from './io.js';
import { packageInfo } from './package-info.js';

export type { Io } from './io.js';

interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /** Undefined until the command is built; the CLI then says so and which issue brings it. */
  readonly run?: (args: readonly string[], io: Io) => Promise<number>;
  /** Full help for `bounded <command> --help`; defaults to the usage line. */
  readonly help?: string;
}

const COMMANDS: readonly Command[] = [
  {
    name: 'check',
    usage: 'bounded check [paths] [--format stylish|json|sarif] [--policy FILE] [--typed]',
    summary: 'Lint code for unbounded fan-outs, per-call connections, missing timeouts and unthrottled provider calls',
    help: CHECK_USAGE,
    run: checkCommand,
  },
  {
    name: 'migrate',
    usage: 'bounded migrate [paths] [--transform a,b] [--dry-run] [--diff] [--check] [--json FILE] [--force]',
    summary: 'Rewrite flagged code onto bounded\'s runtime with codemods',
    help: MIGRATE_USAGE,
    run: migrateCommand,
  },
  {
    name: 'stress',
    usage:
      'bounded stress [--level light|medium|heavy|spike|soak] [--duration 30s] [--chaos NAME] [--json FILE] [--report FILE.html] [--compare FILE]',
    summary: 'Run the load, chaos and regression suite against the policy\'s limits',
    help: STRESS_USAGE,
    run: stressCommand,
  },
  {
    name: 'policy',
    usage: 'bounded policy init|validate|show [FILE]',
    summary: 'Write, validate or print bounded.policy.yaml',
    help: POLICY_USAGE,
    run: policyCommand,
  },
  {
    name: 'db',
    usage: 'bounded db init [--url URL] [--schema NAME] [--print-sql]',
    summary: 'Create the PostgreSQL store\'s schema and tables for shared limits',
    help: DB_USAGE,
    run: dbCommand,
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

/** Runs the CLI and returns its exit code: 0 success, 1 findings or failure, 2 usage error. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
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
    const hint = suggest(first, COMMANDS.map((candidate) => candidate.name));
    io.stderr.write(
      `bounded: unknown command "${first}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}\n` +
        `Run "bounded --help" for the list of commands.\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help ?? `Usage: ${command.usage}\n\n${command.summary}.\n`);
    return 0;
  }
  if (command.run === undefined) {
    io.stderr.write(
      `bounded ${command.name}: not available in bounded ${packageInfo().version} yet.\n` +
        `Usage once available: ${command.usage}\n`,
    );
    return 2;
  }
  return command.run(rest, io);
}

export { suggest };
