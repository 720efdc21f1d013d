import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { transforms } from '@bounded/codemods';
import type { VerifyResult } from '@bounded/codemods';
import { mapBounded } from '@bounded/runtime';
import { suggest } from '@bounded/policy';
import { resolveSources } from '../files.js';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';
import { defaultWorkerEntry, mainThreadRunner, startWorkerPool, type SourceRunner } from '../migrate-pool.js';
import { applicableTransforms } from '../migrate-prefilter.js';
import { emptyTotals, ProgressBar, summaryTable, type FileReport, type MigrateReport, type TransformTotals } from '../migrate-report.js';
import { lineHunks, mapBack, type SourceOutcome, type SourceTask, type TransformName } from '../migrate-source.js';
import { writeFileAtomic } from '../write-file.js';

export type { FileReport, MigrateReport } from '../migrate-report.js';

export const MIGRATE_USAGE = `Usage: bounded migrate [paths...] [options]

Rewrite flagged code onto bounded's runtime with codemods.

Options:
  --transform a,b   Which transforms (default: all): ${Object.keys(transforms).join(', ')}
  --dry-run         Change nothing; print a unified diff of what would change
  --diff            Also print the diff when writing
  --check           Change nothing; exit 1 when anything would change (for CI)
  --verify          Type-check the changed files before and after (nearest tsconfig.json) and
                    keep out every change that adds a type error, saying which
  --workers N       Worker threads for the transforms (default: every core, ${os.availableParallelism()} here);
                    1 runs them in the main thread
  --json FILE       Write a per-file, per-transform report
  --option k=v      Pass an option to the transforms (repeatable; true/false and numbers are
                    read as such): usingDeclarations=true|auto (release-clients: await using),
                    receivedClients=true (add-timeouts: per-call SDK timeouts on clients the
                    file receives), strict=true (throttle-provider-calls)
  --policy FILE     The policy file (default: the nearest bounded.policy.yaml)
  --force           Write even when the git work tree has uncommitted changes
  --quiet           No progress or summary on standard error

Two phases: a text prefilter skips the files no transform can touch, then the transforms run
on the rest, in parallel. Diffs go to standard output; the progress bar (on a terminal) and
the summary table go to standard error. Files that do not parse are reported and left
untouched; a rewritten file is written atomically, and only when its new text parses.
Exit codes: 0 done, 1 a file failed or was kept out by --verify (or, with --check, something
would change), 2 usage error.
`;

/** With the default worker count, fewer candidates than this run in the main thread: starting workers would cost more. */
const AUTO_WORKERS_MIN_CANDIDATES = 16;
/** Files read at once in the prefilter phase. */
const READ_CONCURRENCY = 16;

export interface MigrateOptions {
  /**
   * The worker thread entry; default: dist/cli/migrate-worker.js beside the compiled CLI.
   * Without one (running from sources), the transforms run in the main thread.
   */
  readonly workerEntry?: URL | string;
}

interface Candidate {
  readonly task: SourceTask;
  /** Set when the file could not be read. */
  readonly readError?: string;
}

