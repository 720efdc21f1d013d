/** The terminal summary of a stress run: plain text tables, no colour, fit for CI logs. */
import type { LatencyFigures, StressResult } from './types.js';

const MB = 1024 * 1024;

function operationsTable(result: StressResult): string {
  const { totals } = result;
  return table(
    ['operation', 'started', 'ok', 'failed', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
    [
      ...result.operations.map((op) => [
        op.kind,
        count(op.started),
        count(op.succeeded),
        count(op.failed),
        fixed(op.throughput, 1),
        ...latency(op.latency),
        Object.entries(op.errors)
          .map(([name, n]) => `${name} ${count(n)}`)
          .join(', '),
      ]),
      [
        'all',
        count(totals.started),
        count(totals.succeeded),
        count(totals.failed),
        fixed(totals.throughput, 1),
        '',
        '',
        '',
        '',
        totals.unsettled > 0 ? `${totals.unsettled} NEVER SETTLED` : '',
      ],
    ],
    [false, true, true, true, true, true, true, true, true, false],
  );
}

function resourcesTable(result: StressResult): string {
  return table(
    ['resource', 'limit', 'max in flight', 'peak use', 'max waiting'],
    result.resources.map((r) => [
      `${r.kind} ${r.name}`,
      r.limit === null ? '∞' : count(r.limit),
      count(r.maxInFlight),
      r.peakUtilization === null ? '' : `${Math.round(r.peakUtilization * 100)}%`,
      count(r.maxWaiting),
    ]),
    [false, true, true, true, true],
  );
}

export function formatSummary(result: StressResult): string {
  const { meta } = result;
  const lines: string[] = [];
  const scenario = meta.chaos === null ? '' : `, chaos ${meta.chaos}`;
  lines.push(
    `bounded stress: ${meta.level}${scenario}, ${seconds(meta.durationMs)} load (${seconds(meta.elapsedMs)} with settling), ` +
      `${meta.targetConcurrency.toLocaleString('en-US')} concurrent at peak, seed ${meta.seed}`,
  );
  lines.push(
    `policy ${meta.policy.file ?? '(embedded defaults)'} ${meta.policy.digest.slice(0, 12)}; database ${meta.database}; ` +
      `node ${meta.node} on ${meta.cpus} CPUs`,
  );
  lines.push('');

  lines.push(operationsTable(result));
  lines.push('');

  lines.push(resourcesTable(result));
  lines.push('');

  const { database, provider, process: proc } = result;
  lines.push(
    `database: server saw at most ${database.maxServerConnections} of the pool's ${database.poolMax} connections; ` +
      `${count(database.writesFound)} of ${count(database.acknowledgedWrites)} acknowledged writes found afterwards`,
  );
  lines.push(
    `providers: ${count(provider.requests)} model requests, ${count(provider.accepted)} accepted, ${count(provider.rejected429)} answered 429 ` +
      `(limit ${provider.limit.start} per ${provider.limit.perMs} ms at the start)`,
  );
  lines.push(
    `process: peak RSS ${Math.round(proc.peakRss / MB)} MB, peak heap ${Math.round(proc.peakHeapUsed / MB)} MB` +
      `${proc.heapLimitMb === null ? '' : ` (limit ${proc.heapLimitMb} MB)`}; event-loop delay p50 ${fixed(proc.eventLoop.p50Ms, 1)} ms, ` +
      `p99 ${fixed(proc.eventLoop.p99Ms, 1)} ms, max ${fixed(proc.eventLoop.maxMs, 1)} ms`,
  );
  const raised = result.warnings.filter((w) => w.level === 'warning');
  lines.push(
    `monitor: ${raised.length} warnings` +
      (raised.length === 0 ? '' : ` (${raised.map((w) => `${w.kind} ${w.name} at ${seconds(w.at)}`).join(', ')})`),
  );
  if (result.faults.length > 0) {
    lines.push(
      `faults: ${result.faults
        .map(
          (f) =>
            `${f.name} ${seconds(f.startMs)}–${f.endMs === null ? 'end' : seconds(f.endMs)}` +
            (f.recoveredAfterMs === null ? ', no recovery seen' : `, recovered ${Math.round(f.recoveredAfterMs)} ms after`),
        )
        .join('; ')}`,
    );
  }
  lines.push(
    `reference: ${count(result.reference.inProcessOpsPerSec)} in-process ops/s, ${count(result.reference.loopbackHttpReqPerSec)} loopback req/s` +
      (result.reference.dbSelectPerSec === null ? '' : `, ${count(result.reference.dbSelectPerSec)} SELECT 1/s`),
  );
  lines.push('');

  lines.push('must hold:');
  for (const check of result.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  lines.push('');
  const failed = result.checks.filter((check) => !check.ok).length;
  lines.push(failed === 0 ? `all ${result.checks.length} checks held` : `${failed} of ${result.checks.length} checks FAILED`);
  return `${lines.join('\n')}\n`;
}

function latency(figures: LatencyFigures): string[] {
  return [figures.p50, figures.p95, figures.p99, figures.max].map((value) => (value === null ? '' : fixed(value, 1)));
}

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (right[i] === true ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fixed(n: number, digits: number): string {
  return n.toFixed(digits);
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1_000)} s` : `${(ms / 1_000).toFixed(1)} s`;
}
