/**
 * What `bounded migrate` tells: the `--json` report (per file, per transform), the summary
 * table at the end, and the progress bar on a terminal.
 */
import type { VerifyDiagnostic } from '@bounded/codemods';
import type { TransformName, TransformSites } from './migrate-source.js';

export type FileStatus = 'changed' | 'unchanged' | 'failed' | 'reverted' | 'skipped';

/**
 * Why a file was skipped or failed, besides a transform failing on it (`failedTransform`):
 * - `symlink` (skipped): a symbolic link, never followed or replaced;
 * - `too-large` (skipped): over `--max-file-size`;
 * - `same-file` (skipped): another path of a file already in the run (a hard link);
 * - `context` (skipped): test, script, vendored or generated code, which `--include-context` did not ask for;
 * - `not-utf8` (failed): its bytes are not valid UTF-8; nothing written;
 * - `unreadable` (failed): it could not be read, or is not a regular file;
 * - `changed-during-run` (failed): it changed between being read and being written; nothing written;
 * - `write-failed` (failed): it could not be written (`error` says why, e.g. EACCES); left as it was.
 */
export type FileReason =
  | 'symlink'
  | 'too-large'
  | 'same-file'
  | 'context'
  | 'not-utf8'
  | 'unreadable'
  | 'changed-during-run'
  | 'write-failed';

/**
 * One candidate file, or a file left out on the way (files the prefilter skipped are only
 * counted, in `scanned`).
 */
export interface FileReport {
  /** Relative to the working directory. */
  readonly file: string;
  /**
   * `changed`: rewritten (or would be, without writing); `unchanged`: no transform changed it;
   * `failed`: it does not parse, or a transform failed on it (never edited);
   * `reverted`: `--verify` kept it as it was because the change added a type error;
   * `skipped`: left out on purpose (`reason`: a link, over the size cap, a second hard link).
   */
  readonly status: FileStatus;
  /** `skipped`, and `failed` for any cause but a transform: why (see `FileReason`). */
  readonly reason?: FileReason;
  /** The transforms whose change is kept (empty unless `changed`). */
  readonly changed: readonly TransformName[];
  /** Per transform that ran on it: the line ranges it rewrote and the sites it skipped, with why. */
  readonly transforms: Readonly<Partial<Record<TransformName, TransformSites>>>;
  /** `failed` and `skipped`: the message (and for a transform's failure, `failedTransform` names it). */
  readonly error?: string;
  readonly failedTransform?: TransformName;
  /**
   * `reverted`: the type errors the change added, at lines of the file as it is (an error
   * inside rewritten lines points at the first of them).
   */
  readonly diagnostics?: readonly VerifyDiagnostic[];
}

export interface TransformTotals {
  /** Files the prefilter passed to it. */
  candidates: number;
  /** Files whose change by it is kept. */
  changed: number;
  /** Edits (blocks of rewritten lines) in those files. */
  edits: number;
  /** Sites it saw and left alone, with a reason, in files that did not fail. */
  skipped: number;
  /** Files it failed on. */
  failed: number;
  /** Files it changed that `--verify` put back. */
  reverted: number;
}

export interface MigrateReport {
  readonly version: 1;
  /** The transforms that ran, in the order they run. */
  readonly transforms: readonly TransformName[];
  /** Worker threads used; 0 means the main thread. */
  readonly workers: number;
  readonly dryRun: boolean;
  readonly verify: boolean;
  readonly scanned: number;
  readonly candidates: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly reverted: number;
  /** Files left out: links, files over the size cap, second hard links. */
  readonly skipped: number;
  readonly byTransform: Readonly<Record<string, TransformTotals>>;
  /** Files left out while listing (links, over the cap) first; then every candidate, in path order. */
  readonly files: readonly FileReport[];
}

export function emptyTotals(): TransformTotals {
  return { candidates: 0, changed: 0, edits: 0, skipped: 0, failed: 0, reverted: 0 };
}

/** The table at the end of a run (standard error). */
export function summaryTable(report: MigrateReport, options: { write: boolean; seconds: number }): string {
  const verb = options.write ? 'changed' : 'would change';
  const where = report.workers === 0 ? 'main thread' : `${report.workers} worker thread${report.workers === 1 ? '' : 's'}`;
  const head =
    `bounded migrate: ${report.scanned} files scanned, ${report.candidates} candidates, ${report.changed} ${verb}, ` +
    `${report.unchanged} unchanged, ${report.failed} failed` +
    (report.verify ? `, ${report.reverted} reverted by --verify` : '') +
    (report.skipped > 0 ? `, ${report.skipped} skipped` : '') +
    ` (${where}, ${options.seconds.toFixed(1)} s)`;
  const columns: (keyof TransformTotals)[] = ['candidates', 'changed', 'edits', 'skipped', 'failed'];
  if (report.verify) columns.push('reverted');
  const nameWidth = Math.max('transform'.length, ...report.transforms.map((name) => name.length));
  const widths = columns.map((column) =>
    Math.max(column.length, ...report.transforms.map((name) => String(report.byTransform[name]![column]).length)),
  );
  const row = (name: string, cells: readonly string[]): string =>
    `  ${name.padEnd(nameWidth)}  ${cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ')}`.trimEnd();
  return [
    head,
    row('transform', columns),
    ...report.transforms.map((name) =>
      row(
        name,
        columns.map((column) => String(report.byTransform[name]![column])),
      ),
    ),
    '',
  ].join('\n');
}

export interface ProgressStream {
  write(text: string): unknown;
}

/**
 * A one-line progress bar, redrawn in place (at most every `intervalMs`), for a terminal only:
 * the caller creates one when standard error is a TTY.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #label = '';
  #total = 0;
  #done = 0;
  #drawnAt = Number.NEGATIVE_INFINITY;
  #shown = false;

  constructor(stream: ProgressStream, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#stream = stream;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Starts a phase: `label` with `total` steps. */
  phase(label: string, total: number): void {
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#draw(true);
  }

  tick(steps = 1): void {
    this.#done += steps;
    this.#draw(this.#done === this.#total);
  }

  /** Clears the line, so the summary starts on a clean one. */
  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }

  #draw(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#drawnAt < this.#intervalMs) return;
    this.#drawnAt = now;
    const width = 24;
    const filled = this.#total === 0 ? width : Math.round((this.#done / this.#total) * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.#stream.write(`\r\x1b[Kbounded migrate: ${this.#label} [${bar}] ${this.#done}/${this.#total}`);
    this.#shown = true;
  }
}
