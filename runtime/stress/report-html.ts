/**
 * `bounded stress --report FILE.html`: one self-contained page (inline CSS and SVG, no
 * scripts, no fonts or images to fetch) that reads offline. Charts over time share one
 * x axis (seconds since the run's start) and shade every injected fault.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BaselineComparison } from './baseline.js';
import type { FaultWindow, MonitorWarning, ResourceFigures, StressResult } from './types.js';

export interface HtmlReportOptions {
  /** A baseline comparison to show beside the figures. */
  readonly comparison?: BaselineComparison;
  /** Page title; defaults to the level and scenario. */
  readonly title?: string;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
  /** Step line (a limit, a count held until the next sample) rather than a straight segment. */
  readonly step?: boolean;
  readonly dashed?: boolean;
}

interface ChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly faults: readonly FaultWindow[];
  readonly endMs: number;
  readonly markers?: readonly { readonly t: number; readonly label: string; readonly color: string }[];
  /** Draw stacked bars instead of lines (one bar per x of the first series). */
  readonly stacked?: boolean;
}

const WIDTH = 760;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 30 };

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/** An SVG line (or stacked bar) chart over the run's time axis, faults shaded. */
// eslint-disable-next-line max-lines-per-function -- one SVG chart: axes, series and fault shading drawn from the same scales
export function chartSvg(options: ChartOptions): string {
  const { series, faults, endMs } = options;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const xMax = Math.max(endMs, 1);
  let yMaxRaw = 0;
  if (options.stacked) {
    const sums = new Map<number, number>();
    for (const s of series) for (const [t, v] of s.points) sums.set(t, (sums.get(t) ?? 0) + v);
    yMaxRaw = Math.max(0, ...sums.values());
  } else {
    for (const s of series) for (const [, v] of s.points) yMaxRaw = Math.max(yMaxRaw, v);
  }
  const yMax = niceMax(yMaxRaw * 1.05);
  const x = (t: number): number => PAD.left + (Math.min(Math.max(t, 0), xMax) / xMax) * plotW;
  const y = (v: number): number => PAD.top + plotH - (Math.max(v, 0) / yMax) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(options.title)}" xmlns="http://www.w3.org/2000/svg">`,
  );
  for (const fault of faults) {
    const x0 = x(fault.startMs);
    const x1 = x(fault.endMs ?? xMax);
    parts.push(
      `<rect class="fault" x="${x0.toFixed(1)}" y="${PAD.top}" width="${Math.max(x1 - x0, 1).toFixed(1)}" height="${plotH}" fill="#fca5a5" fill-opacity="0.35"><title>fault: ${escapeHtml(fault.name)}</title></rect>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    const py = y(v);
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(v, v < 10 ? 1 : 0)}</text>`);
  }
  const xTicks = 6;
  for (let i = 0; i <= xTicks; i++) {
    const t = (xMax / xTicks) * i;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${HEIGHT - 10}" text-anchor="middle" class="tick">${(t / 1000).toFixed(t < 10_000 ? 1 : 0)} s</text>`,
    );
  }
  parts.push(
    `<text x="12" y="${PAD.top + plotH / 2}" transform="rotate(-90 12 ${PAD.top + plotH / 2})" text-anchor="middle" class="tick">${escapeHtml(options.yLabel)}</text>`,
  );
  if (options.stacked) {
    const base = new Map<number, number>();
    const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
    const barW = Math.max(1, (plotW / Math.max(times.length, 1)) * 0.8);
    series.forEach((s, index) => {
      const color = s.color ?? PALETTE[index % PALETTE.length]!;
      for (const [t, v] of s.points) {
        if (v <= 0) continue;
        const below = base.get(t) ?? 0;
        base.set(t, below + v);
        const top = y(below + v);
        parts.push(
          `<rect x="${(x(t) - barW).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(below) - top).toFixed(1)}" fill="${color}"><title>${escapeHtml(s.name)}: ${v} at ${(t / 1000).toFixed(1)} s</title></rect>`,
        );
      }
    });
  } else {
    series.forEach((s, index) => {
      if (s.points.length === 0) return;
      const color = s.color ?? PALETTE[index % PALETTE.length]!;
      let d = '';
      s.points.forEach(([t, v], i) => {
        const px = x(t).toFixed(1);
        const py = y(v).toFixed(1);
        if (i === 0) d += `M${px},${py}`;
        else if (s.step) d += `H${px}V${py}`;
        else d += `L${px},${py}`;
      });
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 4"' : ''}><title>${escapeHtml(s.name)}</title></path>`,
      );
    });
  }
  for (const marker of options.markers ?? []) {
    const px = x(marker.t).toFixed(1);
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="${marker.color}" stroke-width="1" stroke-dasharray="2 3"><title>${escapeHtml(marker.label)}</title></line>`,
    );
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`);
  parts.push('</svg>');
  const legend = series
    .map(
      (s, index) =>
        `<span class="key"><i style="background:${s.color ?? PALETTE[index % PALETTE.length]!}${s.dashed ? ';opacity:.6' : ''}"></i>${escapeHtml(s.name)}</span>`,
    )
    .join('');
  return `<figure><figcaption>${escapeHtml(options.title)}</figcaption>${parts.join('')}<div class="legend">${legend}${
    faults.length > 0 ? '<span class="key"><i style="background:#fca5a5"></i>fault active</span>' : ''
  }</div></figure>`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  const head = header.map((h, i) => `<th${i >= numericFrom ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => `<td${i >= numericFrom ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function warningMarkers(warnings: readonly MonitorWarning[], resource: ResourceFigures): { t: number; label: string; color: string }[] {
  return warnings
    .filter((w) => w.kind === resource.kind && w.name === resource.name)
    .map((w) => ({
      t: w.at,
      label: `${w.level}: ${w.message}`,
      color: w.level === 'warning' ? '#ea580c' : '#16a34a',
    }));
}

function resourceChart(result: StressResult, resource: ResourceFigures, endMs: number): string {
  const series: Series[] = [
    { name: 'in flight', points: resource.samples.map((s) => [s.t, s.inFlight] as const), color: '#2563eb' },
    { name: 'waiting', points: resource.samples.map((s) => [s.t, s.waiting] as const), color: '#9333ea' },
  ];
  if (resource.samples.some((s) => s.limit !== null)) {
    series.push({
      name: 'limit',
      points: resource.samples.filter((s) => s.limit !== null).map((s) => [s.t, s.limit!] as const),
      color: '#dc2626',
      step: true,
      dashed: true,
    });
  }
  return chartSvg({
    title: `${resource.kind} “${resource.name}”: in flight vs limit ${resource.limit ?? 'unbounded'} (peak ${resource.maxInFlight}${
      resource.peakUtilization === null ? '' : `, ${(resource.peakUtilization * 100).toFixed(0)} %`
    })`,
    yLabel: 'units',
    series,
    faults: result.faults,
    endMs,
    markers: warningMarkers(result.warnings, resource),
  });
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
.ok{background:#16a34a}.bad{background:#dc2626}.muted{color:#6b7280}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #f3f4f6;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:12px 0 18px}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
.tick{font-size:10px;fill:#6b7280}.legend{font-size:12px;color:#374151}.key{margin-right:14px;white-space:nowrap}
.key i{display:inline-block;width:12px;height:4px;margin-right:5px;vertical-align:middle}
.pass{color:#16a34a;font-weight:600}.fail{color:#dc2626;font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
`;

/** Renders the whole report as one HTML document. */
// eslint-disable-next-line max-lines-per-function -- one HTML document template, its sections in reading order
export function renderHtmlReport(result: StressResult, options: HtmlReportOptions = {}): string {
  const { meta } = result;
  const endMs = Math.max(
    meta.elapsedMs,
    ...result.resources.flatMap((r) => r.samples.map((s) => s.t)),
    ...result.process.samples.map((s) => s.t),
    ...(result.timeline ?? []).map((s) => s.t),
    1,
  );
  const scenario = meta.chaos === null ? 'no chaos' : `chaos ${meta.chaos}`;
  const title = options.title ?? `bounded stress — ${meta.level}, ${scenario}`;
  const sections: string[] = [];

  sections.push(
    `<h1>${escapeHtml(title)}</h1><p><span class="verdict ${result.ok ? 'ok' : 'bad'}">${result.ok ? 'every check held' : 'a check failed'}</span> <span class="muted">started ${escapeHtml(
      meta.startedAt,
    )} · ${(meta.elapsedMs / 1000).toFixed(1)} s of ${(meta.durationMs / 1000).toFixed(1)} s requested · target ${meta.targetConcurrency} in flight · seed ${meta.seed} · bounded ${escapeHtml(
      meta.version,
    )} · Node ${escapeHtml(meta.node)} ${escapeHtml(meta.platform)}/${escapeHtml(meta.arch)}, ${meta.cpus} CPUs · policy ${escapeHtml(
      meta.policy.file ?? 'embedded defaults',
    )} <code>${escapeHtml(meta.policy.digest.slice(0, 12))}</code> · database ${escapeHtml(meta.database)}</span></p>`,
  );

  sections.push('<h2>What must hold</h2>');
  sections.push(
    table(
      ['check', 'result', 'detail'],
      result.checks.map((c) => [
        `<code>${escapeHtml(c.name)}</code>`,
        c.ok ? '<span class="pass">held</span>' : '<span class="fail">FAILED</span>',
        escapeHtml(c.detail),
      ]),
      3,
    ),
  );

  if (options.comparison) {
    const cmp = options.comparison;
    sections.push(
      `<h2>Against the baseline</h2><p>${cmp.ok ? '<span class="pass">no regression</span>' : '<span class="fail">regression</span>'} beyond 5 % plus measured noise; figures normalized by the in-run reference workload.</p>`,
    );
    sections.push(
      table(
        ['figure', 'baseline', 'now', 'worse by', 'allowed', 'status'],
        cmp.figures.map((f) => [
          `<code>${escapeHtml(f.name)}</code>`,
          `${fmt(f.rawBaseline, 2)} ${f.unit}`,
          f.rawCurrent === null ? '—' : `${fmt(f.rawCurrent, 2)} ${f.unit}`,
          f.worseBy === null ? '—' : `${(f.worseBy * 100).toFixed(1)} %`,
          `${(f.threshold * 100).toFixed(1)} %`,
          f.status === 'regressed' ? '<span class="fail">regressed</span>' : escapeHtml(f.status),
        ]),
      ),
    );
    if (cmp.warnings.length > 0) sections.push(`<ul>${cmp.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  }

  const t = result.totals;
  sections.push('<h2>Operations</h2>');
  sections.push(
    `<p>${t.started.toLocaleString('en-US')} started = ${t.succeeded.toLocaleString('en-US')} succeeded + ${t.failed.toLocaleString(
      'en-US',
    )} failed${t.unsettled > 0 ? ` + <span class="fail">${t.unsettled} never settled</span>` : ''}; ${fmt(t.throughput)} ops/s${
      t.untyped > 0 ? `; <span class="fail">${t.untyped} untyped failures</span>` : ''
    }.</p>`,
  );
  sections.push(
    table(
      ['kind', 'started', 'succeeded', 'failed', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
      result.operations.map((op) => [
        escapeHtml(op.kind),
        op.started.toLocaleString('en-US'),
        op.succeeded.toLocaleString('en-US'),
        op.failed.toLocaleString('en-US'),
        fmt(op.throughput),
        fmt(op.latency.p50),
        fmt(op.latency.p95),
        fmt(op.latency.p99),
        fmt(op.latency.max),
        escapeHtml(
          Object.entries(op.errors)
            .map(([name, count]) => `${name} ${count}`)
            .join(', ') || '—',
        ),
      ]),
    ),
  );

  const timeline = result.timeline ?? [];
  if (timeline.length > 0) {
    sections.push('<h2>Over time</h2>');
    sections.push(
      chartSvg({
        title: 'Throughput (operations settled per second)',
        yLabel: 'ops/s',
        series: [
          { name: 'succeeded', points: timeline.map((s) => [s.t, (s.succeeded * 1000) / s.intervalMs] as const), color: '#16a34a' },
          { name: 'failed', points: timeline.map((s) => [s.t, (s.failed * 1000) / s.intervalMs] as const), color: '#dc2626' },
        ],
        faults: result.faults,
        endMs,
      }),
    );
    const withLatency = timeline.filter((s) => s.p50 !== null);
    sections.push(
      chartSvg({
        title: 'Latency percentiles of succeeded operations',
        yLabel: 'ms',
        series: [
          { name: 'p50', points: withLatency.map((s) => [s.t, s.p50!] as const), color: '#2563eb' },
          { name: 'p95', points: withLatency.map((s) => [s.t, s.p95 ?? 0] as const), color: '#ea580c' },
          { name: 'p99', points: withLatency.map((s) => [s.t, s.p99 ?? 0] as const), color: '#dc2626' },
        ],
        faults: result.faults,
        endMs,
      }),
    );
    const errorNames = [...new Set(timeline.flatMap((s) => Object.keys(s.errors)))].sort();
    if (errorNames.length > 0) {
      sections.push(
        chartSvg({
          title: 'Errors by type (per interval)',
          yLabel: 'errors',
          stacked: true,
          series: errorNames.map((name) => ({ name, points: timeline.map((s) => [s.t, s.errors[name] ?? 0] as const) })),
          faults: result.faults,
          endMs,
        }),
      );
    }
  }

  sections.push('<h2>Resources: in flight versus limit</h2>');
  sections.push(
    table(
      ['resource', 'limit', 'max in flight', 'peak use', 'max waiting'],
      result.resources.map((r) => [
        `${escapeHtml(r.kind)} <code>${escapeHtml(r.name)}</code>`,
        r.limit === null ? 'unbounded' : String(r.limit),
        String(r.maxInFlight),
        r.peakUtilization === null
          ? '—'
          : `<span class="${r.peakUtilization > 1 ? 'fail' : ''}">${(r.peakUtilization * 100).toFixed(0)} %</span>`,
        String(r.maxWaiting),
      ]),
    ),
  );
  for (const resource of result.resources) sections.push(resourceChart(result, resource, endMs));

  const db = result.database;
  sections.push('<h2>Database</h2>');
  sections.push(
    `<p>Server-side connections peaked at ${db.maxServerConnections} (pool max ${db.poolMax}); ${db.acknowledgedWrites.toLocaleString(
      'en-US',
    )} acknowledged writes, ${db.writesFound.toLocaleString('en-US')} found afterwards${
      db.writesFound === db.acknowledgedWrites ? '' : ' <span class="fail">(writes lost)</span>'
    }.</p>`,
  );
  if (db.samples.length > 0) {
    sections.push(
      chartSvg({
        title: 'Connections the server reports (pg_stat_activity)',
        yLabel: 'connections',
        series: [
          { name: 'connections', points: db.samples.map((s) => [s.t, s.connections] as const), color: '#2563eb' },
          {
            name: 'pool max',
            points: [
              [0, db.poolMax],
              [endMs, db.poolMax],
            ],
            color: '#dc2626',
            dashed: true,
            step: true,
          },
        ],
        faults: result.faults,
        endMs,
      }),
    );
  }

  const p = result.provider;
  sections.push('<h2>Model provider</h2>');
  sections.push(
    `<p>${p.requests.toLocaleString('en-US')} requests reached the fake provider, ${p.accepted.toLocaleString('en-US')} accepted, ${p.rejected429.toLocaleString(
      'en-US',
    )} answered 429; its limit went from ${p.limit.start} to ${p.limit.end} per ${(p.limit.perMs / 1000).toFixed(p.limit.perMs < 1000 ? 2 : 0)} s; at most ${p.maxInFlight} answered at once.</p>`,
  );

  const proc = result.process;
  sections.push('<h2>Process</h2>');
  sections.push(
    `<p>Peak RSS ${mb(proc.peakRss)}, peak heap ${mb(proc.peakHeapUsed)}${proc.heapLimitMb === null ? '' : ` (heap limit ${proc.heapLimitMb} MB)`}; event-loop delay p50 ${fmt(
      proc.eventLoop.p50Ms,
    )} ms, p99 ${fmt(proc.eventLoop.p99Ms)} ms, max ${fmt(proc.eventLoop.maxMs)} ms.</p>`,
  );
  if (proc.samples.length > 0) {
    sections.push(
      chartSvg({
        title: 'Memory',
        yLabel: 'MB',
        series: [
          { name: 'RSS', points: proc.samples.map((s) => [s.t, s.rss / 1024 / 1024] as const), color: '#2563eb' },
          { name: 'heap used', points: proc.samples.map((s) => [s.t, s.heapUsed / 1024 / 1024] as const), color: '#16a34a' },
          {
            name: 'heap total',
            points: proc.samples.map((s) => [s.t, s.heapTotal / 1024 / 1024] as const),
            color: '#9ca3af',
            dashed: true,
          },
        ],
        faults: result.faults,
        endMs,
      }),
    );
    sections.push(
      chartSvg({
        title: 'Event-loop delay',
        yLabel: 'ms',
        series: [
          { name: 'p99', points: proc.samples.map((s) => [s.t, s.eventLoopP99Ms] as const), color: '#ea580c' },
          { name: 'max', points: proc.samples.map((s) => [s.t, s.eventLoopMaxMs] as const), color: '#dc2626', dashed: true },
        ],
        faults: result.faults,
        endMs,
      }),
    );
  }

  sections.push('<h2>Monitor warnings</h2>');
  sections.push(
    result.warnings.length === 0
      ? '<p class="muted">None raised.</p>'
      : table(
          ['at', 'level', 'resource', 'utilization', 'message'],
          result.warnings.map((w) => [
            `${(w.at / 1000).toFixed(2)} s`,
            escapeHtml(w.level),
            `${escapeHtml(w.kind)} <code>${escapeHtml(w.name)}</code>`,
            `${(w.utilization * 100).toFixed(0)} %`,
            escapeHtml(w.message),
          ]),
          5,
        ),
  );

  if (result.faults.length > 0) {
    sections.push('<h2>Faults</h2>');
    sections.push(
      table(
        ['fault', 'from', 'to', 'recovered after'],
        result.faults.map((f) => [
          escapeHtml(f.name),
          `${(f.startMs / 1000).toFixed(2)} s`,
          f.endMs === null ? 'end of run' : `${(f.endMs / 1000).toFixed(2)} s`,
          f.recoveredAfterMs === null ? '—' : `${fmt(f.recoveredAfterMs, 0)} ms`,
        ]),
      ),
    );
  }

  const ref = result.reference;
  sections.push('<h2>Reference workload (same run)</h2>');
  sections.push(
    `<p>In-process <code>Semaphore.run</code> ${fmt(ref.inProcessOpsPerSec, 0)} ops/s; loopback HTTP ${fmt(ref.loopbackHttpReqPerSec, 0)} req/s; <code>SELECT 1</code> ${fmt(
      ref.dbSelectPerSec,
      0,
    )} queries/s. Baselines divide by these so that a slower machine does not read as a regression.</p>`,
  );

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(
    title,
  )}</title><style>${STYLE}</style></head><body>${sections.join('\n')}</body></html>\n`;
}

/** Renders the report and writes it atomically (temporary file, then rename). */
export async function writeHtmlReport(file: string, result: StressResult, options: HtmlReportOptions = {}): Promise<void> {
  const html = renderHtmlReport(result, options);
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, html, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
