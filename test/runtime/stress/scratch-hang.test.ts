import { afterAll, beforeAll, it } from 'vitest';
import { runStress } from '../../../runtime/stress/harness.js';
import { stressTestDatabase } from './helpers.js';

let db: Awaited<ReturnType<typeof stressTestDatabase>>;
beforeAll(async () => { db = await stressTestDatabase('stress'); });
afterAll(async () => { await db?.close(); });

it('scratch', async () => {
  const log: [number, number, string, number][] = [];
  (globalThis as any).__log = log;
  const t0 = performance.now();
  const level = (process.env.LEVEL ?? 'heavy') as 'heavy';
  const result = await runStress({ level, chaos: 'http-hang', durationMs: Number(process.env.DUR ?? 6000), maxTimeoutMs: Number(process.env.MAXT ?? 2000), httpLatencyMs: 2, seed: 11, database: db });
  const http = result.operations.find((op) => op.kind === 'http');
  console.log(JSON.stringify({ faults: result.faults, checks: result.checks.filter((c) => !c.ok), http: http && { started: http.started, succeeded: http.succeeded, failed: http.failed, errors: http.errors } }, null, 1));
  const f = result.faults[0]!;
  const end = t0 + f.endMs!; const start = t0 + f.startMs;
  const rel = (x: number) => Math.round(x - start);
  const after = log.filter((l) => l[0] >= end - 300).sort((a, b) => a[0] - b[0]).slice(0, 400);
  const byName: Record<string, number> = {};
  for (const l of log.filter((l) => l[1] >= start)) byName[l[2]] = (byName[l[2]] ?? 0) + 1;
  console.log('endRel', rel(end), JSON.stringify(byName));
  const oks = log.filter((l) => l[2] === 'ok' && l[1] >= start).sort((a, b) => a[1] - b[1]);
  console.log('OKS', oks.filter((_, i) => i % 10 === 0).slice(0, 40).map((l) => `${rel(l[0])}=>${rel(l[1])} q${l[3]}`).join(' | '));
  console.log(after.filter((_, i) => i % 8 === 0).map((l) => `${rel(l[0])}->${rel(l[1])} ${l[2]} q${l[3]}`).join('\n'));
}, 300_000);
