/** Durations as the policy writes them: `500ms`, `60s`, `1m`, `1h`, `1.5s`, or a number of milliseconds. */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

export type Duration = number | string;

/** Milliseconds in `value`, or undefined when it is not a duration. */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = PATTERN.exec(value.trim());
  if (match === null) return undefined;
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** Milliseconds in `value`; throws a TypeError naming `name` when it is not a duration. */
export function parseDuration(name: string, value: Duration): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new TypeError(
      `Expected \`${name}\` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
