/**
 * The stress workload's resources and operations, built only from bounded's runtime and the
 * policy: database reads and writes through `createPool`, HTTP calls through
 * `createHttpClient`, model calls through `throttleClient` over a sliding-window limiter per
 * provider, and fan-outs through `mapBounded`.
 */
import type { Policy } from '@bounded/policy/core';
import { createHttpClient, type HttpClient } from '../http/client.js';
import { mapBounded } from '../map-bounded.js';
import { createPool } from '../pool/registry.js';
import type { BoundedPool } from '../pool/pool.js';
import { SlidingWindow } from '../rate-limit/sliding-window.js';
import { Semaphore } from '../semaphore.js';
import { throttleClient } from '../throttle-client.js';
import type { FakeProvider } from './fake-provider.js';
import { sleep } from './measure.js';
import type { OperationKind } from './types.js';
import type { Upstream } from './upstream.js';

/** Shares of the operation mix (they sum to 1). */
export const MIX: readonly (readonly [OperationKind, number])[] = [
  ['db-read', 0.3],
  ['db-write', 0.2],
  ['http', 0.25],
  ['model', 0.1],
  ['fanout', 0.15],
];

export const ITEMS_TABLE = 'bounded_stress_items';
export const WRITES_TABLE = 'bounded_stress_writes';
const ITEM_ROWS = 1_000;

/** One provider as the workload talks to it. */
export interface ModelRoute {
  readonly name: 'openai' | 'anthropic';
  readonly provider: FakeProvider;
  readonly limiter: SlidingWindow;
  readonly client: ModelClient;
  /** `performance.now()` of every admission the limiter made (its `onAdmitted` events). */
  readonly admittedAt: number[];
}

/** The slice of an SDK client the workload calls: `chat.completions.create(body, options)`. */
export interface ModelClient {
  chat: { completions: { create(body: { model: string; prompt: string }, options?: { signal?: AbortSignal }): Promise<unknown> } };
}

export interface WorkloadConfig {
  readonly policy: Policy;
  readonly runId: string;
  readonly databaseUrl: string;
  readonly upstream: Upstream;
  readonly providers: { readonly openai: FakeProvider; readonly anthropic: FakeProvider };
  /** Every operation deadline is the policy's, capped at this (ms), so a hung dependency surfaces within a run. */
  readonly maxTimeoutMs: number;
  /** How much faster than the policy's window the provider limits run (60: a minute's quota per second). */
  readonly providerTimeScale: number;
}

