import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { classifyFile, runsOn, type FileContexts } from '@bounded/policy';
import type { Policy } from '@bounded/policy';
import { suggest } from '@bounded/policy';

/**
 * `bounded check` and where code runs: each file is classified once, with the same module
 * the rules use (eslint-plugin/utils/contexts.ts); files on which no loaded rule runs
 * (vendored and generated code, by default) are not linted at all, only counted.
 */

export interface Classified {
  readonly file: string;
  readonly contexts: FileContexts;
}

/** Classifies `files`; `base` is the policy file's folder, else the working directory. */
export function classifyFiles(files: readonly string[], policy: Policy, cwd: string): Classified[] {
  const base = policy.source === undefined ? cwd : dirname(policy.source);
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = '';
    }
    return { file, contexts: classifyFile(file, text, policy, base) };
  });
}

/** Splits the files into those to lint and those no loaded rule runs on. */
export function skipUnlinted(classified: readonly Classified[], rules: readonly string[]): { lint: string[]; skipped: Classified[] } {
  const lint: string[] = [];
  const skipped: Classified[] = [];
  for (const entry of classified) {
    if (rules.some((rule) => runsOn(rule, entry.contexts))) lint.push(entry.file);
    else skipped.push(entry);
  }
  return { lint, skipped };
}

/** `--list-contexts`: one line per file, its contexts and why; or JSON lines. */
export function formatContexts(classified: readonly Classified[], cwd: string, json: boolean): string {
  if (json) {
    return classified
      .map(
        ({ file, contexts }) => `${JSON.stringify({ file: relative(cwd, file), contexts: contexts.matches, skip: [...contexts.skip] })}\n`,
      )
      .join('');
  }
  const rows = classified.map(({ file, contexts }) => ({
    file: relative(cwd, file),
    names: contexts.matches.map((match) => match.context).join(','),
    reasons: contexts.matches.map((match) => match.reason).join('; '),
  }));
  const fileWidth = Math.min(60, Math.max(4, ...rows.map((row) => row.file.length)));
  const nameWidth = Math.max(7, ...rows.map((row) => row.names.length));
  return rows.map((row) => `${row.file.padEnd(fileWidth)}  ${row.names.padEnd(nameWidth)}  ${row.reasons}\n`).join('');
}

/** The summary's line for skipped files: how many, and of which contexts. */
export function skippedSummary(skipped: readonly Classified[]): string | undefined {
  if (skipped.length === 0) return undefined;
  const byContext = new Map<string, number>();
  // By the first context found (vendored, generated, test, script, example, browser): a minified file under public/ is generated.
  for (const entry of skipped) {
    const name = entry.contexts.matches[0]!.context;
    byContext.set(name, (byContext.get(name) ?? 0) + 1);
  }
  const parts = [...byContext].map(([name, count]) => `${count} ${name}`).join(', ');
  return `  ${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped (${parts}; see --list-contexts)`;
}

/**
 * Warnings for skip lists of the policy's lint.contexts that name no rule of bounded's (a
 * typo would silently leave the rule on): the policy may not know the plugin's rules, check does.
 */
export function unknownSkippedRules(policy: Policy, rules: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const [context, entry] of Object.entries(policy.lint.contexts)) {
    for (const rule of entry.skip) {
      if (rule === 'all' || rules.includes(rule)) continue;
      const hint = suggest(rule, rules);
      warnings.push(
        `bounded check: policy lint.contexts.${context}.skip names "${rule}", which is no rule of bounded's${hint === undefined ? '' : ` (did you mean "${hint}"?)`}\n`,
      );
    }
  }
  return warnings;
}
