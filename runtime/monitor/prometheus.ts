import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type promClient from 'prom-client';
import type { Subscription } from '../internal/events.js';
import { show } from '../internal/validate.js';
import { METRICS, type MetricDefinition } from './metrics.js';
import type { MonitorSnapshot, SnapshotSource } from './types.js';

/**
 * The part of a prom-client `Registry` bounded uses. prom-client is an optional peer of
 * @bounded/runtime, loaded only when metrics are registered or served, so its types are not
 * named here; a prom-client `Registry` satisfies this shape.
 */
export interface Registry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

const require = createRequire(import.meta.url);

/** prom-client's module; a clear error when it is not installed. */
function loadPromClient(feature: string): typeof promClient {
  try {
    return require('prom-client') as typeof promClient;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'prom-client'")) {
      throw new Error(`${feature} needs prom-client, an optional peer dependency of @bounded/runtime: npm install prom-client`, { cause: error });
    }
    throw error;
  }
}

/**
 * Registers bounded's metrics (see docs/metrics.md) in a prom-client registry. Their values
 * are read from the monitor when the registry is scraped. Dispose the subscription to remove
 * them from the registry.
 *
 * ```ts
 * const registry = new Registry();
 * registerMetrics(registry, monitor);
 * const server = await createMetricsServer({ registry });
 * ```
 */
export function registerMetrics(registry: Registry, monitor: SnapshotSource): Subscription {
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function') {
    throw new TypeError(`Expected \`registry\` to be a prom-client Registry, got ${show(registry)}`);
  }
  if (typeof monitor !== 'object' || monitor === null || typeof monitor.snapshot !== 'function') {
    throw new TypeError(`Expected \`monitor\` to be a ConcurrencyMonitor, got ${show(monitor)}`);
  }
  const taken = METRICS.filter((metric) => registry.getSingleMetric(metric.name) !== undefined);
  if (taken.length > 0) {
    throw new Error(
      `The registry already has ${taken.map((metric) => metric.name).join(', ')}: register bounded's metrics once per registry`,
    );
  }

  // One snapshot per scrape: prom-client calls every collect() in the same tick, so the figures
  // of one scrape agree with each other.
  let cached: MonitorSnapshot | undefined;
  const read = (): MonitorSnapshot => {
    if (cached === undefined) {
      cached = monitor.snapshot();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  for (const definition of METRICS) createMetric(definition, registry, read);
  let registered = true;
  const dispose = (): void => {
    if (!registered) return;
    registered = false;
    for (const definition of METRICS) registry.removeSingleMetric(definition.name);
  };
  return { dispose, [Symbol.dispose]: dispose };
}

function createMetric(definition: MetricDefinition, registry: Registry, read: () => MonitorSnapshot): void {
  const { Counter, Gauge } = loadPromClient('registerMetrics');
  const config = {
    name: definition.name,
    help: definition.help,
    labelNames: definition.labelNames,
    registers: [registry as unknown as promClient.Registry],
  };
  if (definition.type === 'gauge') {
    const gauge: promClient.Gauge = new Gauge({
      ...config,
      collect() {
        gauge.reset();
        for (const { labels, value } of definition.series(read())) gauge.set(labels, value);
      },
    });
  } else {
    const counter: promClient.Counter = new Counter({
      ...config,
      collect() {
        // The monitor holds the running totals: a scrape reports them as they are.
        counter.reset();
        for (const { labels, value } of definition.series(read())) counter.inc(labels, value);
      },
    });
  }
}

export interface MetricsServerOptions {
  /** Default 9464 (the usual Prometheus exporter port); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1: only this machine can scrape. Use `0.0.0.0` deliberately. */
  host?: string;
  /** Default prom-client's global registry. */
  registry?: Registry;
  /** Default `/metrics`. */
  path?: string;
}

export interface MetricsServer extends AsyncDisposable {
  /** The port it listens on (the one picked, when asked for 0). */
  readonly port: number;
  readonly host: string;
  /** Where to scrape, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops accepting scrapes and closes every connection. */
  close(): Promise<void>;
}

/**
 * Serves the registry's metrics at `GET /metrics` (404 for other paths, 405 for other
 * methods). Resolves once listening.
 */
export async function createMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const { port = 9464, host = '127.0.0.1', path = '/metrics' } = options;
  const registry: Registry = options.registry ?? loadPromClient('createMetricsServer').register;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${show(port)}`);
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`Expected \`host\` to be a non-empty string, got ${show(host)}`);
  }
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`Expected \`path\` to start with "/", got ${show(path)}`);
  }

  const server = createServer((request, response) => {
    void serve(request, response, registry, path);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= closeServer(server);
    return closing;
  };
  return {
    port: address.port,
    host: address.address,
    url: `http://${shown}:${address.port}${path}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function serve(request: IncomingMessage, response: ServerResponse, registry: Registry, path: string): Promise<void> {
  const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (pathname !== path) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    return;
  }
  try {
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections of past scrapes would hold close() open until they time out.
    server.closeIdleConnections();
  });
}
