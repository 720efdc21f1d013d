import type { ESLint, Linter, Rule } from 'eslint';

/**
 * Rules that cannot take a run down. `bounded check` lints with a copy of the plugin whose
 * rules catch what they throw: the throw becomes one message on that file (messageId
 * INTERNAL_ERROR, its text a JSON record of the error), the rule stops for that file, and
 * every other rule and file goes on. `takeInternalErrors` moves those messages out of the
 * results before they are counted or formatted. The messages are plain data, so this works
 * the same when files are linted in worker threads.
 */

export const INTERNAL_ERROR = 'boundedInternalError';

/** A rule (or the parser, or ESLint itself) that threw on one file. */
export interface InternalError {
  readonly file: string;
  /** `bounded/no-unbounded-concurrency`; undefined when it was not a rule. */
  readonly rule: string | undefined;
  readonly line: number;
  readonly message: string;
  readonly stack: string | undefined;
}

/** The plugin with every rule guarded. */
export function guardPlugin<P extends ESLint.Plugin>(plugin: P): P {
  const rules: Record<string, Rule.RuleModule> = {};
  for (const [name, rule] of Object.entries(plugin.rules ?? {})) rules[name] = guardRule(rule);
  return { ...plugin, rules };
}

function guardRule(rule: Rule.RuleModule): Rule.RuleModule {
  return {
    ...rule,
    meta: { ...rule.meta, messages: { ...rule.meta?.messages, [INTERNAL_ERROR]: '{{detail}}' } },
    create(context) {
      let failed = false;
      const fail = (error: unknown, at: unknown): void => {
        if (failed) return;
        failed = true;
        const line = (at as { loc?: { start?: { line?: number } } } | undefined)?.loc?.start?.line ?? 1;
        const detail = JSON.stringify({
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        });
        context.report({ loc: { line, column: 0 }, messageId: INTERNAL_ERROR, data: { detail } });
      };
      let listeners: Rule.RuleListener;
      try {
        listeners = rule.create(context);
      } catch (error) {
        fail(error, undefined);
        return {};
      }
      const guarded: Record<string, (...args: unknown[]) => void> = {};
      for (const [selector, listener] of Object.entries(listeners)) {
        if (typeof listener !== 'function') continue;
        guarded[selector] = (...args: unknown[]) => {
          if (failed) return;
          try {
            (listener as (...a: unknown[]) => void)(...args);
          } catch (error) {
            fail(error, args[0]);
          }
        };
      }
      return guarded;
    },
  };
}

/** Moves the guarded rules' internal errors out of `results` into the returned list. */
export function takeInternalErrors(results: ESLint.LintResult[]): InternalError[] {
  const errors: InternalError[] = [];
  for (const result of results) {
    const kept: Linter.LintMessage[] = [];
    for (const message of result.messages) {
      if (message.messageId !== INTERNAL_ERROR) {
        kept.push(message);
        continue;
      }
      let detail: { message?: string; stack?: string };
      try {
        detail = JSON.parse(message.message) as typeof detail;
      } catch {
        detail = { message: message.message };
      }
      errors.push({
        file: result.filePath,
        rule: message.ruleId ?? undefined,
        line: message.line,
        message: detail.message ?? '',
        stack: detail.stack,
      });
    }
    if (kept.length !== result.messages.length) replaceMessages(result, kept);
    // A disable comment for the rule silenced the error too: nothing to report, nothing to leak into the JSON.
    result.suppressedMessages = result.suppressedMessages.filter((message) => message.messageId !== INTERNAL_ERROR);
  }
  return errors;
}

/** Sets a result's messages and recounts its totals, as ESLint counts them. */
export function replaceMessages(result: ESLint.LintResult, messages: Linter.LintMessage[]): void {
  result.messages = messages;
  result.errorCount = messages.filter((message) => message.severity === 2).length;
  result.fatalErrorCount = messages.filter((message) => message.fatal === true).length;
  result.warningCount = messages.filter((message) => message.severity === 1).length;
  result.fixableErrorCount = messages.filter((message) => message.severity === 2 && message.fix !== undefined).length;
  result.fixableWarningCount = messages.filter((message) => message.severity === 1 && message.fix !== undefined).length;
}

/** An internal error as `bounded check` prints it on standard error: file, rule, message, and with `debug` the stack. */
export function formatInternalError(error: InternalError, relativeFile: string, debug: boolean): string {
  const where = `${relativeFile}:${error.line}`;
  const what = error.rule === undefined ? 'internal error' : `internal error in ${error.rule}`;
  const stack = debug && error.stack !== undefined ? `\n${error.stack.replace(/^/gm, '    ')}` : '';
  return `bounded check: ${what} on ${where}: ${error.message}${stack}\n`;
}
