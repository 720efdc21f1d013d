/**
 * Durations as the policy writes them: `500ms`, `60s`, `1m`, `1h`, `1.5s`, or a number of
 * milliseconds. Text is read exactly: `1.005s` is 1005 ms, not 1004.9999999999999.
 *
 * In a policy file (`checkDuration`) a duration is a whole number of milliseconds no longer
 * than MAX_DURATION_MS, the most a Node timer can wait: `setTimeout` and `AbortSignal.timeout`
 * fire a longer one after 1 ms, `AbortSignal.timeout` throws on a fraction, and the codemods
 * print these numbers into code. Runtime arguments (`parseDuration`) may be any finite
 * amount: a limiter's window of 15.5 ms or 30 days is its own business.
 */

/** 2³¹ − 1 ms, about 24.8 days: the longest wait `setTimeout` and `AbortSignal.timeout` honour. */
export const MAX_DURATION_MS = 2_147_483_647;

const UNITS: Readonly<Record<string, bigint>> = { ms: 1n, s: 1_000n, m: 60_000n, h: 3_600_000n };
const PATTERN = /^(\d+)(?:\.(\d+))?\s*(ms|s|m|h)$/;
// Digits read exactly with BigInt; longer text (far past any useful duration) is read as a float.
const EXACT_DIGITS = 30;

export type Duration = number | string;

/**
 * A policy duration: its milliseconds, or why it is not one — `syntax` (not a duration at
 * all, or negative) or `range` (a fraction of a millisecond, or longer than a timer can wait;
 * `ms` is what it amounts to, when that is a finite number).
 */
export type DurationCheck =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: 'syntax' | 'range'; readonly ms?: number };

/** Milliseconds in a duration, exactly where that is possible (may be Infinity); undefined when it is none or negative. */
function read(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) || value < 0 ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const match = PATTERN.exec(value.trim());
  if (match === null) return undefined;
  const [, whole, rawFraction = '', unit] = match;
  const fraction = rawFraction.replace(/0+$/, '');
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  if (digits.length > EXACT_DIGITS) return Number(`${whole}.${fraction}0`) * Number(UNITS[unit!]);
  const scaled = BigInt(digits) * UNITS[unit!]!;
  const divisor = 10n ** BigInt(fraction.length);
  return scaled % divisor === 0n ? Number(scaled / divisor) : Number(scaled) / Number(divisor);
}

/**
 * Checks a duration from a policy file: whole milliseconds from 0 to MAX_DURATION_MS. The
 * only fractions refused are real ones (`1.0005s`), never a float's rounding.
 */
export function checkDuration(value: unknown): DurationCheck {
  const ms = read(value);
  if (ms === undefined) return { ok: false, reason: 'syntax' };
  if (!Number.isFinite(ms)) return { ok: false, reason: 'range' };
  if (!Number.isInteger(ms) || ms > MAX_DURATION_MS) return { ok: false, reason: 'range', ms };
  return { ok: true, ms };
}

/** Milliseconds in `value`: any finite, non-negative duration; undefined for anything else. */
export function tryParseDuration(value: unknown): number | undefined {
  const ms = read(value);
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}

/**
 * Milliseconds in `value`, a runtime argument: any finite, non-negative duration. Throws a
 * TypeError naming `name` for anything else (a 311-digit duration is not Infinity).
 */
export function parseDuration(name: string, value: Duration): number {
  const ms = tryParseDuration(value);
  if (ms !== undefined) return ms;
  throw new TypeError(
    `Expected \`${name}\` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got ${showDuration(value, {})}`,
  );
}

/** The policy durations allowed, for messages: "a whole number of milliseconds from 1 to 2147483647 (…)". */
export function durationRange(min: 0 | 1): string {
  return `a whole number of milliseconds from ${min} to ${MAX_DURATION_MS} (about 24.8 days, the longest a timer can wait)`;
}

/** `value` for a message (long text cut short), with the milliseconds it amounts to when it was written with a unit. */
export function showDuration(value: unknown, checked: { readonly ms?: number }): string {
  if (typeof value !== 'string') return String(value);
  const text = JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return checked.ms === undefined ? text : `${text} (${checked.ms} ms)`;
}
