import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { transforms } from '@bounded/codemods';
import type { VerifyResult } from '@bounded/codemods';
import { mapBounded } from '@bounded/runtime';
import { suggest } from '@bounded/policy';
import { DEFAULT_MAX_FILE_SIZE, formatSize, maxFileSizeOption, resolveSources } from '../files.js';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';
import { defaultWorkerEntry, mainThreadRunner, startWorkerPool, type SourceRunner } from '../migrate-pool.js';
import { applicableTransforms } from '../migrate-prefilter.js';
import { guardUncommitted, sweepingTarget } from '../migrate-guard.js';
import {
  emptyTotals,
  ProgressBar,
  summaryTable,
  type FileReason,
  type FileReport,
  type MigrateReport,
  type TransformTotals,
} from '../migrate-report.js';
import { lineHunks, mapBack, type SourceOutcome, type SourceTask, type TransformName } from '../migrate-source.js';
import { formatChanged, RepositoryPrettier } from '../migrate-format.js';
import { includedContexts, OPTIONAL_CONTEXTS, placeFile } from '../migrate-contexts.js';
import { unifiedDiff } from '../diff.js';
import { describeError, outputRefusal, removeStaleTempFiles, replaceFile, writeFileAtomic } from '../write-file.js';

export type { FileReport, MigrateReport } from '../migrate-report.js';

