/**
 * Before and after `bounded migrate`, under load: runs fixtures/agent-service's hazardous code
 * and its migrated copy against the same real PostgreSQL, local fake model provider and local
 * upstream, at a stress level's concurrency, and shows what each did to the limits.
 *
 *   npm run demo:agent-service -- [--level light|medium|heavy] [--json]
 *
 * What it shows (and exits 1 when it does not hold): the hazardous copy goes past the pool's
 * connection limit (or is refused by the server), draws 429s from the provider and opens one
 * upstream request per item; the migrated copy keeps the database at the pool's max, gets no
 * 429 and keeps the fan-out at the policy's concurrency, with every operation succeeding.
 *
 * The copies live under `.demo/` in the repository (git-ignored), so that their compiled code
 * resolves `@bounded/runtime` to this build (package self-reference) and `pg`, `openai` and
 * `@anthropic-ai/sdk` to this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import ts from 'typescript';
import { DEFAULT_POLICY } from '@bounded/policy';
import { defineProvider, getPool, withTimeout } from '@bounded/runtime';
import { startFakeProvider, type FakeProvider } from '@bounded/runtime/stress';
import { LEVELS } from '@bounded/runtime/stress';
import { openStressDatabase, type StressDatabase } from '@bounded/runtime/stress';
import type { StressLevel } from '@bounded/runtime/stress';
import { startUpstream, type Upstream } from '@bounded/runtime/stress';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type Side = 'before' | 'after';

export interface SideFigures {
  readonly side: Side;
  readonly elapsedMs: number;
  readonly database: {
    readonly operations: number;
    readonly failed: number;
    /** Most connections of this side the server itself reported. */
    readonly maxServerConnections: number;
    readonly errors: Readonly<Record<string, number>>;
  };
  readonly provider: {
    readonly calls: number;
    readonly failed: number;
    readonly requests: number;
    readonly rejected429: number;
    readonly maxInFlight: number;
  };
  readonly fanOut: {
    readonly items: number;
    readonly failed: number;
    /** Most requests the upstream handled at once. */
    readonly peakActive: number;
  };
}

export interface DemoCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DemoResult {
  readonly level: StressLevel;
  readonly concurrency: number;
  readonly limits: {
    readonly poolMax: number;
    readonly fanOut: number;
    readonly providerPerSecond: number;
    readonly clientPerSecond: number;
  };
  readonly before: SideFigures;
  readonly after: SideFigures;
  readonly checks: readonly DemoCheck[];
  readonly ok: boolean;
}

export interface DemoOptions {
  readonly level?: StressLevel;
  /** Deadline for each side, ms. Default 180 000. */
  readonly sideTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** The provider's limit in the demo: the policy's 60 requests a minute, scaled to a second. */
const PROVIDER_RATE = 60;
/**
 * The migrated copy's limiter admits 90 % of that, evenly spaced (the preset's default). The
 * provider counts requests when they arrive, the limiter when they leave; with the window full
 * all the time, a request that travels faster than the one it replaces in the window lands
 * inside it and draws a 429. Headroom under the published limit absorbs that jitter. On a
 * loaded machine an edge request can still be answered 429 now and then: throttleClient then
 * pauses the limiter for the Retry-After and resends the call through it, so none fails.
 */
const CLIENT_RATE = Math.floor(PROVIDER_RATE * 0.9);

async function transpileTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) {
      await transpileTree(source, join(to, entry.name));
    } else if (entry.name.endsWith('.ts')) {
      const output = ts.transpileModule(await readFile(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
        fileName: source,
      });
      await mkdir(to, { recursive: true });
      await writeFile(join(to, entry.name.replace(/\.ts$/, '.js')), output.outputText);
    }
  }
}

