/**
 * Turns repetitions into figures, ratios, target checks, JSON lines and the terminal table.
 * Everything here is pure, so the tests exercise it without starting a process.
 */
import { ratio, roundRatio, roundValue, summarize, type Stats } from './stats.js';
import { measurementId, type EvaluatedFigure, type Measurement, type Sample, type Target, type Unit } from './suite.js';

/** One repetition of one measurement, as the runner saw it. */
export type RepResult = { readonly ok: true; readonly sample: Sample } | { readonly ok: false; readonly error: string };

/** One reported number (median over the successful repetitions) with its identity. */
export interface Figure {
  readonly suite: string;
  readonly name: string;
  readonly scenario: string;
  readonly unit: Unit;
  readonly ratioVs: readonly string[];
  /** Undefined when no repetition succeeded. */
  readonly stats: Stats | undefined;
  /** The first failure among the repetitions, if any. */
  readonly error?: string;
  readonly mayFail: boolean;
  readonly failureNote?: string;
}

/**
 * The figures of a run, grouped by scenario in order of first appearance (within a group, in
 * the order the suite declares its measurements): a measurement's main figure, then one per
 * `extra` entry.
 */
export function buildFigures(
  suite: string,
  measurements: readonly Measurement[],
  results: ReadonlyMap<string, readonly RepResult[]>,
): Figure[] {
  const figures: Figure[] = [];
  for (const m of measurements) {
    const reps = results.get(measurementId(m)) ?? [];
    const failure = reps.find((r) => !r.ok);
    const samples = reps.flatMap((r) => (r.ok ? [r.sample] : []));
    const base = {
      suite,
      name: m.name,
      ratioVs: m.ratioVs,
      mayFail: m.mayFail ?? false,
      ...(m.failureNote === undefined ? {} : { failureNote: m.failureNote }),
    };
    const firstError = failure?.ok === false ? failure.error : reps.length === 0 ? 'not run' : undefined;
    figures.push({
      ...base,
      scenario: m.scenario,
      unit: m.unit,
      stats: summarize(samples.map((s) => s.value)),
      ...(firstError === undefined ? {} : { error: firstError }),
    });
    for (const extra of m.extra ?? []) {
      const values = samples.flatMap((s) => {
        const v = s.extra?.[extra.key];
        return v === undefined ? [] : [v];
      });
      const error = firstError ?? (values.length < samples.length ? `the child did not report '${extra.key}'` : undefined);
      figures.push({
        ...base,
        scenario: extra.scenario,
        unit: extra.unit,
        stats: summarize(values),
        ...(error === undefined ? {} : { error }),
      });
    }
  }
  return groupByScenario(figures);
}

function groupByScenario(figures: readonly Figure[]): Figure[] {
  const order = new Map<string, number>();
  for (const f of figures) if (!order.has(f.scenario)) order.set(f.scenario, order.size);
  return figures
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order.get(a.f.scenario)! - order.get(b.f.scenario)! || a.i - b.i)
    .map(({ f }) => f);
}

/** The figures of a one-shot suite, as figures of one repetition each (same JSON lines). */
export function evaluatedFigures(suite: string, evaluated: readonly EvaluatedFigure[]): Figure[] {
  return evaluated.map((f) => ({
    suite,
    name: f.name,
    scenario: f.scenario,
    unit: f.unit,
    ratioVs: [],
    stats: f.value === null ? undefined : { median: f.value, min: f.value, max: f.value, n: 1 },
    mayFail: false,
    ...(f.value === null ? { error: f.note ?? 'not measured' } : {}),
  }));
}

/** The figure named `name` in `scenario`, if the run has it. */
export function findFigure(figures: readonly Figure[], name: string, scenario: string): Figure | undefined {
  return figures.find((f) => f.name === name && f.scenario === scenario);
}

/** `figure`'s median over the median of `baseline` in the same scenario and run. */
export function ratioOf(figures: readonly Figure[], figure: Figure, baseline: string): number | null {
  return ratio(figure.stats?.median, findFigure(figures, baseline, figure.scenario)?.stats?.median);
}

/** The fields of one JSON line, in their documented order. */
export interface JsonFigure {
  suite: string;
  name: string;
  scenario: string;
  value: number | null;
  unit: Unit;
  ratio_vs: string | null;
  ratio: number | null;
  min: number | null;
  max: number | null;
  reps: number;
  error?: string;
}

/**
 * One JSON line per figure and baseline: a figure compared with two baselines gives two lines
 * that differ only in `ratio_vs` and `ratio`; the first is the primary one.
 */
export function jsonFigures(figures: readonly Figure[]): JsonFigure[] {
  return figures.flatMap((f) => {
    const baselines = f.ratioVs.length > 0 ? f.ratioVs : [null];
    return baselines.map((vs): JsonFigure => {
      const r = vs === null ? null : ratioOf(figures, f, vs);
      return {
        suite: f.suite,
        name: f.name,
        scenario: f.scenario,
        value: f.stats === undefined ? null : roundValue(f.stats.median),
        unit: f.unit,
        ratio_vs: vs,
        ratio: r === null ? null : roundRatio(r),
        min: f.stats === undefined ? null : roundValue(f.stats.min),
        max: f.stats === undefined ? null : roundValue(f.stats.max),
        reps: f.stats?.n ?? 0,
        ...(f.error === undefined ? {} : { error: f.error }),
      };
    });
  });
}

