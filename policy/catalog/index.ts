/**
 * The catalog: every API bounded knows, in one place. The rules find hazards with it, the
 * codemods rewrite with it, the migrate prefilter filters with it, and the policy's `lint`
 * section extends it (`lint.providers`, `lint.limiters`, `lint.httpClients`, `lint.connections`).
 * A rule, transform or prefilter never keeps a private list.
 */
export * from './http-clients.js';
export * from './limiters.js';
export * from './providers.js';
export * from './saas.js';
export * from './blocking.js';
export * from './connections.js';
export * from './contexts.js';
export * from './background.js';