/** Copies the fixture's sources, migrates the `after` copy with the real CLI, and compiles both. */
async function prepareCopies(workdir: string, log: (line: string) => void): Promise<Record<Side, string>> {
  const fixture = join(ROOT, 'fixtures', 'agent-service', 'src');
  const out: Partial<Record<Side, string>> = {};
  for (const side of ['before', 'after'] as const) {
    const src = join(workdir, side, 'src');
    await cp(fixture, src, { recursive: true });
    if (side === 'after') {
      const { stderr } = await run(process.execPath, [join(ROOT, 'cli', 'dist', 'bin.js'), 'migrate', src, '--force'], {
        cwd: ROOT,
        timeout: 120_000,
      });
      log(stderr.trim().split('\n')[0] ?? '');
    }
    await transpileTree(src, join(workdir, side, 'out'));
    out[side] = join(workdir, side, 'out');
  }
  return out as Record<Side, string>;
}

interface HazardModules {
  findUser(id: number): Promise<unknown>;
  countEvents(userId: number): Promise<number>;
  summarise(documents: string[]): Promise<string[]>;
  crawl(urls: string[]): Promise<string[]>;
}

async function loadModules(out: string): Promise<HazardModules> {
  const db = (await import(pathToFileURL(join(out, 'hazards', 'db.js')).href)) as Pick<HazardModules, 'findUser' | 'countEvents'>;
  const agent = (await import(pathToFileURL(join(out, 'hazards', 'agent.js')).href)) as Pick<HazardModules, 'summarise'>;
  const crawler = (await import(pathToFileURL(join(out, 'hazards', 'crawler.js')).href)) as Pick<HazardModules, 'crawl'>;
  return { ...db, ...agent, ...crawler };
}

async function quiesce(provider: FakeProvider, quietMs = 2_000, maxMs = 90_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = provider.stats().requests;
  let quietSince = performance.now();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = provider.stats().requests;
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= quietMs) {
      return;
    }
  }
}

function errorKey(error: unknown): string {
  const e = error as { name?: string; code?: string; status?: number };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return `postgres ${e.code}`;
  if (typeof e.status === 'number') return `${e.name ?? 'Error'} ${e.status}`;
  return e.name ?? 'Error';
}

async function runSide(
  side: Side,
  modules: HazardModules,
  env: { database: StressDatabase; provider: FakeProvider; upstream: Upstream },
  concurrency: number,
  sideTimeoutMs: number,
): Promise<SideFigures> {
  const applicationName = `agent-demo-${side}`;
  const started = performance.now();
  let maxServerConnections = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxServerConnections = Math.max(maxServerConnections, await env.database.countConnections(applicationName));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const providerBefore = env.provider.stats();
  const dbErrors: Record<string, number> = {};
  let dbFailed = 0;
  let providerFailed = 0;
  let fanOutFailed = 0;
  const documents = Array.from({ length: concurrency }, (_, i) => `document ${i}`);
  const urls = Array.from({ length: concurrency }, (_, i) => `${env.upstream.url}/work?item=${i}`);
  try {
    await withTimeout(
      () =>
        Promise.all([
          // A burst of `concurrency` requests, each needing the database, as the service receives them.
          Promise.all(
            Array.from({ length: concurrency }, async (_, i) => {
              try {
                await (i % 2 === 0 ? modules.findUser(1 + (i % 100)) : modules.countEvents(1 + (i % 100)));
              } catch (error) {
                dbFailed++;
                const key = errorKey(error);
                dbErrors[key] = (dbErrors[key] ?? 0) + 1;
              }
            }),
          ),
          modules.summarise(documents).catch((error: unknown) => {
            providerFailed++;
            return [errorKey(error)];
          }),
          modules.crawl(urls).catch(() => {
            fanOutFailed++;
            return [];
          }),
        ]),
      sideTimeoutMs,
      { name: `the ${side} side of the agent-service demo` },
    );
  } finally {
    sampling = false;
    await sampler;
  }
  const provider = env.provider.stats();
  return {
    side,
    elapsedMs: Math.round(performance.now() - started),
    database: { operations: concurrency, failed: dbFailed, maxServerConnections, errors: dbErrors },
    provider: {
      calls: documents.length,
      failed: providerFailed,
      requests: provider.requests - providerBefore.requests,
      rejected429: provider.rejected - providerBefore.rejected,
      maxInFlight: provider.maxInFlight,
    },
    fanOut: { items: urls.length, failed: fanOutFailed, peakActive: env.upstream.stats().peakActive },
  };
}

