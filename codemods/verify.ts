/**
 * `bounded migrate --verify`: type-checks the files a migration changes, before and after,
 * with ts-morph and the files' own tsconfig.json, and picks out the changes that added a type
 * error, so that the runner keeps those files as they were.
 *
 * - Each file is checked with the nearest tsconfig.json above it (its compiler options and
 *   its files, so imports and globals resolve as `tsc -p` sees them). A file with no
 *   tsconfig.json above it is checked with `FALLBACK_OPTIONS`.
 * - A diagnostic is new when its code and message were not there before. Positions are not
 *   compared: a rewrite that adds a line above an old error moves it without adding one.
 *   Counts are: a second copy of an old error is new.
 * - All changes in a project are applied together (one file's rewrite may need another's),
 *   then the files with new errors are put back and the rest checked again, until none adds
 *   an error. Only the changed files are checked; an error a change causes in a file the
 *   migration did not touch is not seen.
 *
 * Nothing here touches the disk but to read: the caller writes what `verifyChanges` keeps.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Project, ts } from 'ts-morph';

export interface FileChange {
  /** Absolute path. */
  readonly file: string;
  readonly before: string;
  readonly after: string;
}

export interface VerifyDiagnostic {
  /** 1-based, in the changed text. */
  readonly line: number;
  readonly column: number;
  /** TypeScript's error code, e.g. 2345. */
  readonly code: number;
  readonly message: string;
}

export interface RejectedChange {
  readonly file: string;
  /** The tsconfig.json the file was checked with; undefined for `FALLBACK_OPTIONS`. */
  readonly tsconfig: string | undefined;
  /** The errors the change added. */
  readonly diagnostics: readonly VerifyDiagnostic[];
}

export interface VerifyResult {
  /** Changes that added a type error, in input order; the caller keeps these files as they were. */
  readonly rejected: readonly RejectedChange[];
  /** Every tsconfig.json used, sorted. */
  readonly projects: readonly string[];
}

/** Compiler options for files with no tsconfig.json above them. */
export const FALLBACK_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  allowJs: true,
  skipLibCheck: true,
  noEmit: true,
};

/** The nearest tsconfig.json in `dir` or a folder above it. */
export function nearestTsconfig(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const candidate = join(at, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/** Checks `changes` (see the module comment) and returns the ones to keep out. */
export function verifyChanges(changes: readonly FileChange[]): VerifyResult {
  const groups = new Map<string | undefined, FileChange[]>();
  for (const change of changes) {
    const tsconfig = nearestTsconfig(dirname(change.file));
    const group = groups.get(tsconfig);
    if (group === undefined) groups.set(tsconfig, [change]);
    else group.push(change);
  }
  const rejected = new Map<string, RejectedChange>();
  for (const [tsconfig, group] of groups) {
    for (const rejection of verifyProject(tsconfig, group)) rejected.set(rejection.file, rejection);
  }
  return {
    rejected: changes.flatMap((change) => rejected.get(change.file) ?? []),
    projects: [...groups.keys()].filter((key): key is string => key !== undefined).sort(),
  };
}

function verifyProject(tsconfig: string | undefined, changes: readonly FileChange[]): RejectedChange[] {
  const project =
    tsconfig === undefined
      ? new Project({ compilerOptions: FALLBACK_OPTIONS })
      : new Project({ tsConfigFilePath: tsconfig, compilerOptions: { noEmit: true } });
  // The text the migration read is the "before", whatever the project loaded from disk.
  for (const change of changes) project.createSourceFile(change.file, change.before, { overwrite: true });
  const before = new Map(changes.map((change) => [change.file, diagnosticsOf(project, change.file)]));

  for (const change of changes) project.createSourceFile(change.file, change.after, { overwrite: true });
  const rejected: RejectedChange[] = [];
  let remaining = [...changes];
  // Each round puts back at least one file, or ends.
  for (;;) {
    const offenders: RejectedChange[] = [];
    for (const change of remaining) {
      const added = newDiagnostics(before.get(change.file)!, diagnosticsOf(project, change.file));
      if (added.length > 0) offenders.push({ file: change.file, tsconfig, diagnostics: added });
    }
    if (offenders.length === 0) break;
    const back = new Set(offenders.map((offender) => offender.file));
    for (const change of remaining) if (back.has(change.file)) project.createSourceFile(change.file, change.before, { overwrite: true });
    remaining = remaining.filter((change) => !back.has(change.file));
    rejected.push(...offenders);
    if (remaining.length === 0) break;
  }
  return rejected;
}

/** Syntactic and semantic diagnostics of one file, messages flattened. */
function diagnosticsOf(project: Project, file: string): VerifyDiagnostic[] {
  const program = project.getProgram().compilerObject;
  const source = program.getSourceFile(project.getSourceFileOrThrow(file).getFilePath());
  if (source === undefined) throw new Error(`verify: ${file} is not in the program`);
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
    const at = diagnostic.start === undefined ? { line: 0, character: -1 } : source.getLineAndCharacterOfPosition(diagnostic.start);
    return {
      line: at.line + 1,
      column: at.character + 1,
      code: diagnostic.code,
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
    };
  });
}

/** The diagnostics in `after` beyond those in `before`, compared by code and message, with counts. */
export function newDiagnostics(before: readonly VerifyDiagnostic[], after: readonly VerifyDiagnostic[]): VerifyDiagnostic[] {
  const key = (diagnostic: VerifyDiagnostic): string => `${diagnostic.code}\0${diagnostic.message}`;
  const seen = new Map<string, number>();
  for (const diagnostic of before) seen.set(key(diagnostic), (seen.get(key(diagnostic)) ?? 0) + 1);
  const added: VerifyDiagnostic[] = [];
  for (const diagnostic of after) {
    const left = seen.get(key(diagnostic)) ?? 0;
    if (left > 0) seen.set(key(diagnostic), left - 1);
    else added.push(diagnostic);
  }
  return added;
}
