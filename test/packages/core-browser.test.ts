/**
 * @bounded/runtime/core and @bounded/policy/core run in browsers: bundled for the browser with
 * esbuild, they must import no `node:*` module, no pg, undici or YAML parser.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function bundleForBrowser(entry: string): Promise<{ errors: string[]; inputs: string[] }> {
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@bounded/source'],
      metafile: true,
      logLevel: 'silent',
    });
    return { errors: [], inputs: Object.keys(result.metafile.inputs) };
  } catch (error) {
    const failure = error as { errors?: { text: string }[] };
    return { errors: (failure.errors ?? [{ text: String(error) }]).map((message) => message.text), inputs: [] };
  }
}

describe('browser-safe entries', () => {
  it.each([
    ['@bounded/runtime/core', 'runtime/core.ts'],
    ['@bounded/policy/core', 'policy/core.ts'],
  ])('%s bundles for the browser with no Node import', async (_name, entry) => {
    const { errors, inputs } = await bundleForBrowser(`${ROOT}${entry}`);
    expect(errors).toEqual([]);
    expect(inputs.filter((input) => /node_modules|^node:/.test(input))).toEqual([]);
    expect(inputs.length).toBeGreaterThan(3);
  });

  it('the check can fail: the full runtime entry does not bundle for the browser', async () => {
    const { errors } = await bundleForBrowser(`${ROOT}runtime/index.ts`);
    expect(errors.some((text) => /node:/.test(text) || /Could not resolve/.test(text))).toBe(true);
  });

  it('the core entry exports what the issue names', async () => {
    const core = await import('../../runtime/core.js');
    for (const name of [
      'Semaphore',
      'mapBounded',
      'mapBoundedSettled',
      'allBounded',
      'forEachBounded',
      'withTimeout',
      'deadline',
      'TokenBucket',
      'SlidingWindow',
      'TimeoutError',
      'isTimeoutError',
      'QueueFullError',
      'isQueueFullError',
    ]) {
      expect(core, name).toHaveProperty(name);
    }
  });
});