function judge(result: Omit<DemoResult, 'checks' | 'ok'>): DemoCheck[] {
  const { before, after, limits } = result;
  return [
    {
      name: 'before-exceeds-connections',
      ok: before.database.maxServerConnections > limits.poolMax || before.database.failed > 0,
      detail: `hazardous copy: ${before.database.maxServerConnections} server connections at once (pool max ${limits.poolMax}), ${before.database.failed} database operations failed`,
    },
    {
      name: 'before-exceeds-provider',
      ok: before.provider.rejected429 > 0,
      detail: `hazardous copy: ${before.provider.rejected429} answers 429 from the provider (${limits.providerPerSecond}/s)`,
    },
    {
      name: 'before-unbounded-fan-out',
      ok: before.fanOut.peakActive > limits.fanOut,
      detail: `hazardous copy: ${before.fanOut.peakActive} upstream requests at once (fan-out limit ${limits.fanOut})`,
    },
    {
      name: 'after-holds-connections',
      ok: after.database.maxServerConnections <= limits.poolMax && after.database.failed === 0,
      detail: `migrated copy: ${after.database.maxServerConnections} server connections at most (pool max ${limits.poolMax}), ${after.database.failed} failed`,
    },
    {
      name: 'after-holds-provider',
      ok: after.provider.rejected429 <= Math.floor(after.provider.calls / 100) && after.provider.failed === 0,
      detail: `migrated copy: ${after.provider.rejected429} answers 429 (at most 1 % of ${after.provider.calls} calls, each resent through the limiter), ${after.provider.failed} failed summaries`,
    },
    {
      name: 'after-holds-fan-out',
      ok: after.fanOut.peakActive <= limits.fanOut && after.fanOut.failed === 0,
      detail: `migrated copy: ${after.fanOut.peakActive} upstream requests at once (limit ${limits.fanOut}), ${after.fanOut.failed} failed`,
    },
  ];
}

/** Runs the whole demonstration and returns every figure; see the module comment. */
export async function runAgentServiceDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const level = options.level ?? 'medium';
  const log = options.log ?? (() => {});
  const concurrency = LEVELS[level].concurrency;
  const poolMax = DEFAULT_POLICY.pool.max;
  const fanOut = DEFAULT_POLICY.defaults.concurrency;
  const workdir = join(ROOT, '.demo', `agent-service-${process.pid}-${Date.now()}`);
  const saved = { ...process.env };
  let database: StressDatabase | undefined;
  let provider: FakeProvider | undefined;
  let upstream: Upstream | undefined;
  const demoDatabase = `bounded_demo_${process.pid}_${Date.now()}`;
  try {
    const copies = await prepareCopies(workdir, log);
    log(`copies in ${relative(ROOT, workdir)}; starting PostgreSQL, the fake provider and the upstream`);
    database = await openStressDatabase(process.env);
    // A database of its own, so the fixture's `users` and `events` meet no other tables.
    await database.query(`create database ${demoDatabase}`);
    const demoUrl = new URL(database.url);
    demoUrl.pathname = `/${demoDatabase}`;
    const setup = new pg.Client({ connectionString: demoUrl.toString() });
    await setup.connect();
    try {
      await setup.query('create table users (id int primary key, email text, plan text, last_login timestamptz)');
      await setup.query('create table events (user_id int, kind text)');
      await setup.query("insert into users select i, 'user' || i || '@example.test', 'free' from generate_series(1, 100) i");
    } finally {
      await setup.end();
    }
    provider = await startFakeProvider({ limit: PROVIDER_RATE, perMs: 1_000 });
    // The migrated copy's throttleClient('openai') takes the preset: scale it to the demo's second.
    defineProvider('openai', { rate: CLIENT_RATE, per: 1_000 });
    process.env.OPENAI_API_KEY = 'demo';
    process.env.ANTHROPIC_API_KEY = 'demo';
    process.env.OPENAI_BASE_URL = provider.openaiBaseURL;
    process.env.ANTHROPIC_BASE_URL = provider.anthropicBaseURL;
    const figures: Partial<Record<Side, SideFigures>> = {};
    for (const side of ['before', 'after'] as const) {
      const url = new URL(demoUrl.toString());
      url.searchParams.set('application_name', `agent-demo-${side}`);
      process.env.DATABASE_URL = url.toString();
      const modules = await loadModules(copies[side]);
      // A fresh upstream per side, so its peak counts one side only.
      await upstream?.close();
      upstream = await startUpstream({ latencyMs: 200, jitterMs: 20 });
      log(`${side}: ${concurrency} database operations, ${concurrency} summaries, a crawl of ${concurrency} URLs`);
      figures[side] = await runSide(side, modules, { database, provider, upstream }, concurrency, options.sideTimeoutMs ?? 180_000);
      // The migrated copy's module-level pool (pool-connections names it "main") is closed with it.
      if (side === 'after') await getPool('main').close();
      await database.terminateBackends(`agent-demo-${side}`);
      // A rejected Promise.all leaves its other calls running (the SDK retries them): wait until
      // the provider has been quiet for two windows, so none of them lands in the next side's count.
      await quiesce(provider);
    }
    const partial = {
      level,
      concurrency,
      limits: { poolMax, fanOut, providerPerSecond: PROVIDER_RATE, clientPerSecond: CLIENT_RATE },
      before: figures.before!,
      after: figures.after!,
    };
    const checks = judge(partial);
    return { ...partial, checks, ok: checks.every((c) => c.ok) };
  } finally {
    process.env = saved;
    await upstream?.close();
    await provider?.close();
    await database?.query(`drop database if exists ${demoDatabase} with (force)`).catch(() => {});
    await database?.close();
    await rm(workdir, { recursive: true, force: true });
  }
}