export interface Workload {
  readonly pool: BoundedPool;
  /** application_name of the pool's connections (what the server's pg_stat_activity shows). */
  readonly applicationName: string;
  readonly http: HttpClient;
  readonly providerHttp: HttpClient;
  readonly models: readonly ModelRoute[];
  /** Bounds the model calls in flight across both providers (shared by the throttled clients). */
  readonly modelSemaphore: Semaphore;
  readonly fanoutConcurrency: number;
  /** Most fan-out items running at once inside one fan-out, so far. */
  readonly fanoutPeak: () => number;
  /** Most items running now inside any one fan-out in progress. */
  readonly fanoutRunning: () => number;
  /** 429 answers the model clients received. */
  readonly received429: () => number;
  /** Write ids the database acknowledged. */
  readonly acknowledged: Set<number>;
  readonly timeouts: { readonly http: number; readonly model: number; readonly dbConnect: number; readonly dbQuery: number };
  /** Runs one operation of `kind`; `id` is unique in the run. */
  run(kind: OperationKind, id: number, random: () => number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Creates the tables the workload uses (idempotent) and seeds the rows it reads. */
export async function prepareSchema(query: (text: string) => Promise<unknown>): Promise<void> {
  await query(`create table if not exists ${ITEMS_TABLE} (id int primary key, payload text not null)`);
  await query(
    `insert into ${ITEMS_TABLE} (id, payload) select g, md5(g::text) from generate_series(1, ${ITEM_ROWS}) g on conflict do nothing`,
  );
  await query(
    `create table if not exists ${WRITES_TABLE} (run_id text not null, op_id int not null, payload text not null, ` +
      'created_at timestamptz not null default now(), primary key (run_id, op_id))',
  );
}

/** Calls allowed to wait per HTTP connection (the upstream client's `maxQueue` is this × `connections`). */
const HTTP_QUEUE_PER_CONNECTION = 2;
/** Longest one HTTP attempt may take (the upstream answers in milliseconds when healthy). */
const HTTP_ATTEMPT_TIMEOUT_MS = 300;

// eslint-disable-next-line max-lines-per-function -- the workload's pool, clients and limiters and the operation kinds that use them share one closure
export function createWorkload(config: WorkloadConfig): Workload {
  const { policy, runId, maxTimeoutMs } = config;
  const t = policy.defaults.timeouts;
  const timeouts = {
    http: Math.min(t.http, maxTimeoutMs),
    model: Math.min(t.model, maxTimeoutMs),
    dbConnect: Math.min(t.dbConnect, maxTimeoutMs),
    dbQuery: Math.min(t.dbQuery, maxTimeoutMs),
  };
  const poolName = `stress-${runId}`;
  const applicationName = `bounded:${poolName}`;
  const pool = createPool({
    name: poolName,
    connectionString: config.databaseUrl,
    min: policy.defaults.pool.min,
    max: policy.defaults.pool.max,
    connectionTimeoutMillis: timeouts.dbConnect,
    statement_timeout: Math.min(t.dbStatement, Math.max(1, timeouts.dbQuery - 500)),
    query_timeout: timeouts.dbQuery,
    idleTimeoutMillis: t.dbIdle,
    application_name: applicationName,
  });
  // A bounded queue: at most HTTP_QUEUE_PER_CONNECTION calls wait per connection, so a call
  // never queues behind more than a few rounds of the upstream's latency (the rest are refused
  // at once with QueueFullError, or shed with LoadShedError when their deadline cannot be met).
  const http = createHttpClient({
    name: 'upstream',
    baseUrl: config.upstream.url,
    connections: policy.defaults.concurrency,
    maxQueue: policy.defaults.concurrency * HTTP_QUEUE_PER_CONNECTION,
    timeoutMs: timeouts.http,
    // A silent upstream costs one attempt, not the call's whole deadline: a hung request gives
    // its connection back after this long (and is retried, GET being idempotent), so once the
    // upstream answers again no connection stays held by a request sent into the hang.
    retries: { attemptTimeoutMs: Math.min(HTTP_ATTEMPT_TIMEOUT_MS, timeouts.http) },
  });
  // The provider calls: one HTTP client (no retries of its own: throttleClient handles 429s and
  // penalizes the limiter, as an SDK with maxRetries: 0 would leave it to).
  const providerHttp = createHttpClient({
    name: 'providers',
    connections: policy.defaults.concurrency * 2,
    timeoutMs: timeouts.model,
    retries: false,
  });
  const modelSemaphore = new Semaphore(policy.defaults.concurrency, { name: 'model' });
  let received429 = 0;
  const models: ModelRoute[] = (['openai', 'anthropic'] as const).map((name) => {
    const rate = policy.rateLimits[name];
    const limit = rate?.rate ?? (name === 'openai' ? 60 : 50);
    const perMs = Math.max(1, Math.round((rate?.perMs ?? 60_000) / config.providerTimeScale));
    // Evenly spaced, as the provider presets are: a burst of the window's whole allowance lands
    // at the provider's window edge together with the previous window's tail under load.
    const limiter = new SlidingWindow({ limit, per: perMs, name, spacing: 'even', maxQueue: rate?.maxQueue ?? Infinity });
    const provider = config.providers[name];
    const admittedAt: number[] = [];
    limiter.onAdmitted((event) => void admittedAt.push(event.at));
    const path = name === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    const raw: ModelClient = {
      chat: {
        completions: {
          async create(body, options) {
            try {
              const response = await providerHttp.request(`${provider.url}${path}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ model: body.model, max_tokens: 8, messages: [{ role: 'user', content: body.prompt }] }),
                signal: options?.signal,
              });
              return await response.body.json();
            } catch (error) {
              if ((error as { status?: unknown }).status === 429) received429++;
              throw error;
            }
          },
        },
      },
    };
    const client = throttleClient(raw, { limiter, timeoutMs: timeouts.model, concurrency: modelSemaphore, name });
    return { name, provider, limiter, client, admittedAt };
  });

  const fanoutConcurrency = policy.defaults.concurrency;
  let fanoutPeak = 0;
  const activeFanouts = new Set<{ running: number }>();
  const acknowledged = new Set<number>();

  const run = async (kind: OperationKind, id: number, random: () => number, signal?: AbortSignal): Promise<void> => {
    switch (kind) {
      case 'db-read': {
        const key = 1 + Math.floor(random() * ITEM_ROWS);
        await pool.query(`select id, payload from ${ITEMS_TABLE} where id = $1`, [key], { signal });
        return;
      }
      case 'db-write': {
        await pool.query(`insert into ${WRITES_TABLE} (run_id, op_id, payload) values ($1, $2, $3)`, [runId, id, `op ${id}`], {
          signal,
        });
        acknowledged.add(id);
        return;
      }
      case 'http': {
        const response = await http.request('/work', { signal });
        await response.body.text();
        return;
      }
      case 'model': {
        const route = models[random() < 0.5 ? 0 : 1]!;
        await route.client.chat.completions.create({ model: `fake-${route.name}`, prompt: `op ${id}` }, { signal });
        return;
      }
      case 'fanout': {
        const size = 5 + Math.floor(random() * 16);
        const delays = Array.from({ length: size }, () => 2 + random() * 8);
        const fanout = { running: 0 };
        activeFanouts.add(fanout);
        try {
          await mapBounded(
            delays,
            async (ms, _index, itemSignal) => {
              fanout.running++;
              if (fanout.running > fanoutPeak) fanoutPeak = fanout.running;
              try {
                await sleep(ms, itemSignal);
              } finally {
                fanout.running--;
              }
            },
            { concurrency: fanoutConcurrency, signal },
          );
        } finally {
          activeFanouts.delete(fanout);
        }
        return;
      }
    }
  };

  return {
    pool,
    applicationName,
    http,
    providerHttp,
    models,
    modelSemaphore,
    fanoutConcurrency,
    fanoutPeak: () => fanoutPeak,
    fanoutRunning: () => {
      let most = 0;
      for (const fanout of activeFanouts) most = Math.max(most, fanout.running);
      return most;
    },
    received429: () => received429,
    acknowledged,
    timeouts,
    run,
    async close() {
      for (const route of models) route.limiter.close();
      await Promise.allSettled([pool.close({ drainMs: 2_000 }), http.close(), providerHttp.close()]);
    },
  };
}
