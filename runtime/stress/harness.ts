/**
 * `runStress`: one level of load (optionally with one chaos scenario) against a real
 * PostgreSQL, a local HTTP upstream and two local fake model providers, measuring everything
 * `StressResult` holds and checking every must-hold.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { defaultPolicy, type Policy } from '@bounded/policy';
import { isBoundedError } from '../errors.js';
import { createHttpClient } from '../http/client.js';
import { mapBoundedSettled } from '../map-bounded.js';
import { ConcurrencyMonitor } from '../monitor/monitor.js';
import type { Alert } from '../monitor/types.js';
import { Semaphore } from '../semaphore.js';
import { SCENARIOS, type ChaosContext, type ChaosScenario } from './chaos.js';
import { startFakeProvider, type FakeProvider } from './fake-provider.js';
import { LEVELS, peakConcurrency, seededRandom, targetConcurrency, type LevelSpec } from './levels.js';
import { LatencyLog, establishedTo, round, sleep } from './measure.js';
import { openStressDatabase, type StressDatabase } from './postgres.js';
import {
  OPERATION_KINDS,
  STRESS_SCHEMA_VERSION,
  type ChaosName,
  type FaultWindow,
  type MemorySample,
  type MonitorWarning,
  type MustHoldCheck,
  type OperationFigures,
  type OperationKind,
  type ReferenceFigures,
  type ResourceFigures,
  type ResourceKindName,
  type ResourceSample,
  type StressLevel,
  type StressResult,
} from './types.js';
import { startUpstream, type Upstream } from './upstream.js';
import { MIX, WRITES_TABLE, createWorkload, prepareSchema, type Workload } from './workload.js';

export interface StressOptions {
  /** Default `light`. */
  level?: StressLevel;
  /** Length of the load phase in ms. Default: the level's. */
  durationMs?: number;
  chaos?: ChaosName;
  /** Seed of the workload's choices. Default: random (recorded in the result). */
  seed?: number;
  /** The policy whose limits the workload runs under. Default: the embedded defaults. */
  policy?: Policy;
  /** The database; default `DATABASE_URL`, else a throwaway server (closed afterwards). */
  database?: StressDatabase;
  /** Upstream HTTP latency, ms. Default 20 (plus up to 10 of jitter). */
  httpLatencyMs?: number;
  /** Model provider latency, ms. Default 30. */
  providerLatencyMs?: number;
  /** Caps every operation deadline the policy gives (ms). Default 5,000. */
  maxTimeoutMs?: number;
  /** A minute of provider quota passes in `60_000 / providerTimeScale` ms. Default 60. */
  providerTimeScale?: number;
  /** Resource sampling interval, ms. Default: 250, or more for long runs (at most ~2,400 samples). */
  sampleIntervalMs?: number;
  /** `memory` chaos: the child's heap limit, MB. Default 256. */
  heapLimitMb?: number;
  /** `memory` chaos: extra `node` arguments for the child (the tests pass a TypeScript loader). */
  childExecArgv?: readonly string[];
  /** Progress lines (fault start/end, phases). */
  onProgress?: (line: string) => void;
  /** @internal The memory child's open-loop flood: arrivals per second far above capacity. */
  flood?: { readonly ratePerSec: number; readonly payloadBytes: number; readonly maxQueue: number };
}

const DEFAULT_MAX_TIMEOUT_MS = 5_000;
/** Settling after the load phase: the longest deadline plus this. */
const DRAIN_GRACE_MS = 10_000;

interface OpCounters {
  started: number;
  succeeded: number;
  failed: number;
  untyped: number;
  readonly latency: LatencyLog;
  readonly failureLatency: LatencyLog;
  readonly errors: Map<string, number>;
}

interface Tracked {
  readonly kind: ResourceKindName;
  readonly name: string;
  /** Independent reading from the resource's own stats. */
  read(): { inFlight: number; limit: number | null; waiting: number };
  /** The resource's own peak, when it tracks one. */
  peak?(): number;
  readonly samples: ResourceSample[];
  /** Watched by the monitor (so its alerts are checked against the readings). */
  readonly monitored: boolean;
  /** Utilization at each monitor check, for alert accuracy. */
  readonly utilization: { t: number; u: number }[];
}

