import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { extname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import jscodeshift, { type API, type Transform } from 'jscodeshift';
import { transforms } from '../../codemods/index.js';
import { mapBounded } from '../../runtime/map-bounded.js';
import type { Policy } from '../../policy/load.js';
import { suggest } from '../../policy/suggest.js';
import { unifiedDiff } from '../diff.js';
import { resolveSources } from '../files.js';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';
import { writeFileAtomic } from '../write-file.js';

export const MIGRATE_USAGE = `Usage: bounded migrate [paths...] [options]

Rewrite flagged code onto bounded's runtime with codemods.

Options:
  --transform a,b   Which transforms (default: all): ${Object.keys(transforms).join(', ')}
  --dry-run         Change nothing; print a unified diff of what would change
  --diff            Also print the diff when writing
  --check           Change nothing; exit 1 when anything would change (for CI)
  --json FILE       Write a per-file, per-transform report
  --policy FILE     The policy file (default: the nearest bounded.policy.yaml)
  --force           Write even when the git work tree has uncommitted changes
  --quiet           No progress or summary on standard error

Files that do not parse are reported and left untouched; a rewritten file is written
atomically, and only when its new text parses.
`;

type Name = keyof typeof transforms;

/** A cheap text test per transform: a file without a match cannot hold a target. */
const PREFILTERS: Record<Name, RegExp> = {
  'add-timeouts': /\bfetch\s*\(|\bnew\s+[A-Za-z_$][\w$]*\s*\(/,
  'bound-promise-all': /\bPromise\s*\.\s*(?:all|allSettled)\s*\(/,
};

export interface FileReport {
  readonly file: string;
  readonly changed: readonly Name[];
  readonly error?: string;
}

export interface MigrateReport {
  readonly transforms: readonly Name[];
  readonly scanned: number;
  readonly candidates: number;
  readonly changed: number;
  readonly failed: number;
  readonly byTransform: Record<string, number>;
  readonly files: readonly FileReport[];
}

function parserFor(file: string): string {
  const ext = extname(file);
  if (ext === '.tsx') return 'tsx';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'babel';
}

export async function migrateCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
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
  const known = Object.keys(transforms) as Name[];
  const selected = (values.transform?.split(',').map((name) => name.trim()).filter(Boolean) ?? known) as Name[];
  for (const name of selected) {
    if (!known.includes(name)) {
      const hint = suggest(name, known);
      io.stderr.write(`bounded migrate: unknown transform "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known: ${known.join(', ')}\n`);
      return 2;
    }
  }
  const write = !values['dry-run'] && !values.check;

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

  const byTransform: Record<string, number> = Object.fromEntries(selected.map((name) => [name, 0]));
  const reports: FileReport[] = [];
  let candidates = 0;
  const progress = !values.quiet && files.length > 50 && (io.stderr as { isTTY?: boolean }).isTTY === true;
  let done = 0;
  // bounded's own runtime keeps the reads bounded; results come back in file order, so the
  // diffs and the report are the same from run to run.
  const outcomes = await mapBounded(
    files,
    async (file) => {
      const source = await readFile(file, 'utf8');
      const applicable = selected.filter((name) => PREFILTERS[name].test(source));
      const result = applicable.length === 0 ? undefined : migrateSource(file, source, applicable, policy);
      if (progress && ++done % 25 === 0) io.stderr.write(`\rbounded migrate: ${done}/${files.length} files`);
      return { file, source, result };
    },
    { concurrency: 8 },
  );
  for (const { file, source, result } of outcomes) {
    if (result === undefined) continue;
    candidates++;
    const path = relative(cwd, file);
    if (result.error !== undefined) {
      reports.push({ file: path, changed: [], error: result.error });
      continue;
    }
    if (result.changed.length === 0) continue;
    for (const name of result.changed) byTransform[name]!++;
    reports.push({ file: path, changed: result.changed });
    if (values['dry-run'] || values.diff) io.stdout.write(unifiedDiff(path, source, result.output));
    if (write) writeFileAtomic(file, result.output);
  }
  if (progress) io.stderr.write(`\rbounded migrate: ${files.length}/${files.length} files\n`);

  const failed = reports.filter((report) => report.error !== undefined);
  const changed = reports.length - failed.length;
  const report: MigrateReport = { transforms: selected, scanned: files.length, candidates, changed, failed: failed.length, byTransform, files: reports };
  if (values.json !== undefined) writeFileAtomic(resolve(cwd, values.json), `${JSON.stringify(report, null, 2)}\n`);
  for (const failure of failed) io.stderr.write(`bounded migrate: ${failure.file}: ${failure.error} (left untouched)\n`);
  if (!values.quiet) {
    const verb = write ? 'changed' : 'would change';
    io.stderr.write(
      `bounded migrate: ${files.length} files scanned, ${candidates} candidates, ${changed} ${verb}, ${candidates - changed - failed.length} unchanged, ${failed.length} failed\n` +
        selected.map((name) => `  ${String(byTransform[name]).padStart(5)}  ${name}`).join('\n') +
        '\n',
    );
  }
  if (values.check && changed > 0) return 1;
  return failed.length > 0 ? 1 : 0;
}

/** Runs `names` over one file's text in turn. Never throws: a failure comes back as `error`. */
export function migrateSource(
  file: string,
  source: string,
  names: readonly Name[],
  policy: Policy,
): { output: string; changed: Name[]; error?: string } {
  const parser = parserFor(file);
  const j = jscodeshift.withParser(parser);
  const api: API = { j, jscodeshift: j, stats: () => {}, report: () => {} };
  let output = source;
  const changed: Name[] = [];
  for (const name of names) {
    let next: string | null | undefined;
    try {
      next = (transforms[name] as Transform)({ path: file, source: output }, api, { policy }) as string | null | undefined;
    } catch (error) {
      return { output: source, changed: [], error: `cannot be parsed or transformed by ${name}: ${firstLine(error)}` };
    }
    if (next === null || next === undefined || next === output) continue;
    try {
      j(next);
    } catch (error) {
      return { output: source, changed: [], error: `${name} produced code that does not parse (${firstLine(error)}); nothing written` };
    }
    output = next;
    changed.push(name);
  }
  return { output, changed };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
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