export const MIGRATE_USAGE = `Usage: bounded migrate [paths...] [options]

Rewrite flagged code onto bounded's runtime with codemods.

Options:
  --transform a,b   Which transforms (default: all): ${Object.keys(transforms).join(', ')}
  --dry-run         Change nothing; print a unified diff of what would change
  --diff            Also print the diff when writing
  --check           Change nothing; exit 1 when anything would change (for CI)
  --format          Run the repository's own Prettier (resolved from each changed file's folder,
                    never bounded's) on the changed lines only (rangeStart/rangeEnd), where a
                    Prettier config applies to the file; without it, inserted code already
                    follows the file's indentation, line endings, semicolons and quotes
  --include-context a,b
                    Also migrate these contexts: ${OPTIONAL_CONTEXTS.join(', ')}, or all. By default
                    only service and browser code is migrated: tests, scripts (bin entries, files
                    with a shebang, scripts/ folders), vendored and generated files are left out
                    and counted (bounded check --list-contexts shows where each file runs).
                    Browser code gets imports from @bounded/runtime/core only (no Node module),
                    or the site is left alone with the reason
  --verify          Type-check the changed files before and after (nearest tsconfig.json) and
                    keep out every change that adds a type error, saying which
  --workers N       Worker threads for the transforms (default: every core, ${os.availableParallelism()} here);
                    1 runs them in the main thread
  --json FILE       Write a per-file, per-transform report (an existing FILE is overwritten only
                    when it is such a report, or empty; never a source file)
  --option k=v      Pass an option to the transforms (repeatable; true/false and numbers are
                    read as such): usingDeclarations=true|auto (release-clients: await using),
                    receivedClients=true (add-timeouts: per-call SDK timeouts on clients the
                    file receives), strict=true (throttle-provider-calls)
  --max-file-size S Skip (and report) files larger than S (default ${formatSize(DEFAULT_MAX_FILE_SIZE).replace(' ', '')}; e.g. 500KB, 4MB, none)
  --policy FILE     The policy file (default: the nearest bounded.policy.yaml)
  --force           Write even when a file to rewrite has uncommitted changes or is untracked
                    in its git repository; run on / or a home folder; overwrite a --json FILE
                    that is not a migrate report
  --quiet           No progress or summary on standard error

Two phases: a text prefilter skips the files no transform can touch, then the transforms run
on the rest, in parallel. Diffs go to standard output; the progress bar (on a terminal) and
the summary table go to standard error.

Nothing is lost: a file that does not parse, is not valid UTF-8 or cannot be read is reported
and left untouched; symbolic links are never followed or replaced (skipped and reported);
a file edited while the run goes on is not overwritten (reported as changed during the run);
a file that cannot be written is reported and the run goes on. A rewritten file is written
through a checked temporary copy (.bounded-<name>.<pid>.<random>.tmp, removed by the next run
if interrupted), keeping its mode, owner, hard links and byte order mark, and only when its
new text parses. Before writing, each file's own git repository must have no uncommitted
changes or untracked files among the files to rewrite.
Exit codes: 0 done, 1 a file failed or was kept out by --verify (or, with --check, something
would change; or a guard refused to write), 2 usage error (or a refused target or --json FILE).
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
  /** The bytes as read: the file is written only while it still holds exactly these. */
  readonly original: Buffer;
  /** The file starts with a UTF-8 byte order mark (not part of `task.source`; written back). */
  readonly bom: boolean;
  /** Device and inode: a second path to the same file (a hard link) is skipped. */
  readonly identity: string;
}

/** What reading one file came to: a candidate, nothing to do, or a report (skipped or failed). */
type Scanned = { readonly candidate: Candidate } | { readonly report: FileReport; readonly quiet?: boolean } | undefined;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// eslint-disable-next-line max-lines-per-function -- the whole migrate run (parse, scan, transform, verify, write, report) shares one set of per-run tallies and the worker pool; splitting it needs a run object first, its own change
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
        format: { type: 'boolean', default: false },
        'include-context': { type: 'string' },
        workers: { type: 'string' },
        option: { type: 'string', multiple: true },
        json: { type: 'string' },
        'max-file-size': { type: 'string' },
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
  const asked = values.transform
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of asked ?? []) {
    if (!(known as string[]).includes(name)) {
      const hint = suggest(name, known);
      io.stderr.write(
        `bounded migrate: unknown transform "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known: ${known.join(', ')}\n`,
      );
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
  const included = includedContexts(values['include-context']);
  if ('error' in included) {
    io.stderr.write(`bounded migrate: ${included.error}\n`);
    return 2;
  }
  const sizeCap = maxFileSizeOption('migrate', values['max-file-size'], io);
  if (sizeCap === undefined) return 2;
  const maxFileSize: number = sizeCap;
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
  const jsonPath = values.json === undefined ? undefined : resolve(cwd, values.json);

  if (!values.force) {
    // `bounded migrate /` or a home folder: never by accident.
    const sweeping = sweepingTarget(parsed.positionals, cwd);
    if (sweeping !== undefined) {
      io.stderr.write(`bounded migrate: refusing to run on ${sweeping}: name the project's folder instead, or pass --force\n`);
      return 2;
    }
    const refusal = jsonPath === undefined ? undefined : outputRefusal(jsonPath, 'migrate-json');
    if (refusal !== undefined) {
      io.stderr.write(`bounded migrate: --json ${values.json}: ${refusal}; pass --force to overwrite it\n`);
      return 2;
    }
  }

  const policy = loadPolicyFor('migrate', io, values.policy, cwd);
  if (policy === undefined) return 1;
  const sources = await resolveSources(parsed.positionals, cwd, { maxFileSize, linkArguments: 'skip' });
  if ('missing' in sources) {
    io.stderr.write(`bounded migrate: no such file or folder: ${sources.missing}\n`);
    return 2;
  }
  const files = sources.files;
  // Left out while listing: links (never followed or replaced) and files over the cap.
  const listed: FileReport[] = sources.skipped.map((entry) => skippedReport(relative(cwd, entry.file), entry.reason, entry.detail));

  if (write && !values.force) {
    // Each file's own repository, wherever the command runs from; untracked files count.
    const guard = guardUncommitted(files);
    if (guard.unreadable.length > 0) {
      const first = guard.unreadable[0]!;
      io.stderr.write(
        `bounded migrate: cannot read the git status of ${relative(cwd, first.repository) || '.'} (${first.reason}), so its uncommitted work cannot be protected; fix that, or pass --force\n`,
      );
      return 1;
    }
    const dirty = guard.dirty.map((file) => relative(cwd, file));
    if (dirty.length > 0) {
      io.stderr.write(
        `bounded migrate: ${dirty.length} file${dirty.length === 1 ? ' has' : 's have'} uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}); commit or stash them (untracked files too), or pass --force\n`,
      );
      return 1;
    }
  }
  if (write) {
    // Temporary files of an earlier run that was killed: only ours (by name), only of dead processes.
    const stale = removeStaleTempFiles([...files, ...(jsonPath === undefined ? [] : [jsonPath])].map((file) => dirname(file)));
    if (stale.length > 0 && !values.quiet) {
      io.stderr.write(
        `bounded migrate: removed ${stale.length} temporary file${stale.length === 1 ? '' : 's'} left by an interrupted run (${stale
          .slice(0, 3)
          .map((file) => relative(cwd, file))
          .join(', ')}${stale.length > 3 ? ', …' : ''})\n`,
      );
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
  async function scan(): Promise<Scanned[]> {
    return mapBounded(
      files,
      async (file): Promise<Scanned> => {
        try {
          return await readSource(file, relative(cwd, file), selected, maxFileSize);
        } finally {
          progress?.tick();
        }
      },
      { concurrency: READ_CONCURRENCY },
    );
  }
  // A file reached by two paths (hard links) is migrated once, by the first.
  const firstPath = new Map<string, string>();
  const leftOut = new Map<string, number>();
  const entries = scanned.map((item): Scanned => {
    if (item === undefined || !('candidate' in item)) return item;
    const { task } = item.candidate;
    const first = firstPath.get(item.candidate.identity);
    if (first !== undefined)
      return { report: skippedReport(task.displayPath, 'same-file', `the same file as ${first} (a hard link); migrated there`) };
    firstPath.set(item.candidate.identity, task.displayPath);
    // Where the file runs: tests, scripts, vendored and generated code only when asked for.
    const place = placeFile(task.file, task.source, policy, cwd, included.contexts);
    if (place.excluded !== undefined) {
      const { context, reason } = place.excluded;
      leftOut.set(context, (leftOut.get(context) ?? 0) + 1);
      return {
        report: skippedReport(task.displayPath, 'context', `${context} code (${reason}); pass --include-context ${context} to migrate it`),
        quiet: true,
      };
    }
    // A transform whose rule the policy turns off here (browser code, by default) does not run either.
    const applicable = applicableTransforms(task.names, task.source);
    const names = task.names.filter((name) => !place.ruledOut(name));
    if (!applicable.some((name) => names.includes(name))) {
      const where = place.matches.map((match) => `${match.context} (${match.reason})`).join(', ');
      leftOut.set('ruled-out', (leftOut.get('ruled-out') ?? 0) + 1);
      return {
        report: skippedReport(
          task.displayPath,
          'context',
          `${where}: the policy turns off the rules of ${applicable.join(', ')} there (lint.contexts)`,
        ),
        quiet: true,
      };
    }
    return { candidate: { ...item.candidate, task: { ...task, names, contexts: place.matches } } };
  });
  if (leftOut.size > 0 && !values.quiet) {
    const counts = [...leftOut]
      .map(([context, count]) =>
        context === 'ruled-out' ? `${count} where the policy turns the transforms' rules off (lint.contexts)` : `${count} ${context}`,
      )
      .join(', ');
    io.stderr.write(
      `bounded migrate: left out ${counts} (files; tests, scripts, vendored and generated code need --include-context; --json lists them)\n`,
    );
  }
  const candidates = entries.flatMap((item) => (item !== undefined && 'candidate' in item ? [item.candidate] : []));

  // Phase 2: the transforms, on candidates only, in worker threads (or the main thread).
  const runner = await chooseRunner(values.workers === undefined, workers, candidates.length, entry, early, policy, transformOptions, io);
  progress?.phase(runner.threads === 0 ? 'transforming' : `transforming (${runner.threads} threads)`, candidates.length);
  let outcomes: SourceOutcome[];
  try {
    outcomes = await mapBounded(
      candidates,
      async (candidate): Promise<SourceOutcome> => {
        const outcome = await runner.run(candidate.task);
        progress?.tick();
        return outcome;
      },
      // Twice the threads: a file is always queued when a worker replies.
      { concurrency: Math.max(1, runner.threads * 2) },
    );
  } finally {
    await runner.close();
  }
  if (values.format) {
    progress?.phase('formatting', candidates.length);
    const prettiers = new RepositoryPrettier();
    outcomes = await mapBounded(
      candidates,
      async (candidate, i): Promise<SourceOutcome> => {
        const outcome = outcomes[i]!;
        progress?.tick();
        if (outcome.output === undefined) return outcome;
        const { file, source, displayPath } = candidate.task;
        const formatted = await formatChanged(prettiers, file, source, outcome.output);
        if ('skipped' in formatted) {
          if (!values.quiet) io.stderr.write(`bounded migrate: ${displayPath}: not formatted: ${formatted.skipped}\n`);
          return outcome;
        }
        if (formatted.text === outcome.output) return outcome;
        return { ...outcome, output: formatted.text, diff: unifiedDiff(displayPath, source, formatted.text) };
      },
      { concurrency: READ_CONCURRENCY },
    );
  }
  const outcomeOf = new Map(candidates.map((candidate, i) => [candidate, outcomes[i]!]));

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
  const reports: FileReport[] = [...listed];
  for (const item of listed) io.stderr.write(`bounded migrate: ${item.file}: skipped: ${item.error}\n`);
  for (const item of entries) {
    if (item === undefined) continue;
    if ('report' in item) {
      reports.push(item.report);
      if (item.quiet === true) continue;
      const { file, status, error } = item.report;
      io.stderr.write(`bounded migrate: ${file}: ${status === 'skipped' ? `skipped: ${error}` : `${error} (left untouched)`}\n`);
      continue;
    }
    const { task } = item.candidate;
    const outcome = outcomeOf.get(item.candidate)!;
    for (const name of outcome.ran) byTransform[name]!.candidates++;
    if (outcome.error !== undefined) {
      const { transform, message } = outcome.error;
      if (transform !== undefined) byTransform[transform]!.failed++;
      reports.push({
        file: task.displayPath,
        status: 'failed',
        changed: [],
        transforms: {},
        error: message,
        ...(transform === undefined ? {} : { failedTransform: transform }),
      });
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
    if (write) {
      // Written only while the file still holds the bytes read, keeping its mode, owner and links.
      const bytes = Buffer.from(outcome.output, 'utf8');
      const written = replaceFile(task.file, item.candidate.bom ? Buffer.concat([BOM, bytes]) : bytes, item.candidate.original);
      if (!written.ok) {
        reports.push({
          file: task.displayPath,
          status: 'failed',
          reason: written.reason,
          changed: [],
          transforms: outcome.transforms,
          error: written.message,
        });
        io.stderr.write(`bounded migrate: ${task.displayPath}: ${written.message}\n`);
        continue;
      }
    }
    for (const name of outcome.changed) {
      byTransform[name]!.changed++;
      byTransform[name]!.edits += outcome.transforms[name]?.rewritten.length ?? 0;
    }
    reports.push({ file: task.displayPath, status: 'changed', changed: outcome.changed, transforms: outcome.transforms });
    if (values['dry-run'] || values.diff) io.stdout.write(outcome.diff!);
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
    skipped: count('skipped'),
    byTransform,
    files: reports,
  };
  let reportFailed = false;
  if (jsonPath !== undefined) {
    try {
      writeFileAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      reportFailed = true;
      io.stderr.write(`bounded migrate: --json ${values.json}: ${(error as Error).message.replace(`${jsonPath}: `, '')}\n`);
    }
  }
  if (!values.quiet) io.stderr.write(summaryTable(report, { write, seconds: (performance.now() - started) / 1000 }));
  if (values.check && report.changed > 0) return 1;
  return report.failed > 0 || report.reverted > 0 || reportFailed ? 1 : 0;
}

function skippedReport(file: string, reason: FileReason, detail: string): FileReport {
  return { file, status: 'skipped', reason, changed: [], transforms: {}, error: detail };
}

function failedReport(file: string, reason: FileReason, message: string): FileReport {
  return { file, status: 'failed', reason, changed: [], transforms: {}, error: message };
}

/**
 * Reads one file for phase 1: its bytes, without following a link (a file turned into one
 * since it was listed is skipped), capped in size, and decoded as UTF-8, strictly (a file
 * that is not valid UTF-8 fails, since decoding it would replace its bytes, string literals
 * included, with U+FFFD). Returns a candidate when a selected transform may touch it.
 */
async function readSource(file: string, displayPath: string, names: readonly TransformName[], maxFileSize: number): Promise<Scanned> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO named like a source file must not hang the run.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      return { report: skippedReport(displayPath, 'symlink', 'a symbolic link (never followed or replaced)') };
    return { report: failedReport(displayPath, 'unreadable', `cannot be read: ${describeError(error)}`) };
  }
  let bytes: Buffer;
  let identity: string;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { report: failedReport(displayPath, 'unreadable', 'cannot be read: not a regular file') };
    if (info.size > maxFileSize)
      return {
        report: skippedReport(
          displayPath,
          'too-large',
          `${formatSize(info.size)}, over the ${formatSize(maxFileSize)} cap (--max-file-size)`,
        ),
      };
    bytes = await handle.readFile();
    identity = `${info.dev}:${info.ino}`;
  } catch (error) {
    return { report: failedReport(displayPath, 'unreadable', `cannot be read: ${describeError(error)}`) };
  } finally {
    await handle.close();
  }
  if (bytes.length > maxFileSize)
    return {
      report: skippedReport(
        displayPath,
        'too-large',
        `${formatSize(bytes.length)}, over the ${formatSize(maxFileSize)} cap (--max-file-size)`,
      ),
    };
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    // Only a file some transform would touch is news: the others are never written either way.
    if (applicableTransforms(names, body.toString('utf8')).length === 0) return undefined;
    const at = firstInvalidUtf8(body) + (bom ? 3 : 0);
    const line = bytes.subarray(0, at).reduce((lines, byte) => (byte === 0x0a ? lines + 1 : lines), 1);
    return {
      report: failedReport(
        displayPath,
        'not-utf8',
        `is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0') ?? '??'} at offset ${at}, line ${line}); re-encode it as UTF-8 to migrate it`,
      ),
    };
  }
  if (applicableTransforms(names, source).length === 0) return undefined;
  return { candidate: { task: { file, displayPath, source, names }, original: bytes, bom, identity } };
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence (-1: none). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) need = 1;
    else if (byte >= 0xe0 && byte <= 0xef) {
      need = 2;
      if (byte === 0xe0) low = 0xa0;
      if (byte === 0xed) high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      need = 3;
      if (byte === 0xf0) low = 0x90;
      if (byte === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return -1;
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