/** Runs one stress level (and chaos scenario) and returns every figure and check. */
export async function runStress(options: StressOptions = {}): Promise<StressResult> {
  const level = options.level ?? 'light';
  const spec = LEVELS[level];
  if (spec === undefined) throw new TypeError(`Unknown stress level ${JSON.stringify(level)}`);
  const scenario = options.chaos === undefined ? undefined : SCENARIOS[options.chaos];
  if (options.chaos !== undefined && scenario === undefined) throw new TypeError(`Unknown chaos scenario ${JSON.stringify(options.chaos)}`);
  if (scenario?.name === 'memory' && options.flood === undefined) {
    const { runMemoryChaos } = await import('./memory.js');
    return runMemoryChaos(options);
  }
  const policy = options.policy ?? defaultPolicy();
  const durationMs = options.durationMs ?? spec.defaultDurationMs;
  if (!(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new TypeError(`Expected \`durationMs\` to be a positive number, got ${durationMs}`);
  }
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
  const progress = options.onProgress ?? (() => undefined);
  const ownsDatabase = options.database === undefined;
  const db = options.database ?? (await openStressDatabase());
  if (scenario?.needsControl === true && !db.controllable) {
    if (ownsDatabase) await db.close();
    throw new Error(`Chaos ${scenario.name} stops and restarts the server, which it cannot do to the one at DATABASE_URL`);
  }
  const started = { resources: [] as { close(): Promise<void> }[] };
  try {
    return await execute({ options, spec, scenario, policy, durationMs, seed, progress, db, started: started.resources });
  } finally {
    await mapBoundedSettled(started.resources, (resource) => resource.close(), { concurrency: started.resources.length || 1 });
    if (ownsDatabase) await db.close();
  }
}

interface Execution {
  readonly options: StressOptions;
  readonly spec: LevelSpec;
  readonly scenario: ChaosScenario | undefined;
  readonly policy: Policy;
  readonly durationMs: number;
  readonly seed: number;
  readonly progress: (line: string) => void;
  readonly db: StressDatabase;
  readonly started: { close(): Promise<void> }[];
}

/**
 * One run, step by step: start the services, watch the resources, drive the load, settle,
 * read the writes back, gather the figures and check the must-holds.
 */
async function execute(run: Execution): Promise<StressResult> {
  const { options, spec, scenario, policy, durationMs, seed, progress, db } = run;
  const services = await startServices(run);
  const { workload, maxTimeoutMs } = services;

  // Warm the pool so the first checkouts do not all queue behind connection opens.
  await workload.pool.query('select 1').catch(() => undefined);

  const flood = options.flood;
  const admission = flood === undefined ? undefined : new Semaphore(peakConcurrency(spec), { name: 'admission', maxQueue: flood.maxQueue });

  const clock = startClock();
  const { monitor, tracked, warnings } = watchResources(policy, clock.now, progress, services, admission);
  const ops = createOperations({ seed, flood, admission, maxTimeoutMs, workload, now: clock.now, affects: scenario?.affects ?? [] });
  const sampler = startSampler({ options, durationMs, clock, tracked, monitor, db, workload });

  const { chaosError, recoveryMs } = await driveLoad({ run, services, now: clock.now, ops });

  // --- settle: every operation must end within the longest deadline -----------------------------
  const drained = await settle(ops.inFlight, maxTimeoutMs, workload);
  const elapsedMs = clock.now();
  await sampler.finish();
  const unsettled = drained ? 0 : ops.inFlight.size;

  const writesFound = await readWritesBack(db, services.runId, workload, progress);

  monitor.close();

  const partial = await gatherFigures({
    run,
    services,
    ops,
    tracked,
    sampler,
    warnings,
    elapsedMs,
    unsettled,
    writesFound,
  });
  const checks = mustHold(partial, {
    scenario,
    tracked,
    warningLevel: monitor.warningLevel,
    hysteresis: monitor.hysteresis,
    workload,
    chaosError,
    recoveryMs,
  });
  return { ...partial, checks, ok: checks.every((check) => check.ok) };
}

interface Services {
  readonly runId: string;
  readonly providerTimeScale: number;
  readonly maxTimeoutMs: number;
  readonly upstream: Upstream;
  readonly providers: readonly FakeProvider[];
  readonly providerLimits: readonly { limit: number; perMs: number }[];
  readonly workload: Workload;
  readonly reference: ReferenceFigures;
}

/** The schema, the upstream, the two providers and the workload; then the reference figures. */
async function startServices(run: Execution): Promise<Services> {
  const { options, policy, progress, db } = run;
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const providerTimeScale = options.providerTimeScale ?? 60;
  const maxTimeoutMs = options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS;

  await prepareSchema((text) => db.query(text));
  const upstream = await startUpstream({ latencyMs: options.httpLatencyMs ?? 20 });
  run.started.push(upstream);
  // Each provider enforces the policy's rate over a window 10 % shorter than the client's: the
  // headroom a deployment keeps for network and scheduling skew between the two clocks.
  const providerLimits = (['openai', 'anthropic'] as const).map((name) => {
    const rate = policy.rateLimits[name];
    return {
      limit: rate?.rate ?? (name === 'openai' ? 60 : 50),
      perMs: Math.max(1, Math.round(((rate?.perMs ?? 60_000) / providerTimeScale) * 0.9)),
    };
  });
  const providers: FakeProvider[] = [];
  for (const { limit, perMs } of providerLimits) {
    const provider = await startFakeProvider({ limit, perMs, latencyMs: options.providerLatencyMs ?? 30 });
    run.started.push(provider);
    providers.push(provider);
  }
  const workload = createWorkload({
    policy,
    runId,
    databaseUrl: db.url,
    upstream,
    providers: { openai: providers[0]!, anthropic: providers[1]! },
    maxTimeoutMs,
    providerTimeScale,
  });
  run.started.push(workload);

  progress('measuring the reference workload');
  const reference = await measureReference(upstream, workload);
  return { runId, providerTimeScale, maxTimeoutMs, upstream, providers, providerLimits, workload, reference };
}

interface Clock {
  readonly now: () => number;
  /** Holds the clock still at `t` while `fn` runs, so readings and the monitor's check share one time. */
  readonly holdAt: (t: number, fn: () => void) => void;
}

function startClock(): Clock {
  const t0 = performance.now();
  let frozen: number | undefined;
  return {
    now: (): number => frozen ?? performance.now() - t0,
    holdAt(t, fn) {
      frozen = t;
      try {
        fn();
      } finally {
        frozen = undefined;
      }
    },
  };
}

// --- the monitor and the resources it watches ----------------------------------------------------
function watchResources(
  policy: Policy,
  now: () => number,
  progress: (line: string) => void,
  { workload, upstream }: Services,
  admission: Semaphore | undefined,
): { monitor: ConcurrencyMonitor; tracked: Tracked[]; warnings: MonitorWarning[] } {
  const warnings: MonitorWarning[] = [];
  const monitor = ConcurrencyMonitor.fromPolicy(policy, {
    now,
    logger: { warn: () => undefined, info: () => undefined, error: (message) => progress(message) },
    onAlert: (alert: Alert) =>
      warnings.push({
        at: round(alert.at),
        level: alert.level,
        kind: alert.kind,
        name: alert.name,
        utilization: round(alert.utilization, 4),
        message: alert.message,
      }),
  });
  const tracked: Tracked[] = [];
  const track = (entry: Omit<Tracked, 'samples' | 'utilization'>): void => {
    tracked.push({ ...entry, samples: [], utilization: [] });
  };
  monitor.add('pool', 'db', workload.pool);
  // The pool's own count at each checkout: a short run's connections may all be back between samples.
  let poolPeak = 0;
  workload.pool.onAcquire((event) => {
    if (event.inUse > poolPeak) poolPeak = event.inUse;
  });
  track({
    monitored: true,
    kind: 'pool',
    name: 'db',
    read: () => {
      const stats = workload.pool.stats();
      return { inFlight: stats.inUse, limit: stats.max, waiting: stats.waiting };
    },
    peak: () => poolPeak,
  });
  monitor.add('http', 'upstream', workload.http);
  // The client's own stats drive the timeline (what the monitor sees); its limit is judged by
  // the kernel's count of ESTABLISHED connections to the upstream, sampled at the same moments.
  let kernelPeak = 0;
  track({
    monitored: true,
    kind: 'http',
    name: 'upstream',
    read: () => {
      const stats = workload.http.stats();
      const kernel = establishedTo(upstream.port, readProcFile);
      if (kernel !== undefined && kernel > kernelPeak) kernelPeak = kernel;
      return { inFlight: Math.max(0, stats.connected - stats.free), limit: stats.connections, waiting: stats.pending };
    },
    peak: () => kernelPeak,
  });
  watchModelResources(monitor, track, workload, admission);
  return { monitor, tracked, warnings };
}

/** The per-model limiters, the model semaphore, the fan-out and (flood runs) the admission queue. */
function watchModelResources(
  monitor: ConcurrencyMonitor,
  track: (entry: Omit<Tracked, 'samples' | 'utilization'>) => void,
  workload: Workload,
  admission: Semaphore | undefined,
): void {
  for (const route of workload.models) {
    monitor.add('limiter', route.name, route.limiter);
    track({
      monitored: true,
      kind: 'limiter',
      name: route.name,
      read: () => {
        const stats = route.limiter.stats();
        const limit = route.limiter.limit;
        return { inFlight: Math.max(0, limit - stats.available), limit, waiting: stats.waiting };
      },
      // The admissions carry the limiter's own time (`at`); an at-once admission reads the
      // clock again just after the decision, so its time can be a hair late. Windows 1 ms
      // shorter than the limiter's count only what the limiter could not have meant as the
      // next window.
      peak: () => maxInWindow(route.admittedAt, route.limiter.perMs - STAMP_SLACK_MS),
    });
  }
  monitor.add('semaphore', 'model', workload.modelSemaphore);
  track({
    monitored: true,
    kind: 'semaphore',
    name: 'model',
    read: () => ({
      inFlight: workload.modelSemaphore.inUse,
      limit: workload.modelSemaphore.limit,
      waiting: workload.modelSemaphore.waiting,
    }),
    peak: () => workload.modelSemaphore.peakInUse,
  });
  // mapBounded keeps its own count per fan-out: not a resource the monitor can watch.
  track({
    monitored: false,
    kind: 'semaphore',
    name: 'fanout',
    read: () => ({ inFlight: workload.fanoutRunning(), limit: workload.fanoutConcurrency, waiting: 0 }),
    peak: () => workload.fanoutPeak(),
  });
  if (admission !== undefined) {
    monitor.add('semaphore', 'admission', admission);
    track({
      monitored: true,
      kind: 'semaphore',
      name: 'admission',
      read: () => ({ inFlight: admission.inUse, limit: admission.limit, waiting: admission.waiting }),
      peak: () => admission.peakInUse,
    });
  }
}

// --- accounting ------------------------------------------------------------------------------

interface Fault {
  name: string;
  startMs: number;
  endMs: number | null;
  recoveredAt: number | null;
}

interface Operations {
  readonly counters: Map<OperationKind, OpCounters>;
  readonly inFlight: Set<Promise<void>>;
  readonly faults: Fault[];
  readonly pickKind: () => OperationKind;
  readonly operation: (kind: OperationKind) => Promise<void>;
}

function createOperations(setup: {
  readonly seed: number;
  readonly flood: StressOptions['flood'];
  readonly admission: Semaphore | undefined;
  readonly maxTimeoutMs: number;
  readonly workload: Workload;
  readonly now: () => number;
  readonly affects: readonly OperationKind[];
}): Operations {
  const { seed, flood, admission, maxTimeoutMs, workload, now } = setup;
  const counters = new Map<OperationKind, OpCounters>(
    OPERATION_KINDS.map((kind) => [
      kind,
      { started: 0, succeeded: 0, failed: 0, untyped: 0, latency: new LatencyLog(), failureLatency: new LatencyLog(), errors: new Map() },
    ]),
  );
  const inFlight = new Set<Promise<void>>();
  const faults: Fault[] = [];
  const affects = new Set<OperationKind>(setup.affects);
  let nextId = 1;
  const random = seededRandom(seed);
  const pickKind = (): OperationKind => {
    let r = random();
    for (const [kind, share] of MIX) {
      if (r < share) return kind;
      r -= share;
    }
    return MIX[MIX.length - 1]![0];
  };

  const operation = (kind: OperationKind): Promise<void> => {
    const id = nextId++;
    const counter = counters.get(kind)!;
    counter.started++;
    const start = now();
    const opRandom = seededRandom(seed ^ id);
    const payload = flood === undefined ? undefined : heapPayload(flood.payloadBytes);
    const body = (): Promise<void> => {
      void payload?.length;
      return workload.run(kind, id, opRandom);
    };
    // A bounded queue with a deadline on the wait too: waiting past the longest operation
    // deadline would only lengthen the line.
    const promise = (admission === undefined ? body() : admission.run(body, { timeoutMs: maxTimeoutMs })).then(
      () => {
        const end = now();
        counter.succeeded++;
        counter.latency.add(end - start);
        if (affects.has(kind)) {
          for (const fault of faults) {
            if (fault.endMs !== null && fault.recoveredAt === null && start >= fault.endMs) fault.recoveredAt = end;
          }
        }
      },
      (error: unknown) => {
        counter.failed++;
        counter.failureLatency.add(now() - start);
        const name = errorName(error);
        counter.errors.set(name, (counter.errors.get(name) ?? 0) + 1);
        if (!isBoundedError(error)) counter.untyped++;
      },
    );
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };
  return { counters, inFlight, faults, pickKind, operation };
}

// --- sampling -------------------------------------------------------------------------------

interface Sampler {
  readonly sampleIntervalMs: number;
  readonly memorySamples: MemorySample[];
  readonly serverSamples: { t: number; connections: number }[];
  readonly loopDelay: ReturnType<typeof monitorEventLoopDelay>;
  /** Stops the interval, takes a last sample and waits for its server count. */
  finish(): Promise<void>;
}

function startSampler(setup: {
  readonly options: StressOptions;
  readonly durationMs: number;
  readonly clock: Clock;
  readonly tracked: readonly Tracked[];
  readonly monitor: ConcurrencyMonitor;
  readonly db: StressDatabase;
  readonly workload: Workload;
}): Sampler {
  const { options, durationMs, clock, tracked, monitor, db, workload } = setup;
  const sampleIntervalMs = options.sampleIntervalMs ?? Math.max(250, Math.ceil(durationMs / 2_400));
  const memorySamples: MemorySample[] = [];
  const serverSamples: { t: number; connections: number }[] = [];
  let serverQuery: Promise<void> | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const sample = (): void => {
    const t = round(clock.now());
    clock.holdAt(t, () => takeSample(t));
  };
  const takeSample = (t: number): void => {
    for (const resource of tracked) {
      const reading = resource.read();
      resource.samples.push({ t, inFlight: reading.inFlight, limit: reading.limit, waiting: reading.waiting });
      if (resource.monitored && reading.limit !== null) resource.utilization.push({ t, u: reading.inFlight / reading.limit });
    }
    // The monitor checks at the same moment as the readings above: nothing runs in between.
    monitor.check();
    // After the check, the monitor's event-loop figures cover the interval that just ended.
    const loop = monitor.snapshot().eventLoop;
    const memory = process.memoryUsage();
    memorySamples.push({
      t,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      eventLoopP99Ms: round(loop?.p99Ms ?? 0),
      eventLoopMaxMs: round(loop?.maxMs ?? 0),
    });
    if (serverQuery === undefined) {
      serverQuery = db
        .countConnections(workload.applicationName)
        .then(
          (connections) => void serverSamples.push({ t, connections }),
          () => undefined, // The server is down (db-restart): nothing to count.
        )
        .finally(() => (serverQuery = undefined));
    }
  };
  const sampler = setInterval(sample, sampleIntervalMs);
  return {
    sampleIntervalMs,
    memorySamples,
    serverSamples,
    loopDelay,
    async finish() {
      clearInterval(sampler);
      sample();
      await serverQuery;
      loopDelay.disable();
    },
  };
}

// --- load -----------------------------------------------------------------------------------

/** Runs the load phase (and the chaos scenario beside it) until its end and any recovery. */
async function driveLoad(setup: {
  readonly run: Execution;
  readonly services: Services;
  readonly now: () => number;
  readonly ops: Operations;
}): Promise<{ chaosError: unknown; recoveryMs: number }> {
  const { run, services, now, ops } = setup;
  const { spec, scenario, durationMs, progress } = run;
  const { workload } = services;
  const { faults, pickKind, operation } = ops;
  const flood = run.options.flood;
  const stop = new AbortController();
  const chaosContext = chaosContextFor(run, services, now, faults, stop.signal);
  progress(`load: ${spec.description} for ${durationMs} ms${scenario === undefined ? '' : `, chaos ${scenario.name}`}`);
  let chaosError: unknown;
  const chaos = scenario?.inject?.(chaosContext).catch((error: unknown) => {
    progress(`chaos ${scenario.name} failed: ${errorMessage(error)}`);
    chaosError = error;
  });

  const recoveryMs = scenario?.recoveryMs(workload.timeouts) ?? 0;
  let workers = 0;
  const worker = async (): Promise<void> => {
    workers++;
    try {
      // A worker leaves when the load phase ends or the level wants fewer in flight.
      while (!stop.signal.aborted && workers <= targetConcurrency(spec, now(), durationMs)) {
        await operation(pickKind());
      }
    } finally {
      workers--;
    }
  };
  const recoveryPending = (): boolean =>
    scenario !== undefined &&
    faults.some((fault) => fault.endMs === null || (fault.recoveredAt === null && now() < fault.endMs + recoveryMs));

  if (flood === undefined) {
    while (now() < durationMs || (recoveryPending() && now() < durationMs * 4 + 60_000)) {
      const target = targetConcurrency(spec, now(), durationMs);
      // eslint-disable-next-line bounded/no-unmanaged-background-work -- the load generator's own workers, counted and awaited through `workers`
      while (workers < target) void worker();
      await sleep(20);
    }
  } else {
    // Open loop: arrivals at a fixed rate whatever the system can take (only bounded queues stop
    // them). A late tick catches up, up to a tenth of a second's arrivals at once, so a
    // lagging event loop slows the arrivals down only when it lags badly.
    let arrived = 0;
    const burst = Math.max(1, Math.ceil(flood.ratePerSec / 10));
    while (now() < durationMs) {
      const due = Math.min(Math.floor((now() / 1_000) * flood.ratePerSec), arrived + burst);
      // eslint-disable-next-line bounded/no-unmanaged-background-work -- open-loop arrivals are fire-and-forget by design; each settles into the tallies
      for (; arrived < due; arrived++) void operation(pickKind());
      await sleep(10);
    }
  }
  stop.abort();
  await chaos;
  progress(`load phase over at ${Math.round(now())} ms; settling ${ops.inFlight.size} operations in flight`);
  return { chaosError, recoveryMs };
}

/** What a chaos scenario may reach, and how it marks a fault's start and end. */
function chaosContextFor(run: Execution, services: Services, now: () => number, faults: Fault[], signal: AbortSignal): ChaosContext {
  const { db, durationMs, progress } = run;
  const { upstream, providers, providerLimits, workload } = services;
  return {
    db,
    upstream,
    providers: providers.map((provider, i) => ({ provider, limit: providerLimits[i]!.limit, perMs: providerLimits[i]!.perMs })),
    applicationName: workload.applicationName,
    durationMs,
    now,
    signal,
    begin(name) {
      const fault = { name, startMs: round(now()), endMs: null as number | null, recoveredAt: null as number | null };
      faults.push(fault);
      progress(`fault ${name} begins at ${Math.round(fault.startMs)} ms`);
      return () => {
        fault.endMs = round(now());
        progress(`fault ${name} ends at ${Math.round(fault.endMs)} ms`);
      };
    },
    log: progress,
  };
}

/** Waits for every operation in flight, up to twice the longest deadline plus a grace; false when some never settled. */
async function settle(inFlight: Set<Promise<void>>, maxTimeoutMs: number, workload: Workload): Promise<boolean> {
  const drainMs = Math.max(maxTimeoutMs, ...Object.values(workload.timeouts)) * 2 + DRAIN_GRACE_MS;
  return Promise.race([Promise.allSettled([...inFlight]).then(() => true), sleep(drainMs).then(() => false)]);
}

// --- durability: every acknowledged write is in the table ---------------------------------------
async function readWritesBack(db: StressDatabase, runId: string, workload: Workload, progress: (line: string) => void): Promise<number> {
  let writesFound = 0;
  try {
    const rows = await retry(() => db.query<{ op_id: number }>(`select op_id from ${WRITES_TABLE} where run_id = $1`, [runId]));
    const present = new Set(rows.rows.map((row) => row.op_id));
    for (const id of workload.acknowledged) if (present.has(id)) writesFound++;
    await db.query(`delete from ${WRITES_TABLE} where run_id = $1`, [runId]).catch(() => undefined);
  } catch (error) {
    progress(`could not read the writes back: ${errorMessage(error)}`);
  }
  return writesFound;
}

// --- figures --------------------------------------------------------------------------------

function operationFigures(counters: Map<OperationKind, OpCounters>, elapsedMs: number): OperationFigures[] {
  const operations: OperationFigures[] = [];
  for (const [kind, counter] of counters) {
    if (counter.started === 0) continue;
    operations.push({
      kind,
      started: counter.started,
      succeeded: counter.succeeded,
      failed: counter.failed,
      unsettled: counter.started - counter.succeeded - counter.failed,
      untyped: counter.untyped,
      throughput: round(counter.succeeded / (elapsedMs / 1_000)),
      latency: counter.latency.figures(),
      failureLatency: counter.failureLatency.figures(),
      errors: Object.fromEntries([...counter.errors].sort((a, b) => b[1] - a[1])),
    });
  }
  return operations;
}

function resourceFigures(tracked: readonly Tracked[], sampleIntervalMs: number): ResourceFigures[] {
  return tracked.map((resource) => {
    const limit = resource.read().limit;
    const sampled = Math.max(0, ...resource.samples.map((s) => s.inFlight));
    const maxInFlight = Math.max(sampled, resource.peak?.() ?? 0);
    return {
      kind: resource.kind,
      name: resource.name,
      limit,
      maxInFlight,
      maxWaiting: Math.max(0, ...resource.samples.map((s) => s.waiting)),
      peakUtilization: limit === null ? null : round(maxInFlight / limit, 4),
      samples: resource.samples,
      sampleIntervalMs,
    };
  });
}

function totalsOf(operations: readonly OperationFigures[], unsettled: number, elapsedMs: number): StressResult['totals'] {
  const sum = (field: 'started' | 'succeeded' | 'failed' | 'untyped'): number => operations.reduce((total, op) => total + op[field], 0);
  return {
    started: sum('started'),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    unsettled,
    untyped: sum('untyped'),
    throughput: round(sum('succeeded') / (elapsedMs / 1_000)),
  };
}

function processFigures({ memorySamples, loopDelay }: Sampler): StressResult['process'] {
  return {
    peakRss: Math.max(0, ...memorySamples.map((s) => s.rss)),
    peakHeapUsed: Math.max(0, ...memorySamples.map((s) => s.heapUsed)),
    heapLimitMb: null,
    eventLoop: {
      p50Ms: round(loopDelay.percentile(50) / 1e6),
      p99Ms: round(loopDelay.percentile(99) / 1e6),
      maxMs: round(loopDelay.max / 1e6),
      meanMs: round(Number.isNaN(loopDelay.mean) ? 0 : loopDelay.mean / 1e6),
    },
    samples: memorySamples,
  };
}

/** Every figure of the result but the checks. */
async function gatherFigures(gathered: {
  readonly run: Execution;
  readonly services: Services;
  readonly ops: Operations;
  readonly tracked: readonly Tracked[];
  readonly sampler: Sampler;
  readonly warnings: MonitorWarning[];
  readonly elapsedMs: number;
  readonly unsettled: number;
  readonly writesFound: number;
}): Promise<Omit<StressResult, 'checks' | 'ok'>> {
  const { run, services, ops, tracked, sampler, warnings, elapsedMs, unsettled, writesFound } = gathered;
  const { spec, scenario, policy, durationMs, seed, db } = run;
  const { workload, providers, providerLimits, reference } = services;
  const { serverSamples } = sampler;
  const operations = operationFigures(ops.counters, elapsedMs);
  const totals = totalsOf(operations, unsettled, elapsedMs);
  const resources = resourceFigures(tracked, sampler.sampleIntervalMs);
  const providerStats = providers.map((provider) => provider.stats());
  const faultWindows: FaultWindow[] = ops.faults.map((fault) => ({
    name: fault.name,
    startMs: fault.startMs,
    endMs: fault.endMs,
    recoveredAfterMs: fault.endMs === null || fault.recoveredAt === null ? null : round(fault.recoveredAt - fault.endMs),
  }));

  return {
    schemaVersion: STRESS_SCHEMA_VERSION,
    meta: {
      level: spec.level,
      chaos: scenario?.name ?? null,
      durationMs,
      elapsedMs: round(elapsedMs),
      seed,
      targetConcurrency: peakConcurrency(spec),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: availableParallelism(),
      startedAt: new Date(Date.now() - elapsedMs).toISOString(),
      policy: { file: policy.source ?? null, digest: policyDigest(policy) },
      database: db.origin,
      version: await packageVersion(),
    },
    totals,
    operations,
    resources,
    database: {
      maxServerConnections: Math.max(0, ...serverSamples.map((s) => s.connections)),
      poolMax: workload.pool.max,
      samples: serverSamples,
      acknowledgedWrites: workload.acknowledged.size,
      writesFound,
    },
    provider: {
      requests: providerStats.reduce((n, s) => n + s.requests, 0),
      accepted: providerStats.reduce((n, s) => n + s.accepted, 0),
      rejected429: workload.received429(),
      limit: {
        start: providerLimits.reduce((n, p) => n + p.limit, 0),
        end: providerLimits.reduce((n, p) => n + p.limit, 0),
        perMs: providerLimits[0]!.perMs,
      },
      maxInFlight: Math.max(...providerStats.map((s) => s.maxInFlight)),
    },
    process: processFigures(sampler),
    warnings,
    faults: faultWindows,
    reference,
  };
}

// --- the must-holds ---------------------------------------------------------------------------

interface CheckContext {
  readonly scenario: ChaosScenario | undefined;
  readonly tracked: readonly Tracked[];
  readonly warningLevel: number;
  readonly hysteresis: number;
  readonly workload: Workload;
  readonly chaosError: unknown;
  /** The scenario's recovery bound for this run's timeouts, ms. */
  readonly recoveryMs: number;
}

export function mustHold(result: Omit<StressResult, 'checks' | 'ok'>, context: CheckContext): MustHoldCheck[] {
  const checks: MustHoldCheck[] = [];
  const { totals } = result;

  // Limits: no resource ever above its limit (one check per resource, so a failure names it),
  // and the server's own count of the pool's connections within the pool's max.
  for (const resource of result.resources) {
    if (resource.limit === null) continue;
    checks.push({
      name: `limit:${resource.kind}/${resource.name}`,
      ok: resource.maxInFlight <= resource.limit,
      detail: `${resource.kind} "${resource.name}": at most ${resource.maxInFlight} in flight of its limit ${resource.limit}${LIMIT_SOURCES[`${resource.kind}/${resource.name}`] ?? ''}`,
    });
  }
  checks.push({
    name: 'limit:server-connections',
    ok: result.database.maxServerConnections <= result.database.poolMax,
    detail: `the server saw at most ${result.database.maxServerConnections} connections of the pool (max ${result.database.poolMax}) in pg_stat_activity`,
  });

  checks.push({
    name: 'all-accounted',
    ok: totals.unsettled === 0 && totals.started === totals.succeeded + totals.failed,
    detail: `started ${totals.started} = succeeded ${totals.succeeded} + failed ${totals.failed}; ${totals.unsettled} never settled`,
  });
  const untypedNames = result.operations.flatMap((op) =>
    Object.keys(op.errors)
      .filter((name) => !TYPED_NAMES.has(name))
      .map((name) => `${op.kind}:${name}`),
  );
  checks.push({
    name: 'failures-typed',
    ok: totals.untyped === 0,
    detail:
      totals.untyped === 0
        ? `all ${totals.failed} failures were bounded's typed errors`
        : `${totals.untyped} failures were not typed errors (${untypedNames.join(', ')})`,
  });

  checks.push({
    name: 'writes-durable',
    ok: result.database.writesFound === result.database.acknowledgedWrites,
    detail: `${result.database.writesFound} of ${result.database.acknowledgedWrites} acknowledged writes found afterwards`,
  });

  if (context.scenario?.name !== 'provider-429') {
    const allowed = Math.max(3, Math.ceil(result.provider.requests * 0.02));
    checks.push({
      name: 'provider-429s-rare',
      ok: result.provider.rejected429 <= allowed,
      detail: `${result.provider.rejected429} 429s in ${result.provider.requests} model requests (at most ${allowed}: skew between the client's and the provider's clocks)`,
    });
  }

  checks.push(alertAccuracy(result, context));

  if (context.scenario !== undefined && context.scenario.affects.length > 0) {
    const { recoveryMs } = context;
    const late = result.faults.filter((fault) => fault.recoveredAfterMs === null || fault.recoveredAfterMs > recoveryMs);
    checks.push({
      name: 'recovered',
      ok: context.chaosError === undefined && result.faults.length > 0 && late.length === 0,
      detail:
        context.chaosError !== undefined
          ? `the fault could not be injected: ${errorMessage(context.chaosError)}`
          : result.faults
              .map(
                (f) =>
                  `${f.name} ${f.startMs}–${f.endMs ?? 'end'} ms: ${context.scenario!.affects.join('/')} succeeded again ${f.recoveredAfterMs === null ? 'never' : `after ${f.recoveredAfterMs} ms`}`,
              )
              .join('; ') + ` (must be ≤ ${recoveryMs} ms)`,
    });
  }
  if (context.scenario?.extraChecks !== undefined) checks.push(...context.scenario.extraChecks(result));
  return checks;
}

/**
 * Alert accuracy: the monitor raised a warning for a resource when (at the first check where)
 * its utilization reached the warning level, and never for one that stayed below it.
 */
function alertAccuracy(result: Omit<StressResult, 'checks' | 'ok'>, context: CheckContext): MustHoldCheck {
  const problems: string[] = [];
  let crossed = 0;
  for (const resource of context.tracked) {
    if (resource.utilization.length === 0) continue;
    const first = resource.utilization.find((s) => s.u >= context.warningLevel);
    const raised = result.warnings.filter((w) => w.level === 'warning' && w.kind === resource.kind && w.name === resource.name);
    if (first === undefined) {
      if (raised.length > 0)
        problems.push(`${resource.kind} ${resource.name} warned at ${raised[0]!.at} ms but never reached ${context.warningLevel}`);
      continue;
    }
    crossed++;
    if (raised.length === 0)
      problems.push(`${resource.kind} ${resource.name} reached ${round(first.u, 3)} at ${first.t} ms with no warning`);
    else if (raised[0]!.at !== first.t) {
      problems.push(`${resource.kind} ${resource.name} crossed at ${first.t} ms but first warned at ${raised[0]!.at} ms`);
    }
    // A later warning may be one the minimum interval held back: by then the level needs only
    // to have stayed above the hysteresis band.
    raised.forEach((warning, index) => {
      const at = resource.utilization.find((s) => s.t === warning.at);
      const floor = index === 0 ? context.warningLevel : context.warningLevel - context.hysteresis;
      if (at !== undefined && at.u < floor - 1e-9) {
        problems.push(`${resource.kind} ${resource.name} warned at ${warning.at} ms at utilization ${round(at.u, 3)}`);
      }
    });
  }
  return {
    name: 'alerts-accurate',
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${result.warnings.filter((w) => w.level === 'warning').length} warnings, for exactly the ${crossed} resources that reached ${context.warningLevel * 100}% (first warning at the first check that saw it)`
        : problems.join('; '),
  };
}

/** Where a resource's peak comes from, when not only from the harness's samples. */
const LIMIT_SOURCES: Readonly<Record<string, string>> = {
  'http/upstream': ' (connections ESTABLISHED to the upstream as the kernel counts them, sampled)',
  'limiter/openai': ' (admissions in any window)',
  'limiter/anthropic': ' (admissions in any window)',
  'pool/db': " (the pool's own count at each checkout)",
  'semaphore/model': " (the semaphore's own peak)",
  'semaphore/fanout': ' (items running at once inside one mapBounded)',
  'semaphore/admission': " (the semaphore's own peak)",
};

const TYPED_NAMES = new Set([
  'TimeoutError',
  'QueueFullError',
  'ClosedError',
  'PoolConnectionError',
  'HttpStatusError',
  'RetryExhaustedError',
  'StoreUnavailableError',
]);

// --- helpers ------------------------------------------------------------------------------------

/** Reads a small /proc file (the sampler is synchronous by design: nothing runs between its readings). */
function readProcFile(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Slack for an at-once admission, whose `at` is read just after the limiter decided, ms. */
const STAMP_SLACK_MS = 1;

/** Most entries of sorted times in any window of `perMs`. */
export function maxInWindow(times: readonly number[], perMs: number): number {
  let best = 0;
  let head = 0;
  for (let tail = 0; tail < times.length; tail++) {
    while (times[tail]! - times[head]! >= perMs) head++;
    best = Math.max(best, tail - head + 1);
  }
  return best;
}

async function measureReference(upstream: Upstream, workload: Workload): Promise<ReferenceFigures> {
  const windowMs = 300;
  // A trivial in-process async op through a Semaphore.
  const semaphore = new Semaphore(10);
  let ops = 0;
  const until = performance.now() + windowMs;
  const spin = async (): Promise<void> => {
    while (performance.now() < until) {
      await semaphore.run(() => Promise.resolve());
      ops++;
    }
  };
  await Promise.all(Array.from({ length: 10 }, spin));
  const inProcessOpsPerSec = round(ops / (windowMs / 1_000), 0);

  // Trivial loopback GETs (no added latency) through an undici-backed client.
  const client = createHttpClient({ baseUrl: upstream.url, connections: 10, timeoutMs: 5_000, name: 'reference' });
  let requests = 0;
  const httpUntil = performance.now() + windowMs;
  const get = async (): Promise<void> => {
    while (performance.now() < httpUntil) {
      const response = await client.request('/work?ms=0');
      await response.body.text();
      requests++;
    }
  };
  try {
    await Promise.all(Array.from({ length: 10 }, get));
  } finally {
    await client.close();
  }
  const loopbackHttpReqPerSec = round(requests / (windowMs / 1_000), 0);

  let dbSelectPerSec: number | null;
  try {
    let selects = 0;
    const dbUntil = performance.now() + windowMs;
    const select = async (): Promise<void> => {
      while (performance.now() < dbUntil) {
        await workload.pool.query('select 1');
        selects++;
      }
    };
    await Promise.all(Array.from({ length: 5 }, select));
    dbSelectPerSec = round(selects / (windowMs / 1_000), 0);
  } catch {
    dbSelectPerSec = null;
  }
  return { inProcessOpsPerSec, loopbackHttpReqPerSec, dbSelectPerSec };
}

/** A heap-resident payload (not a Buffer, whose bytes live outside the V8 heap). */
function heapPayload(bytes: number): number[] {
  return Array.from({ length: Math.max(1, Math.floor(bytes / 8)) }, (_, i) => i + 0.5);
}

async function retry<T>(fn: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(500);
    }
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function policyDigest(policy: Policy): string {
  const { source: _source, ...rest } = policy;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

async function packageVersion(): Promise<string> {
  try {
    const { readFile } = await import('node:fs/promises');
    for (const relative of ['../../package.json', '../../../package.json']) {
      try {
        const text = await readFile(new URL(relative, import.meta.url), 'utf8');
        const parsed = JSON.parse(text) as { name?: string; version?: string };
        if (parsed.name === 'bounded' && parsed.version !== undefined) return parsed.version;
      } catch {
        // Try the next location (source tree or dist/).
      }
    }
  } catch {
    // Fall through.
  }
  return 'unknown';
}
