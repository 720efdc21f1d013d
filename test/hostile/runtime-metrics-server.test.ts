/**
 * Hostile probes of the metrics server (issue 21, item 1): one request with a target the URL
 * parser refuses (`GET //[`, as `curl -g --path-as-is 'http://127.0.0.1:9464//['` sends it)
 * used to reject the handler's promise, which nothing caught, and end the process. Every
 * request here goes over a raw socket so the target reaches the server exactly as written.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsServer, type MetricsServer } from '../../runtime/index.js';
import { TS_CHILD_ARGV } from '../runtime/stress/helpers.js';

/** Sends `head` as a raw HTTP/1.1 request and resolves with the status line ('' if the server closed without one). */
function raw(port: number, target: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${method} ${target} within 3 s (received ${JSON.stringify(received)})`));
    }, 3_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end !== -1) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.split('\r\n')[0] ?? '');
    });
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

describe('hostile: the metrics server never lets a request escape as an error', () => {
  let server: MetricsServer;
  let registry: Registry;
  let logged: string[];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeEach(async () => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    registry = new Registry();
    new Counter({ name: 'probe_total', help: 'A probe.', registers: [registry] }).inc();
    logged = [];
    server = await createMetricsServer({ port: 0, registry, logger: { error: (message) => logged.push(message) } });
  });

  afterEach(async () => {
    await server.close();
    process.off('unhandledRejection', onUnhandled);
  });

  it('answers GET //[ with 404 and unparseable targets with 400, logs once, and keeps serving', async () => {
    expect(await raw(server.port, '//[')).toBe('HTTP/1.1 404 Not Found');
    // `//[` is a path the server does not serve: 404, and no URL parser ever sees it.
    for (const target of ['http://[', 'http://[::1', '*', 'nonsense', 'http://%zz/']) {
      expect(await raw(server.port, target), target).toBe('HTTP/1.1 400 Bad Request');
    }
    expect(await raw(server.port, '/metrics')).toBe('HTTP/1.1 200 OK');
    expect(await raw(server.port, 'http://127.0.0.1/metrics?x=[')).toBe('HTTP/1.1 200 OK');
    expect(await raw(server.port, '/metrics?name[]=[')).toBe('HTTP/1.1 200 OK');
    expect(logged).toEqual([expect.stringMatching(/answered 400 to a request target/)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('answers 500 when collecting throws, logs the failure once, and serves again once it recovers', async () => {
    let broken = true;
    new Counter({
      name: 'probe_broken_total',
      help: 'A collector that throws.',
      registers: [registry],
      collect() {
        if (broken) throw new Error('collector exploded');
      },
    });
    for (let i = 0; i < 3; i++) expect(await raw(server.port, '/metrics')).toBe('HTTP/1.1 500 Internal Server Error');
    expect(logged).toEqual(['bounded: metrics server answered 500: collecting metrics failed: collector exploded']);
    broken = false;
    expect(await raw(server.port, '/metrics')).toBe('HTTP/1.1 200 OK');
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('survives a logger that throws', async () => {
    await server.close();
    server = await createMetricsServer({
      port: 0,
      registry,
      logger: {
        error: () => {
          throw new Error('logger down');
        },
      },
    });
    expect(await raw(server.port, 'http://[')).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(server.port, '/metrics')).toBe('HTTP/1.1 200 OK');
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('refuses a logger without an error method', async () => {
    await expect(createMetricsServer({ port: 0, registry, logger: {} as never })).rejects.toThrow(/`logger`/);
  });
});

describe('hostile: a service running the metrics server', () => {
  it('stays up after GET //[ and GET http://[ (the curl -g --path-as-is reproduction)', async () => {
    const prometheus = fileURLToPath(new URL('../../runtime/monitor/prometheus.ts', import.meta.url));
    const script = `
      const { createMetricsServer } = await import(${JSON.stringify(prometheus)});
      const server = await createMetricsServer({ port: 0 });
      console.log('port ' + server.port);
      process.stdin.on('end', () => server.close());
      process.stdin.resume();
    `;
    const child = spawn(process.execPath, [...TS_CHILD_ARGV, '--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /port (\d+)/.exec(out);
          if (match !== null) resolve(Number(match[1]));
        });
        child.on('exit', () => reject(new Error(`the child exited before listening: ${stderr}`)));
      });
      expect(await raw(port, '//[')).toBe('HTTP/1.1 404 Not Found');
      expect(await raw(port, 'http://[')).toBe('HTTP/1.1 400 Bad Request');
      // Give an unhandled rejection the turn it needs to end the process, then ask again.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(child.exitCode, stderr).toBeNull();
      expect(await raw(port, '/metrics')).toBe('HTTP/1.1 200 OK');
      expect(stderr).not.toMatch(/Invalid URL|unhandled/i);
    } finally {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });
});
