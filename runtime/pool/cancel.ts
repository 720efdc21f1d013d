import { connect } from 'node:net';
import type { ClientBase } from './pg-types.js';

/** What pg keeps about a connection that a cancel request needs. */
interface CancelTarget {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly processID?: unknown;
  readonly secretKey?: unknown;
}

const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel what `client` is running now: a PostgreSQL CancelRequest, sent on a
 * connection of its own (the client's connection is busy). Best effort: it never throws, and
 * gives up after `timeoutMs`. A cancel request is not a session, so it never shows up in
 * pg_stat_activity.
 */
export function cancelBackend(client: ClientBase, timeoutMs = 2_000): void {
  const { host, port, processID, secretKey } = client as unknown as CancelTarget;
  if (typeof processID !== 'number' || typeof secretKey !== 'number') return;
  if (typeof host !== 'string' || (typeof port !== 'number' && typeof port !== 'string')) return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  try {
    const socket = host.startsWith('/') ? connect({ path: `${host}/.s.PGSQL.${port}` }) : connect({ host, port: Number(port) });
    socket.unref();
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('connect', () => socket.end(packet));
  } catch {
    // Nothing to do: the connection is destroyed anyway.
  }
}