export function formatDemo(result: DemoResult): string {
  const rows: [string, string, string, string][] = [
    [
      'server connections at once',
      String(result.before.database.maxServerConnections),
      String(result.after.database.maxServerConnections),
      `≤ ${result.limits.poolMax}`,
    ],
    ['database operations failed', String(result.before.database.failed), String(result.after.database.failed), '0'],
    [
      'provider 429 answers',
      String(result.before.provider.rejected429),
      String(result.after.provider.rejected429),
      `≤ ${Math.floor(result.after.provider.calls / 100)}`,
    ],
    ['provider requests', String(result.before.provider.requests), String(result.after.provider.requests), ''],
    ['summaries failed', String(result.before.provider.failed), String(result.after.provider.failed), '0'],
    [
      'upstream requests at once',
      String(result.before.fanOut.peakActive),
      String(result.after.fanOut.peakActive),
      `≤ ${result.limits.fanOut}`,
    ],
    ['elapsed', `${(result.before.elapsedMs / 1000).toFixed(1)} s`, `${(result.after.elapsedMs / 1000).toFixed(1)} s`, ''],
  ];
  const header: [string, string, string, string] = ['', 'hazardous', 'migrated', 'limit'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const errors = Object.entries(result.before.database.errors)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  return [
    `agent-service before/after bounded migrate — level ${result.level} (${result.concurrency} concurrent operations)`,
    line(header),
    ...rows.map(line),
    ...(errors ? [`hazardous copy's database errors: ${errors}`] : []),
    ...result.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let level: StressLevel = 'medium';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--level') {
      const value = argv[++i];
      if (value !== 'light' && value !== 'medium' && value !== 'heavy') {
        process.stderr.write(`--level must be light, medium or heavy, got ${JSON.stringify(value)}\n`);
        return 2;
      }
      level = value;
    } else {
      process.stderr.write(
        `unknown argument ${JSON.stringify(arg)}\nusage: npm run demo:agent-service -- [--level light|medium|heavy] [--json]\n`,
      );
      return 2;
    }
  }
  const result = await runAgentServiceDemo({ level, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${formatDemo(result)}\n`);
  return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Bounded by construction: a fixed number of operations per side, each side under a deadline.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
