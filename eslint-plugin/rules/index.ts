import noHandmadeTimeout from './no-handmade-timeout.js';
import noPerCallConnection from './no-per-call-connection.js';
import noSyncIoInAsync from './no-sync-io-in-async.js';
import noUnboundedConcurrency from './no-unbounded-concurrency.js';
import noUnmanagedBackgroundWork from './no-unmanaged-background-work.js';
import noUnthrottledProviderCall from './no-unthrottled-provider-call.js';
import requireRelease from './require-release.js';
import requireTimeout from './require-timeout.js';

/** Every rule, by id without the `bounded/` prefix. */
export const rules = {
  'no-handmade-timeout': noHandmadeTimeout,
  'no-per-call-connection': noPerCallConnection,
  'no-sync-io-in-async': noSyncIoInAsync,
  'no-unbounded-concurrency': noUnboundedConcurrency,
  'no-unmanaged-background-work': noUnmanagedBackgroundWork,
  'no-unthrottled-provider-call': noUnthrottledProviderCall,
  'require-release': requireRelease,
  'require-timeout': requireTimeout,
};
