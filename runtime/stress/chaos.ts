/**
 * The chaos scenarios: what each injects, when, which operations it affects, and how soon
 * after it ends they must succeed again. The harness runs `inject` beside the load and checks
 * the common must-holds (limits, accounting, durable writes, recovery, alert accuracy) plus
 * each scenario's own (`extraChecks`).
 */
import type pg from 'pg';
import { loadPg } from '../pool/load-pg.js';
import { forEachBounded } from '../map-bounded.js';
import type { FakeProvider } from './fake-provider.js';
import { sleep } from './measure.js';
import type { StressDatabase } from './postgres.js';
import type { ChaosName, MustHoldCheck, OperationKind, StressResult } from './types.js';
import type { Upstream } from './upstream.js';

/** The workload's operation deadlines, ms. */
export interface Timeouts {
  readonly http: number;
  readonly model: number;
  readonly dbConnect: number;
  readonly dbQuery: number;
}

export interface ChaosContext {
  readonly db: StressDatabase;
  readonly upstream: Upstream;
  /** The fake providers and the limit each enforces at the start. */
  readonly providers: readonly { readonly provider: FakeProvider; readonly limit: number; readonly perMs: number }[];
  /** application_name of the workload pool's connections. */
  readonly applicationName: string;
  /** Length of the load phase, ms. */
  readonly durationMs: number;
  /** ms since the run's start. */
  now(): number;
  /** Records that fault `name` starts now; call the returned function when it ends. */
  begin(name: string): () => void;
  /** Aborts when the load phase ends. */
  readonly signal: AbortSignal;
  log(line: string): void;
}

export interface ChaosScenario {
  readonly name: ChaosName;
  readonly description: string;
  /** Operations the fault hits: they must succeed again within `recoveryMs` of its end. */
  readonly affects: readonly OperationKind[];
  /**
   * Stated recovery bound, ms after the fault ends, given the run's operation deadlines (work
   * stuck in a fault may hold its connection until its own deadline passes). Generous on
   * purpose: work queued during the fault drains first, and CI machines are small and shared.
   */
  recoveryMs(timeouts: Timeouts): number;
  /** Needs a server the harness may stop and start (not DATABASE_URL). */
  readonly needsControl?: boolean;
  /** Runs beside the load; resolves once every fault it injected has ended. */
  inject?(context: ChaosContext): Promise<void>;
  /** Checks of its own, over the finished result. */
  extraChecks?(result: Omit<StressResult, 'checks' | 'ok'>): MustHoldCheck[];
}

/** When a windowed fault starts and ends, as fractions of the load phase. */
const FAULT_START = 0.3;
const FAULT_END = 0.55;

async function window(context: ChaosContext, name: string, start: () => Promise<void>, end: () => Promise<void>): Promise<void> {
  await sleep(context.durationMs * FAULT_START, context.signal);
  const done = context.begin(name);
  try {
    await start();
    await sleep(context.durationMs * (FAULT_END - FAULT_START));
  } finally {
    await end();
    done();
  }
}

