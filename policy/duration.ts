/**
 * Durations as the policy writes them: `500ms`, `60s`, `1m`, `1h`, `1.5s`, or a number of
 * milliseconds. A duration is a whole number of milliseconds no longer than MAX_DURATION_MS,
 * the most a Node timer can wait: `setTimeout` and `AbortSignal.timeout` fire a longer one
 * after 1 ms, and `AbortSignal.timeout` throws on a fraction.
 */

/** 2³¹ − 1 ms, about 24.8 days: the longest wait `setTimeout` and `AbortSignal.timeout` honour. */
export const MAX_DURATION_MS = 2_147_483_647;

const UNITS: Readonly<Record<string, bigint>> = { ms: 1n, s: 1_000n, m: 60_000n, h: 3_600_000n };
const PATTERN = /^(\d+)(?:\.(\d+))?\s*(ms|s|m|h)$/;
// Far more digits than any duration in range has; longer text is out of range without reading it.
const MAX_DIGITS = 24;

export type Duration = number | string;

/**
 * A value read as a duration: its milliseconds, or why it is not one — `syntax` (not a
 * duration at all, or negative) or `range` (a fraction of a millisecond, or longer than a
 * timer can wait; `ms` is what it amounts to, when that can be said).
 */
export type DurationCheck =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: 'syntax' | 'range'; readonly ms?: number };

/**
 * Reads `value` as a duration. Decimal text is read exactly, so `1.005s` is 1005 ms (not
 * 1004.9999999999999) and the only fractions refused are real ones (`1.0005s`).
 */
export function checkDuration(value: unknown): DurationCheck {
  if (typeof value === 'number') {
    if (Number.isNaN(value) || value < 0) return { ok: false, reason: 'syntax' };
    return Number.isInteger(value) && value >= 0 && value <= MAX_DURATION_MS ? { ok: true, ms: value } : { ok: false, reason: 'range' };
  }
  if (typeof value !== 'string') return { ok: false, reason: 'syntax' };
  const match = PATTERN.exec(value.trim());
  if (match === null) return { ok: false, reason: 'syntax' };
  const [, whole, fraction = '', unit] = match;
  const digits = `${whole!.replace(/^0+(?=\d)/, '')}${fraction.replace(/0+$/, '')}`;
  const places = fraction.replace(/0+$/, '').length;
  if (digits.length > MAX_DIGITS) return { ok: false, reason: 'range' };
  const scaled = BigInt(digits) * UNITS[unit!]!;
  const divisor = 10n ** BigInt(places);
  const ms = Number(scaled) / Number(divisor);
  if (scaled % divisor !== 0n || ms > MAX_DURATION_MS) return { ok: false, reason: 'range', ms };
  return { ok: true, ms: Number(scaled / divisor) };
}

/** Milliseconds in `value`, or undefined when it is not a duration (see `checkDuration`). */
export function tryParseDuration(value: unknown): number | undefined {
  const checked = checkDuration(value);
  return checked.ok ? checked.ms : undefined;
}

/**
 * Milliseconds in `value`; throws a TypeError naming `name` when it is not a duration, not a
 * whole number of milliseconds, or longer than a timer can wait.
 */
export function parseDuration(name: string, value: Duration): number {
  const checked = checkDuration(value);
  if (checked.ok) return checked.ms;
  const shown = showDuration(value, checked);
  if (checked.reason === 'syntax') {
    throw new TypeError(`Expected \`${name}\` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got ${shown}`);
  }
  throw new TypeError(`Expected \`${name}\` to be ${durationRange(0)}, got ${shown}`);
}

/** The durations allowed, for messages: "a whole number of milliseconds from 1 to 2147483647 (…)". */
export function durationRange(min: 0 | 1): string {
  return `a whole number of milliseconds from ${min} to ${MAX_DURATION_MS} (about 24.8 days, the longest a timer can wait)`;
}

/** `value` for a message, with the milliseconds it amounts to when it was written with a unit. */
export function showDuration(value: unknown, checked: DurationCheck): string {
  const text = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value) : String(value);
  return typeof value === 'string' && checked.ms !== undefined ? `${text} (${checked.ms} ms)` : text;
}
