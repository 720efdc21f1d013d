import type { ESLint, Linter } from 'eslint';
import { replaceMessages } from './check-guard.js';

/**
 * `bounded check` loads bounded's rules only, so every `eslint-disable` comment that names
 * another plugin's rule makes ESLint report "Definition for rule '…' was not found" — on
 * code with no hazard at all. Those messages are not bounded's to report: they are dropped
 * (no finding, no count, no exit code). Of ESLint's unused-directive reports (made only on
 * request) only those about bounded's own rules are kept, naming only those rules.
 */
export function keepOwnDirectiveMessages(results: ESLint.LintResult[], ownRules: ReadonlySet<string>): void {
  for (const result of results) {
    const kept: Linter.LintMessage[] = [];
    let changed = false;
    for (const message of result.messages) {
      const own = ownMessage(message, ownRules);
      if (own !== message) changed = true;
      if (own !== undefined) kept.push(own);
    }
    if (changed) replaceMessages(result, kept);
  }
}

const UNUSED =
  /^Unused eslint-(disable|enable) directive \((no problems were reported from|no matching eslint-disable directives were found for) (.+)\)\.$/;

function ownMessage(message: Linter.LintMessage, ownRules: ReadonlySet<string>): Linter.LintMessage | undefined {
  // A rule this run does not load: "Definition for rule 'x' was not found", "Rule 'x' was removed…".
  if (message.ruleId !== null && !ownRules.has(message.ruleId)) return undefined;
  if (message.ruleId !== null || message.fatal === true) return message;
  if (!message.message.startsWith('Unused eslint-')) return message;
  const match = UNUSED.exec(message.message);
  // A directive for every rule (`/* eslint-disable */`) serves other linters too: not ours to judge.
  if (match === null) return undefined;
  const named = [...match[3]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  const ours = named.filter((rule) => ownRules.has(rule));
  if (ours.length === 0) return undefined;
  if (ours.length === named.length) return message;
  // The comment also names other linters' rules: report bounded's alone, and leave the comment as it is.
  const list = ours.map((rule) => `'${rule}'`).join(', ');
  const { fix: _fix, ...rest } = message;
  return { ...rest, message: `Unused eslint-${match[1]} directive (${match[2]} ${list}).` };
}
