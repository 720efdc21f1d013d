/**
 * One file through the selected transforms: the unit of work `bounded migrate` hands to a
 * worker thread (cli/migrate-worker.ts) or runs in the main thread. A pure function of the
 * file's path, text, transform names and policy, so the result does not depend on which
 * thread ran it, or when.
 */
import { extname } from 'node:path';
import jscodeshift, { type API, type Transform } from 'jscodeshift';
import { transforms } from '@bounded/codemods';
import { reportedFanOuts } from './migrate-rule-findings.js';
import type { ContextMatch, Policy } from '@bounded/policy';
import { unifiedDiff } from './diff.js';
import { mayApply } from './migrate-prefilter.js';
import { parseForTextEdits, withParseSession } from '@bounded/codemods';

export type TransformName = keyof typeof transforms;

/** Lines `line`…`endLine` (1-based, of the original file) were rewritten by one edit. */
export interface RewrittenSite {
  readonly line: number;
  readonly endLine: number;
}

/** A site a transform saw and left alone, where (in the original file; 0:0 when unknown) and why. */
export interface SkippedSite {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

export interface TransformSites {
  readonly rewritten: readonly RewrittenSite[];
  readonly skipped: readonly SkippedSite[];
  /** What a change reaches beyond the lines it edits: the calls a deadline on a shared client covers. */
  readonly reach?: readonly SkippedSite[];
}

/** What one file came to. `output` and `diff` only when it changed. */
export interface SourceOutcome {
  /** The transforms whose prefilter passed and that ran (up to the one that failed), in order. */
  readonly ran: readonly TransformName[];
  /** The transforms that changed the file, in the order they ran. */
  readonly changed: readonly TransformName[];
  /** Per transform that ran, what it rewrote and what it skipped. */
  readonly transforms: Readonly<Partial<Record<TransformName, TransformSites>>>;
  readonly output?: string;
  /** Unified diff of the whole change, with `displayPath` in its header. */
  readonly diff?: string;
  /**
   * The file is left untouched: it does not parse, a transform threw or produced code that
   * does not parse (`transform` says which), or it could not be read or its worker died.
   */
  readonly error?: { readonly transform?: TransformName; readonly message: string };
}

export interface SourceTask {
  readonly file: string;
  /** The path shown in the diff header (relative to the working directory). */
  readonly displayPath: string;
  readonly source: string;
  /**
   * Tried in this order (the caller passes them in registry order); each runs only when its
   * prefilter passes on the text as the transforms before it left it.
   */
  readonly names: readonly TransformName[];
  /** Where the file runs (@bounded/policy's `classifyFile`): browser code gets imports from `@bounded/runtime/core` only. */
  readonly contexts?: readonly ContextMatch[];
}

export function parserFor(file: string): 'ts' | 'tsx' | 'babel' {
  const ext = extname(file);
  if (ext === '.tsx') return 'tsx';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'babel';
}

/** `…/a.ts:12:5: add-timeouts skipped: reason`, as the transforms pass to `api.report`. */
const REPORT = /:(?:(\d+):(\d+)|\?): [\w-]+ (skipped|reach): ([\s\S]*)$/;

/**
 * Runs `task.names` over the file's text in turn. Never throws: a failure comes back as
 * `error`, with nothing changed. Each transform's sites are given in lines of the original
 * file, even when an earlier transform moved them.
 */
/** Options every transform receives besides the policy (`bounded migrate --option name=value`). */
export type TransformOptions = Readonly<Record<string, string | number | boolean>>;

export function migrateSource(task: SourceTask, policy: Policy, options: TransformOptions = {}): SourceOutcome {
  // Babel straight, with the file's dialect: the transforms only read the tree, so recast's copy of it is not needed.
  return withParseSession(() => migrateInSession(task, policy, options), parserFor(task.file));
}

function migrateInSession(task: SourceTask, policy: Policy, options: TransformOptions): SourceOutcome {
  const { file, source } = task;
  const j = jscodeshift.withParser(parserFor(file));
  let output = source;
  const changed: TransformName[] = [];
  const ran: TransformName[] = [];
  const sites: Partial<Record<TransformName, TransformSites>> = {};
  // One line map per step that changed the text: maps a line of that step's output back to its input.
  const steps: Hunk[][] = [];
  const toOriginal = (line: number): number => steps.reduceRight((at, hunks) => mapBack(hunks, at), line);

  for (const name of task.names) {
    if (!mayApply(name, output)) continue;
    ran.push(name);
    const messages: string[] = [];
    const api: API = { j, jscodeshift: j, stats: () => {}, report: (message: string) => void messages.push(message) };
    let next: string | null | undefined;
    try {
      next = (transforms[name] as Transform)({ path: file, source: output }, api, {
        reportedFanOuts,
        ...options,
        ...(task.contexts === undefined ? {} : { contexts: task.contexts }),
        policy,
      }) as string | null | undefined;
    } catch (error) {
      return {
        ran,
        changed: [],
        transforms: {},
        error: { transform: name, message: `cannot be parsed or transformed by ${name}: ${firstLine(error)}` },
      };
    }
    const skipped: SkippedSite[] = [];
    const reach: SkippedSite[] = [];
    for (const message of messages) {
      const match = REPORT.exec(message);
      if (match === null) skipped.push({ line: 0, column: 0, reason: message });
      else {
        const site =
          match[1] === undefined
            ? { line: 0, column: 0, reason: match[4]! }
            : { line: toOriginal(Number(match[1])), column: Number(match[2]), reason: match[4]! };
        (match[3] === 'reach' ? reach : skipped).push(site);
      }
    }
    if (next === null || next === undefined || next === output) {
      sites[name] = { rewritten: [], skipped };
      continue;
    }
    try {
      // The same parse the next transform asks for: inside the session it is not repeated.
      parseForTextEdits(j, next);
    } catch (error) {
      return {
        ran,
        changed: [],
        transforms: {},
        error: { transform: name, message: `${name} produced code that does not parse (${firstLine(error)}); nothing written` },
      };
    }
    const hunks = lineHunks(output, next);
    const rewritten = hunks.map((hunk): RewrittenSite => {
      const first = hunk.oldCount === 0 ? Math.max(1, hunk.oldStart) : hunk.oldStart;
      const last = hunk.oldCount === 0 ? first : hunk.oldStart + hunk.oldCount - 1;
      return { line: toOriginal(first), endLine: toOriginal(last) };
    });
    sites[name] = reach.length > 0 ? { rewritten, skipped, reach } : { rewritten, skipped };
    steps.push(hunks);
    output = next;
    changed.push(name);
  }
  if (changed.length === 0) return { ran, changed, transforms: sites };
  return { ran, changed, transforms: sites, output, diff: unifiedDiff(task.displayPath, source, output) };
}

/** One block of changed lines, as a unified diff's hunk header with no context gives it. */
export interface Hunk {
  /** 1-based first old line; for a pure insertion, the old line it follows (0 at the top). */
  readonly oldStart: number;
  readonly oldCount: number;
  /** 1-based first new line; for a pure deletion, the new line it follows. */
  readonly newStart: number;
  readonly newCount: number;
}

/** The change blocks between two texts (the diff module's Myers diff, without context). */
export function lineHunks(before: string, after: string): Hunk[] {
  const hunks: Hunk[] = [];
  for (const match of unifiedDiff('x', before, after, 0).matchAll(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/gm)) {
    hunks.push({ oldStart: Number(match[1]), oldCount: Number(match[2]), newStart: Number(match[3]), newCount: Number(match[4]) });
  }
  return hunks;
}

/**
 * The old line a new line comes from: shifted past the blocks above it; a line inside a
 * changed block maps to the block's first old line (an inserted block: the line before it).
 */
export function mapBack(hunks: readonly Hunk[], line: number): number {
  let delta = 0;
  for (const hunk of hunks) {
    const newEnd = hunk.newCount === 0 ? hunk.newStart : hunk.newStart + hunk.newCount - 1;
    if (hunk.newCount > 0 && line >= hunk.newStart && line <= newEnd) return Math.max(1, hunk.oldStart);
    if (line <= newEnd) break;
    delta += hunk.oldCount - hunk.newCount;
  }
  return line + delta;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
