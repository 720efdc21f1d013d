/**
 * pg is an optional peer of @bounded/runtime: only the pool, the PostgreSQL store and the stress
 * harness need it, so it is loaded when one of them is first used, never by `import` of the
 * package. pg is CommonJS, so a synchronous require keeps `createPool()` synchronous.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);
let loaded: typeof pg | undefined;

/** pg's module; throws a clear error naming `feature` when pg is not installed. */
export function loadPg(feature: string): typeof pg {
  if (loaded !== undefined) return loaded;
  try {
    loaded = require('pg') as typeof pg;
    return loaded;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'pg'")) {
      throw new Error(`${feature} needs the PostgreSQL driver pg, an optional peer dependency of @bounded/runtime: npm install pg`, {
        cause: error,
      });
    }
    throw error;
  }
}