export async function migrateCommand(args: readonly string[], io: Io, cwd = process.cwd(), options: MigrateOptions = {}): Promise<number> {
  const started = performance.now();
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        transform: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        workers: { type: 'string' },
        option: { type: 'string', multiple: true },
        json: { type: 'string' },
        policy: { type: 'string' },
        force: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`bounded migrate: ${(error as Error).message}\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  const values = parsed.values;
  const known = Object.keys(transforms) as TransformName[];
  const asked = values.transform?.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of asked ?? []) {
    if (!(known as string[]).includes(name)) {
      const hint = suggest(name, known);
      io.stderr.write(`bounded migrate: unknown transform "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known: ${known.join(', ')}\n`);
      return 2;
    }
  }
  // Registry order, whatever order --transform names them in: the same run gives the same output.
  const selected = asked === undefined ? known : known.filter((name) => asked.includes(name));
  let workers = os.availableParallelism();
  if (values.workers !== undefined) {
    if (!/^[1-9]\d*$/.test(values.workers)) {
      io.stderr.write(`bounded migrate: --workers takes a positive whole number, got "${values.workers}"\n`);
      return 2;
    }
    workers = Number(values.workers);
  }
  const transformOptions: Record<string, string | number | boolean> = {};
  for (const pair of values.option ?? []) {
    const match = /^([A-Za-z][\w-]*)=(.*)$/.exec(pair);
    if (match === null || match[1] === 'policy') {
      io.stderr.write(`bounded migrate: --option takes name=value (not policy), got "${pair}"\n`);
      return 2;
    }
    const raw = match[2]!;
    transformOptions[match[1]!] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(?:\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  const dryRun = values['dry-run'] || values.check;
  const write = !dryRun;

  const policy = loadPolicyFor('migrate', io, values.policy, cwd);
  if (policy === undefined) return 1;
  const sources = await resolveSources(parsed.positionals, cwd);
  if ('missing' in sources) {
    io.stderr.write(`bounded migrate: no such file or folder: ${sources.missing}\n`);
    return 2;
  }
  const files = sources.files;

  if (write && !values.force) {
    const dirty = uncommitted(cwd, files);
    if (dirty.length > 0) {
      io.stderr.write(
        `bounded migrate: ${dirty.length} file${dirty.length === 1 ? ' has' : 's have'} uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}); commit or stash them, or pass --force\n`,
      );
      return 1;
    }
  }

  const progress = !values.quiet && (io.stderr as { isTTY?: boolean }).isTTY === true ? new ProgressBar(io.stderr) : undefined;

  // Worker threads take about a second to load the parser and the transforms: with enough
  // files for them to pay, they start now and load while phase 1 reads.
  const entry = options.workerEntry ?? defaultWorkerEntry();
  const early =
    workers > 1 && entry !== undefined && files.length >= AUTO_WORKERS_MIN_CANDIDATES
      ? startWorkerPool(workers, entry, policy, transformOptions)
      : undefined;
  early?.catch(() => {});

  // Phase 1: read every file and keep the ones some selected transform may touch. bounded's
  // own mapBounded keeps the open files bounded and returns them in path order.
  progress?.phase('scanning', files.length);
  const scanned = await scan().catch(async (error: unknown) => {
    // Never leave threads running behind a failure: they would keep the process alive.
    if (early !== undefined) await early.then((pool) => pool.close()).catch(() => {});
    throw error;
  });
  async function scan(): Promise<(Candidate | undefined)[]> {
    return mapBounded(
      files,
      async (file): Promise<Candidate | undefined> => {
        const displayPath = relative(cwd, file);
        let source: string;
        try {
          source = await readFile(file, 'utf8');
        } catch (error) {
          return { task: { file, displayPath, source: '', names: selected }, readError: `cannot be read: ${(error as Error).message}` };
        } finally {
          progress?.tick();
        }
        return applicableTransforms(selected, source).length === 0 ? undefined : { task: { file, displayPath, source, names: selected } };
      },
      { concurrency: READ_CONCURRENCY },
    );
  }
  const candidates = scanned.filter((candidate): candidate is Candidate => candidate !== undefined);

  // Phase 2: the transforms, on candidates only, in worker threads (or the main thread).
  const runner = await chooseRunner(values.workers === undefined, workers, candidates.length, entry, early, policy, transformOptions, io);
  progress?.phase(runner.threads === 0 ? 'transforming' : `transforming (${runner.threads} threads)`, candidates.length);
  let outcomes: SourceOutcome[];
  try {
    outcomes = await mapBounded(
      candidates,
      async (candidate): Promise<SourceOutcome> => {
        const outcome: SourceOutcome =
          candidate.readError === undefined
            ? await runner.run(candidate.task)
            : { ran: [], changed: [], transforms: {}, error: { message: candidate.readError } };
        progress?.tick();
        return outcome;
      },
      // Twice the threads: a file is always queued when a worker replies.
      { concurrency: Math.max(1, runner.threads * 2) },
    );
  } finally {
    await runner.close();
  }

  // --verify: type-check before and after; changes that add an error are kept out.
  let verified: VerifyResult | undefined;
  if (values.verify) {
    const changes = candidates.flatMap((candidate, i) => {
      const after = outcomes[i]!.output;
      return after === undefined ? [] : [{ file: candidate.task.file, before: candidate.task.source, after }];
    });
    progress?.phase('verifying', changes.length);
    const { verifyChanges } = await import('@bounded/codemods/verify');
    verified = verifyChanges(changes);
    progress?.tick(changes.length);
  }
  progress?.clear();
  const rejected = new Map((verified?.rejected ?? []).map((rejection) => [rejection.file, rejection]));

  const byTransform: Record<string, TransformTotals> = Object.fromEntries(selected.map((name) => [name, emptyTotals()]));
  const reports: FileReport[] = [];
  for (const [i, { task }] of candidates.entries()) {
    const outcome = outcomes[i]!;
    for (const name of outcome.ran) byTransform[name]!.candidates++;
    if (outcome.error !== undefined) {
      const { transform, message } = outcome.error;
      if (transform !== undefined) byTransform[transform]!.failed++;
      reports.push({ file: task.displayPath, status: 'failed', changed: [], transforms: {}, error: message, ...(transform === undefined ? {} : { failedTransform: transform }) });
      io.stderr.write(`bounded migrate: ${task.displayPath}: ${outcome.error.message} (left untouched)\n`);
      continue;
    }
    for (const name of outcome.ran) byTransform[name]!.skipped += outcome.transforms[name]?.skipped.length ?? 0;
    if (outcome.output === undefined) {
      reports.push({ file: task.displayPath, status: 'unchanged', changed: [], transforms: outcome.transforms });
      continue;
    }
    const rejection = rejected.get(task.file);
    if (rejection !== undefined) {
      for (const name of outcome.changed) byTransform[name]!.reverted++;
      // The file stays as it was: say where, in its lines, the change would have broken it.
      const hunks = lineHunks(task.source, outcome.output);
      const diagnostics = rejection.diagnostics.map((diagnostic) => ({ ...diagnostic, line: mapBack(hunks, diagnostic.line) }));
      reports.push({ file: task.displayPath, status: 'reverted', changed: [], transforms: outcome.transforms, diagnostics });
      const first = diagnostics[0]!;
      io.stderr.write(
        `bounded migrate: ${task.displayPath}: kept as it was: the change by ${outcome.changed.join(', ')} adds ` +
          `${rejection.diagnostics.length === 1 ? 'a type error' : `${rejection.diagnostics.length} type errors`}, ` +
          `first TS${first.code} at ${first.line}:${first.column}: ${first.message.split('\n')[0]}\n`,
      );
      continue;
    }
    for (const name of outcome.changed) {
      byTransform[name]!.changed++;
      byTransform[name]!.edits += outcome.transforms[name]?.rewritten.length ?? 0;
    }
    reports.push({ file: task.displayPath, status: 'changed', changed: outcome.changed, transforms: outcome.transforms });
    if (values['dry-run'] || values.diff) io.stdout.write(outcome.diff!);
    if (write) writeFileAtomic(task.file, outcome.output);
  }

  const count = (status: FileReport['status']): number => reports.filter((report) => report.status === status).length;
  const report: MigrateReport = {
    version: 1,
    transforms: selected,
    workers: runner.threads,
    dryRun,
    verify: values.verify,
    scanned: files.length,
    candidates: candidates.length,
    changed: count('changed'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    reverted: count('reverted'),
    byTransform,
    files: reports,
  };
  if (values.json !== undefined) writeFileAtomic(resolve(cwd, values.json), `${JSON.stringify(report, null, 2)}\n`);
  if (!values.quiet) io.stderr.write(summaryTable(report, { write, seconds: (performance.now() - started) / 1000 }));
  if (values.check && report.changed > 0) return 1;
  return report.failed > 0 || report.reverted > 0 ? 1 : 0;
}

/**
 * Worker threads when they pay: more than one wanted, at least two candidates (and, with the
 * default count, enough of them to amortise starting the workers), and a compiled worker
 * entry. Otherwise, or when the workers cannot start, the main thread.
 */
async function chooseRunner(
  auto: boolean,
  workers: number,
  candidates: number,
  entry: URL | string | undefined,
  early: Promise<SourceRunner> | undefined,
  policy: Parameters<typeof mainThreadRunner>[0],
  transformOptions: Parameters<typeof mainThreadRunner>[1],
  io: Io,
): Promise<SourceRunner> {
  const threads = Math.min(workers, candidates);
  if (threads < 2 || entry === undefined || (auto && candidates < AUTO_WORKERS_MIN_CANDIDATES)) {
    // The pool started early is not worth it after all: stop it.
    if (early !== undefined) await early.then((pool) => pool.close()).catch(() => {});
    return mainThreadRunner(policy, transformOptions);
  }
  try {
    // A pool started early has `workers` threads; with fewer candidates than that, one idles.
    return await (early ?? startWorkerPool(threads, entry, policy, transformOptions));
  } catch (error) {
    io.stderr.write(`bounded migrate: ${(error as Error).message}; running the transforms in the main thread\n`);
    return mainThreadRunner(policy, transformOptions);
  }
}

/** Files among `files` with uncommitted changes; none when `cwd` is not in a git work tree. */
function uncommitted(cwd: string, files: readonly string[]): string[] {
  let top: string;
  try {
    top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return [];
  }
  const status = execFileSync('git', ['status', '--porcelain', '-z', '--untracked-files=no'], { cwd: top, encoding: 'utf8', timeout: 30_000 });
  const dirty = new Set(
    status
      .split('\0')
      .filter((entry) => entry.length > 3)
      .map((entry) => resolve(top, entry.slice(3))),
  );
  return files.filter((file) => dirty.has(file)).map((file) => relative(cwd, file));
}
