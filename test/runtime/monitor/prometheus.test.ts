import { readFileSync } from 'node:fs';
import { Registry, register as globalRegistry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConcurrencyMonitor,
  METRICS,
  Semaphore,
  TokenBucket,
  createMetricsServer,
  registerMetrics,
  type MetricsServer,
  type Permit,
} from '../../../runtime/index.js';
import { ROOT, documentedMetrics, manualClock, parsePrometheusText, poolStub, recordingLogger, type Family } from './helpers.js';

/** A monitor over resources in every state worth exporting, and the truth about them. */
async function busyMonitor() {
  const clock = manualClock();
  const monitor = new ConcurrencyMonitor({ logger: recordingLogger(), now: clock.now });
  const db = new Semaphore(10, { maxQueue: 3 });
  monitor.add('semaphore', 'db', db);
  const held: Permit[] = [];
  for (let i = 0; i < 10; i++) held.push(db.tryAcquire()!);
  const waiters = [db.acquire(), db.acquire(), db.acquire()];
  await db.acquire().catch(() => undefined); // queue full
  const bucket = new TokenBucket({ rate: 10, burst: 10, now: clock.now });
  monitor.add('limiter', 'openai', bucket);
  for (let i = 0; i < 4; i++) bucket.tryAcquire();
  const pool = poolStub({
    total: 8,
    idle: 2,
    inUse: 6,
    waiting: 1,
    acquired: 40,
    acquireWaitMs: { p50: 2, p95: 30, p99: 90 },
    errors: 1,
    timeouts: 2,
  });
  monitor.add('pool', 'main', pool);
  monitor.add('http', 'billing "eu"\\west', {
    stats: () => ({ connected: 3, free: 1, pending: 0, queued: 0, running: 2, inFlight: 2, connections: 4 }),
    onRetry: () => ({ dispose() {}, [Symbol.dispose]() {} }),
  });
  monitor.check(); // db at 100 %: one warning
  // Let the event-loop histogram measure something (its timer ticks every 10 ms).
  await vi.waitFor(() => expect(monitor.snapshot().eventLoop).not.toBeNull());
  return { monitor, db, held, waiters, bucket, pool, clock };
}

