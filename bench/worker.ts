/**
 * Child entry: runs one measurement of one suite and reports it to the runner over IPC.
 * `node dist/bench/worker.js '{"suite":"runtime","name":"p-limit","scenario":"c=10","quick":true}'`
 * also works by hand; without IPC the reply goes to standard output.
 */
import type { ChildReply, ChildRequest } from './child.js';
import { measurementId, type RunContext } from './suite.js';
import { loadSuite } from './suites/index.js';

async function main(): Promise<ChildReply> {
  const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  const suite = await loadSuite(request.suite);
  const measurement = suite.measurements({ quick: request.quick }).find((m) => m.name === request.name && m.scenario === request.scenario);
  if (measurement === undefined) {
    throw new Error(`Suite '${request.suite}' has no measurement ${measurementId(request)}`);
  }

  const context: RunContext = {
    quick: request.quick,
    gc() {
      if (typeof globalThis.gc !== 'function') {
        throw new Error(`${measurementId(measurement)} needs the child to run with --expose-gc`);
      }
      globalThis.gc();
    },
  };
  const result = await measurement.run(context);
  const sample = typeof result === 'number' ? { value: result } : result;
  const peakRss = process.resourceUsage().maxRSS / 1024; // kilobytes → MB
  return { ok: true, value: sample.value, extra: { ...sample.extra, peakRss } };
}

function send(reply: ChildReply, exitCode: number): void {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    process.exit(exitCode);
  }
  // Exit once the reply is flushed, even if the measurement left timers or sockets behind.
  process.send(reply, () => process.exit(exitCode));
}

main().then(
  (reply) => send(reply, 0),
  (error: unknown) => {
    // The stack goes to the runner as output (shown on failure); the reply keeps the message.
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    send({ ok: false, error: error instanceof Error ? error.message : String(error) }, 1);
  },
);
