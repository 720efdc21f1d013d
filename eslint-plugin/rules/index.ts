import noSyncIoInAsync from './no-sync-io-in-async.js';

/** Every rule, by id without the `bounded/` prefix. */
export const rules = {
  'no-sync-io-in-async': noSyncIoInAsync,
};
