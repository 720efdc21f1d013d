/** bounded's codemods: jscodeshift transforms that rewrite flagged code onto the runtime. */
import type { Transform } from 'jscodeshift';
import addTimeouts from './transforms/add-timeouts.js';
import boundPromiseAll from './transforms/bound-promise-all.js';
import modernizeTimeouts from './transforms/modernize-timeouts.js';
import poolConnections from './transforms/pool-connections.js';
import releaseClients from './transforms/release-clients.js';
import throttleProviderCalls from './transforms/throttle-provider-calls.js';
import trackBackgroundWork from './transforms/track-background-work.js';

export type { TransformOptions } from './utils/policy.js';

/** Every transform by its kebab-case name, as `bounded migrate --transform` spells it. */
export const transforms = {
  'add-timeouts': addTimeouts,
  'bound-promise-all': boundPromiseAll,
  'pool-connections': poolConnections,
  'release-clients': releaseClients,
  'throttle-provider-calls': throttleProviderCalls,
  'modernize-timeouts': modernizeTimeouts,
  'track-background-work': trackBackgroundWork,
} as const satisfies Record<string, Transform>;

export type TransformName = keyof typeof transforms;

export { parseForTextEdits, withParseSession } from './utils/text-edits.js';
export type { VerifyDiagnostic, VerifyResult } from './verify.js';
