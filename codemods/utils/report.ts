import type { API } from 'jscodeshift';

/** `line:column` of a node for a report; `?` when it has no location. */
export function at(node: unknown): string {
  const loc = (node as { loc?: { start: { line: number; column: number } } | null }).loc;
  return loc ? `${loc.start.line}:${loc.start.column + 1}` : '?';
}

/**
 * How a transform says why it left a site alone: `file:line:col: <transform> skipped: <reason>`,
 * the one form `bounded migrate` reads back. jscodeshift's own test helper (applyTransform)
 * passes no `report`.
 */
export function skipReporter(api: API, file: string, transform: string): (node: unknown, reason: string) => void {
  return (node, reason) => void (api as Partial<API>).report?.(`${file}:${at(node)}: ${transform} skipped: ${reason}`);
}
