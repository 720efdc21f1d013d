/** Tools for the monitor tests: a recording logger, a pool stand-in, a Prometheus text parser. */
import { readFileSync } from 'node:fs';
import type { MonitorLogger, MonitoredPool } from '../../../runtime/index.js';

export const ROOT = new URL('../../../', import.meta.url);

export interface LogLine {
  readonly level: keyof MonitorLogger;
  readonly message: string;
}

/** A logger that keeps what it is given. */
export function recordingLogger(): MonitorLogger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (message) => lines.push({ level: 'warn', message }),
    info: (message) => lines.push({ level: 'info', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
}

export type PoolFigures = ReturnType<MonitoredPool['stats']>;

/**
 * A stand-in with `BoundedPool.stats()`'s shape (the real pool needs PostgreSQL); the test sets
 * its figures.
 */
export function poolStub(figures: Partial<PoolFigures> = {}): MonitoredPool & { figures: PoolFigures } {
  const stub = {
    figures: {
      max: 20,
      total: 5,
      idle: 5,
      inUse: 0,
      waiting: 0,
      acquireWaitMs: { p50: 0, p95: 0, p99: 0 },
      acquired: 0,
      errors: 0,
      timeouts: 0,
      ...figures,
    },
    stats: () => ({ ...stub.figures }),
  };
  return stub;
}

/** A mutable clock in ms, for the monitor's `now`. */
export function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void; time: number } {
  const clock = {
    time: start,
    now: () => clock.time,
    advance(ms: number) {
      clock.time += ms;
    },
  };
  return clock;
}

// --- Prometheus text exposition format (version 0.0.4) -------------------------------------------

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  help: string | undefined;
  type: string | undefined;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
// A label value: any characters but `"`, `\` and newline, or the escapes \\, \" and \n.
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL = `${LABEL_NAME}=${LABEL_VALUE}`;
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?Inf|NaN)';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

/**
 * Parses Prometheus text format strictly: every line is a `# HELP`, a `# TYPE`, another comment,
 * a blank line or a sample `name{labels} value`; every sample belongs to a family declared by
 * `# TYPE` before it (its name, or the name with a histogram or summary suffix); no family is
 * declared twice. Throws on the first violation, naming the line.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (found === undefined) {
      found = { help: undefined, type: undefined, samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('The text does not end with a newline');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    let match = HELP_LINE.exec(line);
    if (match !== null) {
      const f = family(match[1]!);
      if (f.help !== undefined) throw new Error(`Second HELP for ${match[1]} at ${where}`);
      f.help = match[2]!;
      return;
    }
    match = TYPE_LINE.exec(line);
    if (match !== null) {
      const f = family(match[1]!);
      if (f.type !== undefined) throw new Error(`Second TYPE for ${match[1]} at ${where}`);
      if (f.samples.length > 0) throw new Error(`TYPE after samples of ${match[1]} at ${where}`);
      f.type = match[2]!;
      return;
    }
    if (line.startsWith('#')) return;
    match = SAMPLE_LINE.exec(line);
    if (match === null) throw new Error(`Not a sample line at ${where}`);
    const name = match[1]!;
    const labels: Record<string, string> = {};
    for (const [, key, quoted] of (match[2] ?? '').matchAll(LABEL_PAIR)) {
      if (key! in labels) throw new Error(`Label ${key} twice at ${where}`);
      // The format's escapes (\\, \", \n) are JSON's too.
      labels[key!] = JSON.parse(quoted!) as string;
    }
    const owner = [name, name.replace(/_(?:bucket|sum|count)$/, '')].find((n) => families.get(n)?.type !== undefined);
    if (owner === undefined) throw new Error(`Sample of undeclared family ${name} at ${where}`);
    const raw = match[3]!;
    const value = raw.endsWith('Inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw);
    families.get(owner)!.samples.push({ name, labels, value });
  });
  for (const [name, f] of families) {
    if (f.help === undefined) throw new Error(`${name} has no # HELP`);
    if (f.type === undefined) throw new Error(`${name} has no # TYPE`);
  }
  return families;
}

// --- docs/metrics.md -----------------------------------------------------------------------------

export interface DocumentedMetric {
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
  readonly meaning: string;
}

/**
 * The rows of the metrics table in docs/metrics.md: `| \`name\` | type | \`label\`, … | meaning |`.
 */
export function documentedMetrics(): DocumentedMetric[] {
  const text = readFileSync(new URL('docs/metrics.md', ROOT), 'utf8');
  const rows: DocumentedMetric[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // ['', name, type, labels, meaning, '']
    if (cells.length !== 6 || !/^`bounded_[a-z_]+`$/.test(cells[1]!)) continue;
    rows.push({
      name: cells[1]!.slice(1, -1),
      type: cells[2]!,
      labels: cells[3] === '—' ? [] : [...cells[3]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!),
      meaning: cells[4]!,
    });
  }
  return rows;
}