function sample(family: Family | undefined, labels: Record<string, string>): number | undefined {
  return family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('registerMetrics and /metrics', () => {
  let registry: Registry;
  let server: MetricsServer;
  let setup: Awaited<ReturnType<typeof busyMonitor>>;

  beforeEach(async () => {
    setup = await busyMonitor();
    registry = new Registry();
    registerMetrics(registry, setup.monitor);
    server = await createMetricsServer({ port: 0, registry });
  });

  afterEach(async () => {
    await server.close();
    setup.monitor.close();
  });

  it('listens on 127.0.0.1 by default and serves GET /metrics with the registry content type', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(await response.text()).toMatch(/^# HELP bounded_/);
  });

  it('answers 404 elsewhere, 405 to other methods, ignores a query string, and HEAD sends no body', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('parses as Prometheus text format: HELP and TYPE for every metric, every sample well formed', async () => {
    const text = await (await fetch(server.url)).text();
    const families = parsePrometheusText(text);
    for (const definition of METRICS) {
      const family = families.get(definition.name);
      expect(family, definition.name).toBeDefined();
      expect(family!.type).toBe(definition.type);
      expect(family!.help).toBe(definition.help);
      for (const s of family!.samples) expect(Object.keys(s.labels).sort()).toEqual([...definition.labelNames].sort());
    }
    expect([...families.keys()].sort()).toEqual(METRICS.map((m) => m.name).sort());
  });

  it('contains every metric documented in docs/metrics.md, with samples', async () => {
    const documented = documentedMetrics();
    expect(documented.length).toBeGreaterThanOrEqual(10);
    const families = parsePrometheusText(await (await fetch(server.url)).text());
    for (const metric of documented) {
      expect(families.has(metric.name), `${metric.name} is documented but not exported`).toBe(true);
      expect(families.get(metric.name)!.samples.length, `${metric.name} has no sample`).toBeGreaterThan(0);
    }
  });

  it('documents exactly the metrics it exports, with their types and labels', () => {
    const documented = documentedMetrics();
    expect(documented.map((m) => m.name)).toEqual(METRICS.map((m) => m.name));
    for (const definition of METRICS) {
      const doc = documented.find((m) => m.name === definition.name)!;
      expect(doc.type, definition.name).toBe(definition.type);
      expect(doc.labels, definition.name).toEqual(definition.labelNames);
      expect(doc.meaning.length).toBeGreaterThan(20);
    }
  });

  it('reports the figures of the monitor, live at scrape time', async () => {
    let families = parsePrometheusText(await (await fetch(server.url)).text());
    const db = { kind: 'semaphore', name: 'db' };
    expect(sample(families.get('bounded_resource_in_use'), db)).toBe(10);
    expect(sample(families.get('bounded_resource_limit'), db)).toBe(10);
    expect(sample(families.get('bounded_resource_utilization_ratio'), db)).toBe(1);
    expect(sample(families.get('bounded_resource_waiting'), db)).toBe(3);
    expect(sample(families.get('bounded_resource_warning'), db)).toBe(1);
    expect(sample(families.get('bounded_rejected_total'), { ...db, reason: 'queue-full' })).toBe(1);
    expect(sample(families.get('bounded_rejected_total'), { ...db, reason: 'timeout' })).toBe(0);
    expect(sample(families.get('bounded_admitted_total'), db)).toBe(10);
    expect(sample(families.get('bounded_alerts_total'), { ...db, level: 'warning' })).toBe(1);
    expect(sample(families.get('bounded_alerts_total'), { ...db, level: 'recovered' })).toBe(0);
    expect(sample(families.get('bounded_utilization_warning_ratio'), {})).toBe(0.8);

    const openai = { kind: 'limiter', name: 'openai' };
    expect(sample(families.get('bounded_resource_in_use'), openai)).toBe(4);
    expect(sample(families.get('bounded_admitted_total'), openai)).toBe(4);

    const main = { kind: 'pool', name: 'main' };
    expect(sample(families.get('bounded_pool_connections'), { ...main, state: 'idle' })).toBe(2);
    expect(sample(families.get('bounded_pool_connections'), { ...main, state: 'in_use' })).toBe(6);
    expect(sample(families.get('bounded_pool_connections'), { ...main, state: 'total' })).toBe(8);
    expect(sample(families.get('bounded_wait_seconds'), { ...main, quantile: '0.99' })).toBe(0.09);
    expect(sample(families.get('bounded_errors_total'), main)).toBe(1);
    expect(sample(families.get('bounded_timeouts_total'), main)).toBe(2);

    // Quotes and backslashes in a name survive the label escaping.
    const billing = { kind: 'http', name: 'billing "eu"\\west' };
    expect(sample(families.get('bounded_resource_utilization_ratio'), billing)).toBe(0.5);
    expect(sample(families.get('bounded_retries_total'), billing)).toBe(0);

    for (const quantile of ['0.5', '0.95', '0.99', '1']) {
      expect(sample(families.get('bounded_event_loop_delay_seconds'), { quantile })).toBeGreaterThanOrEqual(0);
    }

    // Release everything: the next scrape shows it.
    for (const permit of setup.held) permit.release();
    for (const permit of await Promise.all(setup.waiters)) permit.release();
    families = parsePrometheusText(await (await fetch(server.url)).text());
    expect(sample(families.get('bounded_resource_in_use'), db)).toBe(0);
    expect(sample(families.get('bounded_resource_waiting'), db)).toBe(0);
    expect(sample(families.get('bounded_admitted_total'), db)).toBe(13);
    expect(sample(families.get('bounded_wait_seconds'), { ...db, quantile: '0.5' })).toBe(0);
  });

  it('refuses to register twice in one registry; dispose removes the metrics', () => {
    expect(() => registerMetrics(registry, setup.monitor)).toThrow(/already has bounded_resource_in_use/);
    const other = new Registry();
    const subscription = registerMetrics(other, setup.monitor);
    expect(other.getMetricsAsArray()).toHaveLength(METRICS.length);
    subscription.dispose();
    expect(other.getMetricsAsArray()).toHaveLength(0);
    registerMetrics(other, setup.monitor).dispose();
  });

  it('checks its arguments', async () => {
    expect(() => registerMetrics({} as Registry, setup.monitor)).toThrow(/Registry/);
    expect(() => registerMetrics(new Registry(), {} as ConcurrencyMonitor)).toThrow(/ConcurrencyMonitor/);
    await expect(createMetricsServer({ port: -1 })).rejects.toThrow(/port/);
    await expect(createMetricsServer({ host: '' })).rejects.toThrow(/host/);
  });
});

describe('createMetricsServer defaults', () => {
  it("serves prom-client's global registry when given none", async () => {
    const monitor = new ConcurrencyMonitor({ logger: recordingLogger(), eventLoop: false });
    monitor.add('semaphore', 'global', new Semaphore(2));
    const registration = registerMetrics(globalRegistry, monitor);
    await using server = await createMetricsServer({ port: 0 });
    try {
      const families = parsePrometheusText(await (await fetch(server.url)).text());
      expect(sample(families.get('bounded_resource_limit'), { kind: 'semaphore', name: 'global' })).toBe(2);
    } finally {
      registration.dispose();
      monitor.close();
    }
  });
});

describe('the Grafana dashboard', () => {
  interface Panel {
    type: string;
    title: string;
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const dashboard = JSON.parse(readFileSync(new URL('dashboards/grafana-bounded.json', ROOT), 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: string | { query: string } }[] };
  };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((p) => p.type !== 'row');
  const queries = [
    ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? '' }))),
    ...dashboard.templating.list
      .filter((variable) => variable.query !== undefined && typeof variable.query !== 'string')
      .map((variable) => ({ where: 'templating', expr: (variable.query as { query: string }).query })),
  ];

  async function registeredNames(): Promise<Map<string, readonly string[]>> {
    const registry = new Registry();
    const monitor = new ConcurrencyMonitor({ logger: recordingLogger(), eventLoop: false });
    registerMetrics(registry, monitor);
    const names = new Map<string, readonly string[]>();
    for (const metric of await registry.getMetricsAsJSON()) {
      names.set(metric.name, METRICS.find((m) => m.name === metric.name)!.labelNames);
    }
    monitor.close();
    return names;
  }

  it('has a query in every panel, each naming at least one bounded metric', () => {
    expect(panels.length).toBeGreaterThanOrEqual(7);
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.expr, panel.title).toMatch(/\bbounded_[a-z_]+/);
    }
  });

  it('uses only metric names, and label names, that the registry has', async () => {
    const registered = await registeredNames();
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      for (const [, name, selector] of expr.matchAll(/\b(bounded_[a-z0-9_]+)(?:\{([^}]*)\})?/g)) {
        expect(registered.has(name!), `${where}: ${name} is not a registered metric`).toBe(true);
        used.add(name!);
        for (const [, label] of (selector ?? '').matchAll(/([a-zA-Z_]+)\s*(?:=~|!~|!=|=)/g)) {
          expect(registered.get(name!), `${where}: ${name} has no label ${label}`).toContain(label);
        }
      }
    }
    // And it shows every metric bounded exports.
    expect([...used].sort()).toEqual([...registered.keys()].sort());
  });

  it('has the panels the issue asks for', () => {
    const titles = panels.map((panel) => panel.title.toLowerCase());
    for (const topic of [
      'utilization',
      'queue depth',
      'p95 / p99',
      'rejections by reason',
      'pool connections',
      'event-loop delay',
      'alerts',
    ]) {
      expect(
        titles.some((title) => title.includes(topic)),
        topic,
      ).toBe(true);
    }
  });
});
