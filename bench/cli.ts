/**
 * `npm run bench -- <suite> [--json] [--reps N] [--quick] [--filter TEXT] [--verbose] [--typed]`
 * Exit codes: 0 done, 1 a measurement failed that must not, 2 bad arguments.
 */
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, usage } from './args.js';
import { evaluatedFigures, jsonLines, renderTable } from './report.js';
import { runSuite } from './runner.js';
import { loadSuite, plannedSuites, suites } from './suites/index.js';

async function main(argv: readonly string[]): Promise<number> {
  const names = Object.keys(suites);
  const parsed = parseBenchArgs(argv, names, plannedSuites);
  if (parsed.kind === 'help') {
    process.stdout.write(`${usage(names)}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`bench: ${parsed.message}\n\n${usage(names)}\n`);
    return 2;
  }

  const { options } = parsed;
  const suite = await loadSuite(options.suite);
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  if (suite.evaluate !== undefined) {
    const evaluation = await suite.evaluate({
      quick: options.quick,
      filter: options.filter,
      verbose: options.verbose === true,
      typed: options.typed === true,
      log,
    });
    if (options.json) {
      for (const line of jsonLines(evaluatedFigures(suite.name, evaluation.figures))) process.stdout.write(`${line}\n`);
      log(`\n${evaluation.report}`);
    } else {
      process.stdout.write(`\n${evaluation.report}\n`);
    }
    return 0;
  }

  const result = await runSuite(suite, options, {
    workerPath: fileURLToPath(new URL('./worker.js', import.meta.url)),
    log,
  });

  const table = renderTable(
    { suite: suite.name, description: suite.description, reps: options.reps, quick: options.quick, host: result.host },
    result.figures,
    result.targets,
  );
  if (options.json) {
    for (const line of jsonLines(result.figures)) process.stdout.write(`${line}\n`);
    log(`\n${table}`);
  } else {
    process.stdout.write(`\n${table}\n`);
  }

  if (result.unexpectedFailures.length > 0) {
    log(`\nbench: ${result.unexpectedFailures.length} measurement(s) failed.`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
