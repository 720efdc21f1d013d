/**
 * HTTP clients bounded knows: how a request is made with each, where its options go, which
 * options put a deadline on it, and what deadline it has when none is given. `require-timeout`
 * and `no-unthrottled-provider-call` find requests with these entries, `add-timeouts` rewrites
 * them (or says why not), the migrate prefilter looks for their modules, and the policy's
 * `lint.httpClients` adds wrappers of a project's own.
 */
import type { CodemodSupport } from './providers.js';

export type HttpClientId = 'fetch' | 'undici' | 'node-fetch' | 'axios' | 'got' | 'ky' | 'superagent' | 'http';

export interface HttpClientApi {
  readonly id: HttpClientId;
  readonly label: string;
  /** Module specifiers (after `node:` is dropped); empty for the global fetch. */
  readonly modules: readonly string[];
  /** Exports (or methods of the default export and of instances) that send a request → the argument its options are at. */
  readonly methods: Readonly<Record<string, number>>;
  /** The default export (or the module) sends a request when called: `axios(config)`, `got(url)`, `ky(url)`. */
  readonly callable: boolean;
  /** Methods of the module that make an instance with shared defaults: `axios.create`, `got.extend`. */
  readonly instanceFactories: readonly string[];
  /** Options, besides `signal`, that put a deadline on the request. */
  readonly timeoutKeys: readonly string[];
  /** Instance options a relative request URL is resolved against (`prefixUrl` of `ky.create({ prefixUrl })`): where the host is. */
  readonly baseUrlKeys?: readonly string[];
  /** A deadline set by a chained method (`superagent.get(url).timeout(5_000)`). */
  readonly timeoutMethod?: string;
  /** The deadline a request gets when none is set, in ms; undefined when it has none. */
  readonly defaultMs: number | undefined;
  /** What waiting on a stalled server means without a deadline, for messages. */
  readonly withoutDeadline: string;
  readonly timeoutCodemod: CodemodSupport;
}

const REWRITE: CodemodSupport = { kind: 'rewrite' };

export const HTTP_CLIENTS: readonly HttpClientApi[] = [
  {
    id: 'fetch',
    label: 'fetch',
    modules: [],
    methods: {},
    callable: true,
    instanceFactories: [],
    timeoutKeys: [],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
  {
    id: 'undici',
    label: 'undici',
    modules: ['undici'],
    methods: { request: 1, stream: 1, fetch: 1 },
    callable: false,
    instanceFactories: [],
    // request/stream only: per-phase idle timers (300 s by default), not a deadline for the whole call.
    timeoutKeys: ['headersTimeout', 'bodyTimeout'],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
  {
    id: 'node-fetch',
    label: 'node-fetch',
    modules: ['node-fetch'],
    methods: {},
    callable: true,
    instanceFactories: [],
    timeoutKeys: ['timeout'],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
  {
    id: 'axios',
    label: 'axios',
    modules: ['axios'],
    methods: { request: 0, get: 1, delete: 1, head: 1, options: 1, post: 2, put: 2, patch: 2, postForm: 2, putForm: 2, patchForm: 2 },
    callable: true,
    instanceFactories: ['create'],
    timeoutKeys: ['timeout'],
    baseUrlKeys: ['baseURL'],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
  {
    id: 'got',
    label: 'got',
    modules: ['got'],
    methods: { get: 1, post: 1, put: 1, patch: 1, delete: 1, head: 1, stream: 1 },
    callable: true,
    instanceFactories: ['extend'],
    timeoutKeys: ['timeout'],
    baseUrlKeys: ['prefixUrl'],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
  {
    id: 'ky',
    label: 'ky',
    modules: ['ky'],
    methods: { get: 1, post: 1, put: 1, patch: 1, delete: 1, head: 1 },
    callable: true,
    instanceFactories: ['create', 'extend'],
    timeoutKeys: ['timeout'],
    baseUrlKeys: ['prefixUrl'],
    // ky: "timeout … Default: 10000"; `timeout: false` turns it off.
    defaultMs: 10_000,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: { kind: 'skip', reason: 'ky already times out after 10 s by default' },
  },
  {
    id: 'superagent',
    label: 'superagent',
    modules: ['superagent'],
    methods: { get: -1, post: -1, put: -1, patch: -1, delete: -1, del: -1, head: -1 },
    callable: false,
    instanceFactories: ['agent'],
    timeoutKeys: [],
    timeoutMethod: 'timeout',
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: { kind: 'skip', reason: 'superagent takes its deadline as a chained `.timeout(ms)`; add it by hand' },
  },
  {
    id: 'http',
    label: 'node:http',
    modules: ['http', 'https'],
    methods: { request: 1, get: 1 },
    callable: false,
    instanceFactories: [],
    // `timeout` only emits 'timeout': it counts as the caller's decision, as before.
    timeoutKeys: ['timeout'],
    defaultMs: undefined,
    withoutDeadline: 'a stalled server hangs it forever',
    timeoutCodemod: REWRITE,
  },
];

/** The HTTP client a module is, if any. */
export function httpClientOf(specifier: string): HttpClientApi | undefined {
  return HTTP_CLIENTS.find((client) => client.modules.includes(specifier));
}

/** Objects the global fetch is also reached through: `globalThis.fetch`. */
export const GLOBAL_OBJECTS: readonly string[] = ['globalThis', 'window', 'self'];