export function jsonLines(figures: readonly Figure[]): string[] {
  return jsonFigures(figures).map((line) => JSON.stringify(line));
}

export type TargetStatus = 'pass' | 'fail' | 'n/a';

export interface TargetResult {
  readonly target: Target;
  readonly label: string;
  /** The ratio (with `ratioVs`) or the value that was checked; null when it could not be. */
  readonly actual: number | null;
  /** The unit of the checked figure (the value's unit; ratios have none). */
  readonly unit: Unit | undefined;
  readonly status: TargetStatus;
}

export function targetLabel(target: Target, unit: Unit | undefined): string {
  const bound = (op: string, n: number): string =>
    target.ratioVs === undefined ? `${op} ${formatNumber(n)} ${unit ?? ''}`.trimEnd() : `${op} ${n}× ${target.ratioVs}`;
  const bounds = [
    ...(target.atLeast === undefined ? [] : [bound('≥', target.atLeast)]),
    ...(target.atMost === undefined ? [] : [bound('≤', target.atMost)]),
  ];
  return `${target.name} ${bounds.join(' and ')} @ ${target.scenario}`;
}

export function checkTargets(targets: readonly Target[], figures: readonly Figure[]): TargetResult[] {
  return targets.map((target) => {
    const figure = findFigure(figures, target.name, target.scenario);
    const unit = figure?.unit;
    const label = targetLabel(target, unit);
    let actual: number | null = null;
    if (figure !== undefined) {
      actual = target.ratioVs === undefined ? (figure.stats?.median ?? null) : ratioOf(figures, figure, target.ratioVs);
    }
    if (actual === null) return { target, label, actual, unit, status: 'n/a' };
    const pass = (target.atLeast === undefined || actual >= target.atLeast) && (target.atMost === undefined || actual <= target.atMost);
    return { target, label, actual, unit, status: pass ? 'pass' : 'fail' };
  });
}

/** 1,234,567 for big numbers, four significant digits below 1000. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(Number(value.toPrecision(4)));
}

function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : `${roundRatio(value)}×`;
}

export interface TableHeader {
  readonly suite: string;
  readonly description: string;
  readonly reps: number;
  readonly quick: boolean;
  /** Where it ran, e.g. "Node v20.20.2, 2 CPUs, load average 1.2 → 1.4". */
  readonly host?: string;
}

/** The human-readable report: figures grouped by scenario, then notes, then target checks. */
export function renderTable(header: TableHeader, figures: readonly Figure[], targets: readonly TargetResult[]): string {
  const lines: string[] = [
    `${header.suite}: ${header.description}`,
    `${header.reps} rep${header.reps === 1 ? '' : 's'}, interleaved, one fresh child process each; median [min … max]` +
      (header.quick ? '. --quick: reduced counts, not comparable with a full run' : ''),
    ...(header.host === undefined ? [] : [header.host]),
    '',
  ];

  const rows: Array<readonly string[] | string> = [['', 'median', 'min', 'max', 'unit', 'ratio']];
  let scenario: string | undefined;
  const notes = new Map<string, string>();
  for (const f of figures) {
    if (f.scenario !== scenario) {
      scenario = f.scenario;
      rows.push(scenario);
    }
    if (f.stats === undefined) {
      rows.push([`  ${f.name}`, 'FAILED', '', '', f.unit, f.error ?? '']);
    } else {
      const ratios = f.ratioVs.map((vs) => `${formatRatio(ratioOf(figures, f, vs))} ${vs}`).join(', ');
      const partial = f.error === undefined ? '' : `  (${f.stats.n} ok; ${f.error})`;
      rows.push([
        `  ${f.name}`,
        formatNumber(f.stats.median),
        formatNumber(f.stats.min),
        formatNumber(f.stats.max),
        f.unit,
        ratios + partial,
      ]);
    }
    if (f.error !== undefined && f.failureNote !== undefined) notes.set(f.name, f.failureNote);
  }
  lines.push(...alignRows(rows, [false, true, true, true, false, false]));

  if (notes.size > 0) {
    lines.push('', 'Notes');
    for (const [name, note] of notes) lines.push(`  ${name}: ${note}`);
  }
  if (targets.length > 0) {
    lines.push('', 'Targets');
    for (const t of targets) {
      const status = t.status === 'n/a' ? 'n/a ' : t.status.toUpperCase();
      const actual =
        t.actual === null
          ? 'not measured'
          : t.target.ratioVs === undefined
            ? `${formatNumber(t.actual)} ${t.unit ?? ''}`.trimEnd()
            : formatRatio(t.actual);
      const source = t.target.source === undefined ? '' : `, ${t.target.source}`;
      lines.push(`  ${status}  ${t.label}  (${actual}${source})`);
    }
  }
  return lines.join('\n');
}

/** Pads table cells to column width; a plain string row (a group heading) is kept as is. */
function alignRows(rows: ReadonlyArray<readonly string[] | string>, right: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    if (typeof row === 'string') continue;
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) => {
    if (typeof row === 'string') return row;
    return row
      .map((cell, i) => {
        const width = i === row.length - 1 ? 0 : (widths[i] ?? 0);
        return right[i] === true ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  });
}