export const SCENARIOS: Readonly<Record<ChaosName, ChaosScenario>> = {
  'db-kill': {
    name: 'db-kill',
    description: 'terminates every backend of the workload pool mid-load (pg_terminate_backend)',
    affects: ['db-read', 'db-write'],
    recoveryMs: () => 10_000,
    async inject(context) {
      await sleep(context.durationMs * 0.4, context.signal);
      const done = context.begin('db-kill');
      const killed = await context.db.terminateBackends(context.applicationName);
      context.log(`chaos db-kill: terminated ${killed} backends`);
      done();
    },
  },
  'db-restart': {
    name: 'db-restart',
    description: 'stops the PostgreSQL server (fast shutdown) mid-load, then starts it again',
    affects: ['db-read', 'db-write'],
    recoveryMs: () => 15_000,
    needsControl: true,
    async inject(context) {
      await window(
        context,
        'db-restart',
        async () => {
          await context.db.stop();
          context.log('chaos db-restart: server stopped');
        },
        async () => {
          await context.db.start();
          context.log('chaos db-restart: server started again');
        },
      );
    },
  },
  'db-exhaust': {
    name: 'db-exhaust',
    description:
      "another client takes all but a few of the server's connections and the pool's own are terminated, so it must make do with the few left; then they are let go",
    affects: ['db-read', 'db-write'],
    recoveryMs: () => 10_000,
    async inject(context) {
      const hogs: pg.Client[] = [];
      await window(
        context,
        'db-exhaust',
        async () => {
          const settings = await context.db.query<{ max: number; reserved: number; used: number }>(
            `select current_setting('max_connections')::int as max,
                    current_setting('superuser_reserved_connections')::int
                      + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) as reserved,
                    (select count(*)::int from pg_stat_activity where backend_type = 'client backend') as used`,
          );
          const { max, reserved, used } = settings.rows[0]!;
          const leaveFree = 3;
          const take = Math.max(0, max - reserved - used - leaveFree);
          await forEachBounded(
            Array.from({ length: take }, (_, i) => i),
            async () => {
              // The hog is the other tenant, not the workload: it must hold connections of its own.
              // eslint-disable-next-line bounded/no-per-call-connection
              const client = new (loadPg('the stress harness').Client)({
                connectionString: context.db.url,
                application_name: 'bounded-stress-hog',
                connectionTimeoutMillis: 10_000,
              });
              client.on('error', () => undefined);
              try {
                await client.connect();
                hogs.push(client);
              } catch {
                // The server is full already: that is the point.
              }
            },
            { concurrency: 50 },
          );
          // The pool loses what it holds, as it would to a server restart or idle reaping, and
          // must make do with the few connections left.
          const killed = await context.db.terminateBackends(context.applicationName);
          context.log(
            `chaos db-exhaust: holding ${hogs.length} of ${max} connections (${leaveFree} left free); terminated the pool's ${killed}`,
          );
        },
        async () => {
          await Promise.allSettled(hogs.map((client) => client.end()));
          context.log('chaos db-exhaust: connections released');
        },
      );
    },
  },
  'http-hang': {
    name: 'http-hang',
    description: 'the HTTP upstream stops answering (requests hang) mid-load, then answers again',
    affects: ['http'],
    // The HTTP client's queue sheds every call whose deadline is shorter than its expected wait
    // for a connection, so no backlog of doomed calls builds up behind the hung ones: once the
    // upstream answers again, the first connection that frees serves a fresh call.
    recoveryMs: () => 1_000,
    async inject(context) {
      await window(
        context,
        'http-hang',
        () => Promise.resolve(context.upstream.setMode('hang')),
        () => Promise.resolve(context.upstream.setMode('ok')),
      );
    },
  },
  'http-reset': {
    name: 'http-reset',
    description: 'the HTTP upstream resets every connection mid-load, then answers again',
    affects: ['http'],
    recoveryMs: () => 10_000,
    async inject(context) {
      await window(
        context,
        'http-reset',
        () => Promise.resolve(context.upstream.setMode('reset')),
        () => Promise.resolve(context.upstream.setMode('ok')),
      );
    },
  },
  partition: {
    name: 'partition',
    description: 'the HTTP upstream stops accepting connections (closed port) mid-load, then listens again',
    affects: ['http'],
    recoveryMs: () => 10_000,
    async inject(context) {
      await window(
        context,
        'partition',
        () => context.upstream.partition(),
        () => context.upstream.heal(),
      );
    },
  },
  'provider-429': {
    name: 'provider-429',
    description:
      'the model providers halve their rate limit mid-load (or half of what the clients really send, when that is less) while the clients keep the policy rate, then restore it',
    affects: ['model'],
    recoveryMs: () => 15_000,
    async inject(context) {
      await window(
        context,
        'provider-limit-halved',
        () => {
          // Half the limit, or half of what the client really sends when that is less (a slow
          // machine may never reach the limit, and then halving it would change nothing).
          for (const { provider, limit, perMs } of context.providers) {
            const now = performance.now();
            const sending = provider.stats().acceptedAt.filter((at) => at > now - perMs).length;
            provider.setLimit(Math.max(1, Math.floor(Math.min(limit, sending) / 2)));
          }
          return Promise.resolve();
        },
        () => {
          for (const { provider, limit } of context.providers) provider.setLimit(limit);
          return Promise.resolve();
        },
      );
    },
    extraChecks(result) {
      return [
        {
          name: 'provider-429s-seen',
          ok: result.provider.rejected429 > 0,
          detail: `${result.provider.rejected429} 429s received while the providers' limit was halved (expected some)`,
        },
      ];
    },
  },
  memory: {
    name: 'memory',
    description:
      'runs heavy load in a child process under a small heap (--max-old-space-size) with arrivals far above capacity; bounded queues must refuse with QueueFullError',
    affects: [],
    recoveryMs: () => 0,
  },
  cpu: {
    name: 'cpu',
    description: 'blocks the event loop in bursts mid-load; limits must hold and the monitor must report the delay',
    affects: ['db-read', 'db-write', 'http', 'model', 'fanout'],
    recoveryMs: () => 10_000,
    async inject(context) {
      await sleep(context.durationMs * FAULT_START, context.signal);
      const done = context.begin('event-loop-block');
      const until = context.now() + context.durationMs * (FAULT_END - FAULT_START);
      while (context.now() < until) {
        blockFor(CPU_BURST_MS);
        await sleep(CPU_GAP_MS);
      }
      done();
    },
    extraChecks(result) {
      const maxSeen = Math.max(0, ...result.process.samples.map((sample) => sample.eventLoopMaxMs));
      return [
        {
          name: 'event-loop-delay-reported',
          ok: maxSeen >= CPU_BURST_MS * 0.8,
          detail: `monitor reported a max event-loop delay of ${Math.round(maxSeen)} ms during ${CPU_BURST_MS} ms blocks (must be ≥ ${CPU_BURST_MS * 0.8})`,
        },
      ];
    },
  },
};

export const CPU_BURST_MS = 250;
const CPU_GAP_MS = 500;

/** Keeps the CPU busy on this thread for `ms`: the event loop can run nothing else meanwhile. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  let spin = 0;
  while (performance.now() < end) spin++;
  if (spin < 0) throw new Error('unreachable');
}
