import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type promClient from 'prom-client';
import type { Subscription } from '../internal/events.js';
import { show } from '../internal/validate.js';
import { METRICS, type MetricDefinition } from './metrics.js';
import type { MonitorLogger, MonitorSnapshot, SnapshotSource } from './types.js';

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
      throw new Error(`${feature} needs prom-client, an optional peer dependency of @bounded/runtime: npm install prom-client`, {
        cause: error,
      });
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
  /**
   * Where a request the server could not answer normally is reported (`error`), once per
   * distinct failure: a malformed request target (answered 400) or a scrape that failed
   * (answered 500). Default `console`.
   */
  logger?: Pick<MonitorLogger, 'error'>;
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
 * methods, 400 for a request target that is not a path). Resolves once listening.
 *
 * No request can take the process down: whatever goes wrong while answering one (a malformed
 * target, a collector that throws, a connection gone mid-answer) ends that request with a 400
 * or 500, or closes its connection when the answer had begun, and is logged once; the server
 * keeps serving.
 */
export async function createMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const { port = 9464, host = '127.0.0.1', path = '/metrics', logger = console } = options;
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
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function') {
    throw new TypeError(`Expected \`logger\` to have an error method, got ${show(logger)}`);
  }

  const report = onceEach(logger);
  const server = createServer((request, response) => {
    serve(request, response, registry, path, report).catch((error: unknown) => {
      fail(response, error, report);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, a server error (say, accept() out of file descriptors) is reported, never
  // thrown: an 'error' event without a listener would end the process.
  server.on('error', (error) => report(`bounded: metrics server error: ${error.message}`));
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

/** Longest distinct failure messages remembered for "logged once" (then it starts over). */
const REPORTED_LIMIT = 100;

/** Logs each distinct message once, so a client repeating a bad request cannot flood the log. */
function onceEach(logger: Pick<MonitorLogger, 'error'>): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    if (seen.size >= REPORTED_LIMIT) seen.clear();
    seen.add(message);
    try {
      logger.error(message);
    } catch {
      // A logger that throws must not turn a handled request into an unhandled error.
    }
  };
}

/** The path of a request target, without its query; undefined when it is not one. */
function pathOf(target: string): string | undefined {
  if (target.startsWith('/')) {
    // origin-form, compared as sent: no URL parser runs on what the client wrote.
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  // absolute-form (`GET http://host/metrics`), which HTTP/1.1 servers must accept.
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    return new URL(target).pathname;
  } catch {
    return undefined;
  }
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  registry: Registry,
  path: string,
  report: (message: string) => void,
): Promise<void> {
  const pathname = pathOf(request.url ?? '');
  if (pathname === undefined) {
    // The target is not echoed: the log line is the same for every such request, so it is written once.
    report('bounded: metrics server answered 400 to a request target that is neither a path nor an http(s) URL');
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Bad request target\n');
    return;
  }
  if (pathname !== path) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    return;
  }
  const body = await registry.metrics();
  response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/**
 * Ends a request that failed: a `status` answer when nothing was sent yet, else the connection
 * is closed (a half-sent answer cannot be taken back). Logged once per distinct failure.
 */
function fail(response: ServerResponse, error: unknown, report: (message: string) => void): void {
  const reason = error instanceof Error ? error.message : String(error);
  if (response.headersSent) {
    report(`bounded: metrics server closed a connection mid-answer: ${reason}`);
    response.destroy();
    return;
  }
  report(`bounded: metrics server answered 500: collecting metrics failed: ${reason}`);
  try {
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Collecting metrics failed: ${reason}\n`);
  } catch {
    response.destroy();
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections of past scrapes would hold close() open until they time out.
    server.closeIdleConnections();
  });
}
