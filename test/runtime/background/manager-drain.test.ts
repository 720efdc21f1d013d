import { describe, expect, it } from 'vitest';
import { ConcurrencyManager, background, defaultBackgroundRunner } from '../../../runtime/index.js';
import { defaultPolicy } from '../../../policy/index.js';
import { deferred, flush, track } from '../helpers.js';

describe('ConcurrencyManager.close() and background()', () => {
  it('waits for the background tasks in progress before it closes the resources they use', async () => {
    const manager = ConcurrencyManager.fromPolicy(defaultPolicy(), { logger: { info() {}, warn() {}, error() {} } });
    const gate = deferred();
    let aborted = false;
    background((signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return gate.promise;
    });
    const runner = defaultBackgroundRunner();
    const closing = track(manager.close({ drainMs: 60_000 }));
    await flush();
    expect(closing.current().state).toBe('pending');
    expect(runner.closed).toBe(true);
    gate.resolve();
    await flush();
    expect(closing.current().state).toBe('fulfilled');
    expect(aborted).toBe(false);
    expect(runner.succeeded).toBe(1);
  });
});
