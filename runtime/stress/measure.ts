import type { LatencyFigures } from './types.js';

/** Latencies (ms) in a growable typed array: a million samples cost 8 MB, no boxing. */
export class LatencyLog {
  #values = new Float64Array(1_024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(ms: number): void {
    if (this.#size === this.#values.length) {
      const next = new Float64Array(this.#values.length * 2);
      next.set(this.#values);
      this.#values = next;
    }
    this.#values[this.#size++] = ms;
  }

  figures(): LatencyFigures {
    if (this.#size === 0) return { p50: null, p95: null, p99: null, max: null, mean: null };
    const sorted = this.#values.slice(0, this.#size).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      p50: round(quantile(sorted, 0.5)),
      p95: round(quantile(sorted, 0.95)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1]!),
      mean: round(sum / sorted.length),
    };
  }
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Sleeps `ms`; an abort ends the sleep early (it resolves, it does not throw). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Connections to 127.0.0.1:`port` that the kernel holds ESTABLISHED on the connecting side
 * (Linux, from /proc/net/tcp): what a client really has open, at this instant, whatever its own
 * stats say and however late the server's event loop learns of a close. Undefined elsewhere.
 */
export function establishedTo(port: number, read: (file: string) => string): number | undefined {
  let table: string;
  try {
    table = read('/proc/net/tcp');
  } catch {
    return undefined;
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st …; 01 is TCP_ESTABLISHED.
    if (fields[2] === remote && fields[3] === '01') count++;
  }
  return count;
}
