/**
 * Model providers bounded knows: the SDKs a service calls directly and the frameworks it calls
 * them through (LangChain JS, LlamaIndex TS, the Vercel AI SDK), with their concurrency and
 * deadline knobs. The rules find provider calls with these entries, the codemods rewrite (or
 * say why they skip) the same calls, the migrate prefilter looks for their modules, and the
 * policy's `lint.providers` adds entries of its own.
 *
 * Pure data: nothing here imports a parser or runs a provider's code.
 */
import { SAAS_APIS } from './saas.js';

/** What a transform does with an entry's calls. */
export type CodemodSupport =
  /** `throttle-provider-calls` wraps the client with throttleClient; `add-timeouts` adds `timeout` where the client is built. */
  | { readonly kind: 'rewrite' }
  /** Left alone, reported with this reason (completes "throttle-provider-calls skipped: `x`: …"). */
  | { readonly kind: 'skip'; readonly reason: string };

/** Where a provider call's deadline is set, and what it is without one. */
export interface ProviderDeadline {
  /** Client (constructor) options that put a deadline on every call: `timeout` of `new OpenAI({ timeout })`. */
  readonly client: readonly string[];
  /** Per-call option keys that put a deadline on one call: `timeout`, `signal`, `abortSignal`. */
  readonly call: readonly string[];
  /**
   * Where a call's own options are: `'request-options'` for the Stainless SDKs (the argument
   * after the body: `create(body, { timeout })`), a number for a fixed argument.
   */
  readonly callOptions: 'request-options' | number;
  /** The deadline the SDK applies when none is set, in ms; undefined when it has none. */
  readonly defaultMs: number | undefined;
  /**
   * Classes that ride on another SDK and inherit its default deadline, by exported name:
   * LangChain's `ChatOpenAI` is built on `openai`, so its calls have the OpenAI SDK's 10 minutes.
   */
  readonly classDefaults?: Readonly<Record<string, { readonly provider: string; readonly ms: number }>>;
  /** A key of the call's options under which the `call` keys are read too: Google GenAI's `generateContent({ config: { abortSignal } })`. */
  readonly nestedIn?: string;
}

/** A knob that bounds how many requests one library call starts at once (`batch(xs, { maxConcurrency })`). */
export interface ConcurrencyKnob {
  /** The option's name. */
  readonly option: string;
  /** The argument the options are at. */
  readonly optionsIndex: number;
  /** What the library does without it, for messages. */
  readonly defaultText: string;
  /** Where the inputs it fans out over are: an argument, or a property of the options at that argument (`values` of `embedMany({ values })`). */
  readonly inputs?: { readonly argument: number; readonly property?: string };
}

/** A client option that turns an SDK's own throttling off, and the values that do. */
export interface ThrottleSwitch {
  /** Dotted path in the client options: `rejectRateLimitedCalls`, `rest.rejectOnRateLimit`, `throttle.enabled`. */
  readonly option: string;
  /** `set`: any value but null/undefined; `true`/`false`: that literal; `zero`: 0; `infinite`: Infinity. */
  readonly when: 'set' | 'true' | 'false' | 'zero' | 'infinite';
}

/**
 * What code set a switch's option to, read off either syntax tree (ESLint's or Babel's): a
 * literal's value, or the name it wrote (`undefined`, `Infinity`, `Number.POSITIVE_INFINITY`),
 * or neither (anything else).
 */
export type WrittenValue = { readonly literal: unknown } | { readonly name: string } | { readonly other: true };

/** True when `value`, set at a switch's option, turns the SDK's own throttling off (its `when`). */
export function turnsThrottleOff(when: ThrottleSwitch['when'], value: WrittenValue): boolean {
  const literal = 'literal' in value ? value.literal : undefined;
  const name = 'name' in value ? value.name : undefined;
  switch (when) {
    case 'set':
      return !('literal' in value && value.literal === null) && name !== 'undefined';
    case 'true':
      return literal === true;
    case 'false':
      return literal === false;
    case 'zero':
      return literal === 0;
    case 'infinite':
      return name === 'Infinity' || name === 'Number.POSITIVE_INFINITY';
  }
}

/**
 * How an SDK holds its own requests to the API's limits (issue 20): a queue per rate-limit
 * bucket, a concurrency cap that waits out 429s, a rate limiter. A call through such a client
 * is no hazard unless the code turns it off. A retry on 429 alone is no throttle.
 */
export interface SelfThrottle {
  /** What the SDK does, for docs and messages. */
  readonly how: string;
  /** The argument of the constructor or factory the options are at. */
  readonly optionsIndex: number;
  /** Options that turn it off. */
  readonly disabledBy: readonly ThrottleSwitch[];
  /**
   * When only a plugin throttles: modules whose exports, applied to the client class or
   * instance (`Octokit.plugin(throttling)`, `getOctokit(token, {}, throttling)`,
   * `bot.api.config.use(apiThrottler())`), turn it on. Without one, the client does not throttle.
   */
  readonly plugins?: readonly string[];
}

export interface ProviderApi {
  /** Stable id: `openai`, `langchain`. */
  readonly id: string;
  /** How messages name it: `OpenAI`, `LangChain`. */
  readonly label: string;
  readonly kind: 'sdk' | 'framework';
  /** Module specifiers (after `node:` is dropped); a RegExp matches a family (`@langchain/…`). */
  readonly modules: readonly (string | RegExp)[];
  /** Exports that make a client with `new` ('default' / '*' for the module itself); a RegExp matches by name. */
  readonly classes: readonly (string | RegExp)[];
  /** Exports that make a client when called: `initChatModel()`. */
  readonly factories?: readonly (string | RegExp)[];
  /** Exports that are a ready client: the default export of 'ollama'. */
  readonly instances?: readonly string[];
  /**
   * The names code gives a client it receives (`openai` of `function f(req, openai)`), read only
   * without type information, for a parameter or field whose construction is not in view, and
   * only with a request path of this SDK below it (`openai.files.del(…)`).
   */
  readonly receivedNames?: RegExp;
  /**
   * First segments of method paths that send a request (`chat` of `client.chat.completions.create`);
   * a call needs at least `minPath` segments below the client.
   */
  readonly resources?: readonly string[];
  readonly minPath?: number;
  /** Method paths that send a request, when the SDK has no resource tree (`cohere.chat`, `model.invoke`). */
  readonly methods?: readonly string[];
  /** Methods that return a value which still calls the provider: `pipe`, `withStructuredOutput`, `getGenerativeModel`. */
  readonly derive?: readonly string[];
  /** Module functions that call a provider (`generateText`), each with where its options are. */
  readonly functions?: readonly string[];
  /** Commands a generic `client.send(new Command(…))` sends (Bedrock Runtime). */
  readonly commands?: readonly string[];
  /** Method calls that start many requests at once, and the knob that bounds them. */
  readonly fanOuts?: Readonly<Record<string, ConcurrencyKnob>>;
  /** A client option that bounds the client's own concurrency (LangChain's AsyncCaller `maxConcurrency`). */
  readonly clientConcurrency?: string;
  /** Exports that are namespaces of client classes: `messagingApi` of `new messagingApi.MessagingApiClient(…)`. */
  readonly namespaces?: readonly string[];
  /** Whether the SDK throttles itself, and with which knob; absent when it does not. */
  readonly selfThrottle?: SelfThrottle;
  /** The API's published rate limit, for messages ("an average of 3 requests/s per integration"); "no published limit" where none. */
  readonly publishedLimit?: string;
  /** Client options that carry the API key, for the per-tenant advice. */
  readonly keyOptions: readonly string[];
  /** The `rateLimits` entry that should admit its calls, when the policy has a preset for it. */
  readonly limiter: string | undefined;
  readonly deadline: ProviderDeadline | undefined;
  /** Type declarations live here (`/node_modules/openai/`), for the type checker. */
  readonly declarationDirs: readonly string[];
  readonly throttleCodemod: CodemodSupport;
  readonly timeoutCodemod: CodemodSupport;
}

const STAINLESS_DEFAULT_MS = 600_000;

/**
 * Keys only the Stainless SDKs' request options have (not request bodies): how a call's
 * options argument is told from its body without type information.
 */
export const REQUEST_OPTION_KEYS: readonly string[] = [
  'timeout',
  'signal',
  'headers',
  'maxRetries',
  'query',
  'idempotencyKey',
  'fetchOptions',
];

const wrapByHand = (what: string): CodemodSupport => ({
  kind: 'skip',
  reason: `${what} clients are not wrapped automatically; send their calls through one shared limiter (providerLimiter(…).schedule(() => …))`,
});

/** OpenAI-compatible request resources (`client.<resource>.…`); `webhooks` verifies locally and is left out. */
const OPENAI_RESOURCES = [
  'completions',
  'chat',
  'embeddings',
  'files',
  'images',
  'audio',
  'moderations',
  'models',
  'fineTuning',
  'graders',
  'vectorStores',
  'beta',
  'batches',
  'uploads',
  'admin',
  'responses',
  'realtime',
  'conversations',
  'evals',
  'containers',
  'skills',
  'videos',
];

export const PROVIDER_SDKS: readonly ProviderApi[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    kind: 'sdk',
    receivedNames: /^(?:openai|openAi|openAI)(?:Client|Api)?$/,
    modules: ['openai'],
    classes: ['default', '*', 'OpenAI', 'AzureOpenAI'],
    resources: OPENAI_RESOURCES,
    minPath: 2,
    keyOptions: ['apiKey'],
    limiter: 'openai',
    deadline: { client: ['timeout'], call: ['timeout', 'signal'], callOptions: 'request-options', defaultMs: STAINLESS_DEFAULT_MS },
    declarationDirs: ['/node_modules/openai/'],
    throttleCodemod: { kind: 'rewrite' },
    timeoutCodemod: { kind: 'rewrite' },
  },
  {
    id: 'anthropic',
    label: 'Anthropic',
    kind: 'sdk',
    receivedNames: /^(?:anthropic|claude)(?:Client)?$/,
    modules: ['@anthropic-ai/sdk'],
    classes: ['default', '*', 'Anthropic', 'BaseAnthropic'],
    resources: ['completions', 'messages', 'models', 'files', 'skills', 'userProfiles', 'organization', 'beta'],
    minPath: 2,
    keyOptions: ['apiKey', 'authToken'],
    limiter: 'anthropic',
    deadline: { client: ['timeout'], call: ['timeout', 'signal'], callOptions: 'request-options', defaultMs: STAINLESS_DEFAULT_MS },
    declarationDirs: ['/node_modules/@anthropic-ai/sdk/'],
    throttleCodemod: { kind: 'rewrite' },
    timeoutCodemod: { kind: 'rewrite' },
  },
  {
    id: 'groq',
    label: 'Groq',
    kind: 'sdk',
    receivedNames: /^groq(?:Client)?$/,
    modules: ['groq-sdk'],
    classes: ['default', '*', 'Groq'],
    resources: ['chat', 'embeddings', 'audio', 'models', 'batches', 'files'],
    minPath: 2,
    keyOptions: ['apiKey'],
    limiter: undefined,
    // groq-sdk: "Requests time out after 1 minute by default."
    deadline: { client: ['timeout'], call: ['timeout', 'signal'], callOptions: 'request-options', defaultMs: 60_000 },
    declarationDirs: ['/node_modules/groq-sdk/'],
    throttleCodemod: wrapByHand('Groq'),
    timeoutCodemod: { kind: 'skip', reason: 'Groq clients already time out after 1 minute by default' },
  },
  {
    id: 'google-genai',
    label: 'Google GenAI',
    kind: 'sdk',
    modules: ['@google/genai', '@google/generative-ai', '@google-cloud/vertexai'],
    classes: ['GoogleGenAI', 'GoogleGenerativeAI', 'VertexAI'],
    resources: ['models', 'files', 'caches', 'batches', 'tunings'],
    minPath: 2,
    methods: [
      'generateContent',
      'generateContentStream',
      'embedContent',
      'batchEmbedContents',
      'countTokens',
      'sendMessage',
      'sendMessageStream',
    ],
    derive: ['getGenerativeModel', 'startChat'],
    keyOptions: ['apiKey'],
    limiter: undefined,
    deadline: {
      client: ['httpOptions'],
      call: ['abortSignal', 'signal', 'timeout'],
      callOptions: 0,
      defaultMs: undefined,
      nestedIn: 'config',
    },
    declarationDirs: ['/node_modules/@google/genai/', '/node_modules/@google/generative-ai/', '/node_modules/@google-cloud/vertexai/'],
    throttleCodemod: wrapByHand('Google GenAI'),
    timeoutCodemod: {
      kind: 'skip',
      reason: 'Google GenAI takes its deadline in `config: { abortSignal }` or `httpOptions.timeout`; add it by hand',
    },
  },
  {
    id: 'mistral',
    label: 'Mistral',
    kind: 'sdk',
    receivedNames: /^mistral(?:Client)?$/,
    modules: ['@mistralai/mistralai'],
    classes: ['Mistral', 'MistralClient', 'default'],
    resources: ['chat', 'embeddings', 'fim', 'agents', 'classifiers', 'ocr', 'files', 'models', 'batch', 'fineTuning'],
    minPath: 2,
    keyOptions: ['apiKey'],
    limiter: undefined,
    deadline: { client: ['timeoutMs'], call: ['timeoutMs', 'signal', 'fetchOptions'], callOptions: 1, defaultMs: undefined },
    declarationDirs: ['/node_modules/@mistralai/mistralai/'],
    throttleCodemod: wrapByHand('Mistral'),
    timeoutCodemod: { kind: 'skip', reason: 'Mistral takes `timeoutMs`, not `timeout`; add it by hand' },
  },
  {
    id: 'cohere',
    label: 'Cohere',
    kind: 'sdk',
    receivedNames: /^cohere(?:Client)?$/,
    modules: ['cohere-ai'],
    classes: ['CohereClient', 'CohereClientV2'],
    methods: ['chat', 'chatStream', 'embed', 'rerank', 'generate', 'generateStream', 'classify', 'summarize'],
    keyOptions: ['token'],
    limiter: undefined,
    // Fern-generated clients: 60 s per request unless timeoutInSeconds says otherwise.
    deadline: { client: ['timeoutInSeconds'], call: ['timeoutInSeconds', 'abortSignal'], callOptions: 1, defaultMs: 60_000 },
    declarationDirs: ['/node_modules/cohere-ai/'],
    throttleCodemod: wrapByHand('Cohere'),
    timeoutCodemod: { kind: 'skip', reason: 'Cohere clients already time out after 60 s by default' },
  },
  {
    id: 'bedrock',
    label: 'Amazon Bedrock',
    kind: 'sdk',
    modules: ['@aws-sdk/client-bedrock-runtime'],
    classes: ['BedrockRuntimeClient', 'BedrockRuntime'],
    methods: ['converse', 'converseStream', 'invokeModel', 'invokeModelWithResponseStream'],
    commands: [
      'InvokeModelCommand',
      'InvokeModelWithResponseStreamCommand',
      'ConverseCommand',
      'ConverseStreamCommand',
      'ApplyGuardrailCommand',
    ],
    keyOptions: ['credentials'],
    limiter: undefined,
    deadline: { client: ['requestHandler'], call: ['abortSignal'], callOptions: 1, defaultMs: undefined },
    declarationDirs: ['/node_modules/@aws-sdk/client-bedrock-runtime/'],
    throttleCodemod: wrapByHand('Bedrock Runtime'),
    timeoutCodemod: {
      kind: 'skip',
      reason: 'Bedrock Runtime takes its deadline as `send(command, { abortSignal })` or a requestHandler; add it by hand',
    },
  },
  {
    id: 'ollama',
    label: 'Ollama',
    kind: 'sdk',
    modules: ['ollama', 'ollama/browser'],
    classes: ['Ollama'],
    // The default export is a ready client: `import ollama from 'ollama'; ollama.chat(…)`.
    instances: ['default'],
    methods: ['chat', 'generate', 'embed', 'embeddings', 'pull', 'push', 'create'],
    keyOptions: ['headers'],
    limiter: undefined,
    deadline: undefined,
    declarationDirs: ['/node_modules/ollama/'],
    throttleCodemod: wrapByHand('Ollama'),
    timeoutCodemod: { kind: 'skip', reason: 'Ollama has no timeout option; run the call under withTimeout(…) by hand' },
  },
];

/** LangChain model classes: chat models, LLMs and embeddings of its integration packages. */
const LANGCHAIN_CLASSES =
  /^(?:Chat[A-Z]\w*|[A-Z]\w*Embeddings|OpenAI|AzureOpenAI|Cohere|Ollama|Bedrock|GoogleVertexAI|Fireworks|TogetherAI|Replicate|HuggingFaceInference)$/;

export const PROVIDER_FRAMEWORKS: readonly ProviderApi[] = [
  {
    id: 'langchain',
    label: 'LangChain',
    kind: 'framework',
    modules: [/^@langchain\/(?!core(?:\/|$))[\w-]+(?:\/.*)?$/, /^langchain\/(?:chat_models|llms|embeddings)\//, /^@langchain\/community\//],
    classes: [LANGCHAIN_CLASSES],
    factories: ['initChatModel'],
    methods: ['invoke', 'stream', 'batch', 'call', 'predict', 'generate', 'streamEvents', 'embedQuery', 'embedDocuments'],
    derive: ['pipe', 'withStructuredOutput', 'bindTools', 'bind', 'withRetry', 'withConfig', 'withFallbacks', 'withListeners'],
    // `batch(inputs, { maxConcurrency })`: AsyncCaller's maxConcurrency is Infinity unless set.
    fanOuts: {
      batch: {
        option: 'maxConcurrency',
        optionsIndex: 1,
        defaultText: 'starts every input at once (maxConcurrency defaults to Infinity)',
        inputs: { argument: 0 },
      },
      // Embeddings take no call options: only the model's own maxConcurrency bounds the batches it sends at once.
      embedDocuments: {
        option: 'maxConcurrency',
        optionsIndex: 1,
        defaultText: "sends every batch of texts at once (the model's maxConcurrency defaults to Infinity)",
        inputs: { argument: 0 },
      },
    },
    clientConcurrency: 'maxConcurrency',
    keyOptions: ['apiKey', 'openAIApiKey', 'anthropicApiKey'],
    limiter: undefined,
    deadline: {
      client: ['timeout'],
      call: ['timeout', 'signal'],
      callOptions: 1,
      defaultMs: undefined,
      // The models built on the Stainless SDKs keep those SDKs' default request timeout.
      classDefaults: {
        ChatOpenAI: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        OpenAI: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        OpenAIEmbeddings: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        AzureChatOpenAI: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        AzureOpenAI: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        AzureOpenAIEmbeddings: { provider: 'OpenAI', ms: STAINLESS_DEFAULT_MS },
        ChatAnthropic: { provider: 'Anthropic', ms: STAINLESS_DEFAULT_MS },
      },
    },
    declarationDirs: ['/node_modules/@langchain/'],
    throttleCodemod: {
      kind: 'skip',
      reason:
        'LangChain models are not wrapped automatically; give the model a finite `maxConcurrency` or send its calls through one shared limiter',
    },
    timeoutCodemod: { kind: 'skip', reason: 'LangChain models take `timeout` in their own options; add it by hand' },
  },
  {
    id: 'llamaindex',
    label: 'LlamaIndex',
    kind: 'framework',
    modules: ['llamaindex', /^@llamaindex\//],
    classes: [/^(?:OpenAI|Anthropic|Gemini|Ollama|Groq|MistralAI|Bedrock|[A-Z]\w*Embedding)$/],
    methods: ['complete', 'chat', 'getTextEmbedding', 'getTextEmbeddings', 'getQueryEmbedding', 'getTextEmbeddingsBatch'],
    keyOptions: ['apiKey'],
    limiter: undefined,
    deadline: { client: ['timeout'], call: ['signal'], callOptions: 0, defaultMs: undefined },
    declarationDirs: ['/node_modules/llamaindex/', '/node_modules/@llamaindex/'],
    throttleCodemod: {
      kind: 'skip',
      reason: 'LlamaIndex models are not wrapped automatically; send their calls through one shared limiter',
    },
    timeoutCodemod: { kind: 'skip', reason: 'LlamaIndex models take `timeout` in their own options; add it by hand' },
  },
  {
    id: 'ai-sdk',
    label: 'the AI SDK',
    kind: 'framework',
    modules: ['ai'],
    classes: [],
    functions: ['generateText', 'streamText', 'generateObject', 'streamObject', 'embed', 'embedMany'],
    // The model interface a provider implements; called directly by code that skips the helpers.
    methods: ['doGenerate', 'doStream', 'doEmbed'],
    fanOuts: {
      embedMany: {
        option: 'maxParallelCalls',
        optionsIndex: 0,
        defaultText: 'sends every chunk of values at once (maxParallelCalls defaults to Infinity)',
        inputs: { argument: 0, property: 'values' },
      },
    },
    keyOptions: ['apiKey'],
    limiter: undefined,
    deadline: { client: [], call: ['abortSignal'], callOptions: 0, defaultMs: undefined },
    declarationDirs: ['/node_modules/ai/'],
    throttleCodemod: { kind: 'skip', reason: 'AI SDK calls are not wrapped automatically; send them through one shared limiter' },
    timeoutCodemod: { kind: 'skip', reason: 'AI SDK calls take `abortSignal: AbortSignal.timeout(ms)`; add it by hand' },
  },
];

/**
 * AI SDK provider packages: their default export or named factory (`openai('gpt-4o')`) makes a
 * model; the entry says which rate limit that model's calls fall under.
 */
export const AI_SDK_PROVIDERS: Readonly<Record<string, { readonly label: string; readonly limiter: string | undefined }>> = {
  '@ai-sdk/openai': { label: 'OpenAI', limiter: 'openai' },
  '@ai-sdk/azure': { label: 'Azure OpenAI', limiter: 'openai' },
  '@ai-sdk/anthropic': { label: 'Anthropic', limiter: 'anthropic' },
  '@ai-sdk/google': { label: 'Google GenAI', limiter: undefined },
  '@ai-sdk/google-vertex': { label: 'Google Vertex AI', limiter: undefined },
  '@ai-sdk/mistral': { label: 'Mistral', limiter: undefined },
  '@ai-sdk/cohere': { label: 'Cohere', limiter: undefined },
  '@ai-sdk/groq': { label: 'Groq', limiter: undefined },
  '@ai-sdk/amazon-bedrock': { label: 'Amazon Bedrock', limiter: undefined },
};

/**
 * Test entries of the SDKs: what they export (MockLanguageModelV2, FakeListChatModel…) answers
 * locally and is never a provider, wherever it is used.
 */
export const PROVIDER_TEST_MODULES: readonly (string | RegExp)[] = [
  'ai/test',
  /^@langchain\/core\/utils\/testing/,
  /^langchain\/.*fake/,
  'openai/testing',
];

/** Every provider entry: model SDKs, frameworks, then the rate-limited SaaS APIs (policy/catalog/saas.ts). */
export const PROVIDER_APIS: readonly ProviderApi[] = [...PROVIDER_SDKS, ...PROVIDER_FRAMEWORKS, ...SAAS_APIS];

/** Provider APIs reached over plain HTTP, by host: model APIs and the rate-limited search and scraping APIs agents call. */
export const PROVIDER_HOSTS: readonly { readonly host: RegExp; readonly limiter: string | undefined; readonly label: string }[] = [
  { host: /^https?:\/\/api\.openai\.com(?:[/:?#]|$)/i, limiter: 'openai', label: 'OpenAI' },
  { host: /^https?:\/\/[\w-]+\.openai\.azure\.com(?:[/:?#]|$)/i, limiter: 'openai', label: 'Azure OpenAI' },
  { host: /^https?:\/\/api\.anthropic\.com(?:[/:?#]|$)/i, limiter: 'anthropic', label: 'Anthropic' },
  { host: /^https?:\/\/generativelanguage\.googleapis\.com(?:[/:?#]|$)/i, limiter: undefined, label: 'Google GenAI' },
  { host: /^https?:\/\/api\.mistral\.ai(?:[/:?#]|$)/i, limiter: undefined, label: 'Mistral' },
  { host: /^https?:\/\/api\.cohere\.(?:ai|com)(?:[/:?#]|$)/i, limiter: undefined, label: 'Cohere' },
  { host: /^https?:\/\/api\.groq\.com(?:[/:?#]|$)/i, limiter: undefined, label: 'Groq' },
  { host: /^https?:\/\/api\.tavily\.com(?:[/:?#]|$)/i, limiter: undefined, label: 'Tavily' },
  { host: /^https?:\/\/google\.serper\.dev(?:[/:?#]|$)/i, limiter: undefined, label: 'Serper' },
  { host: /^https?:\/\/api\.bing\.microsoft\.com(?:[/:?#]|$)/i, limiter: undefined, label: 'Bing Search' },
  { host: /^https?:\/\/api\.search\.brave\.com(?:[/:?#]|$)/i, limiter: undefined, label: 'Brave Search' },
  { host: /^https?:\/\/api\.exa\.ai(?:[/:?#]|$)/i, limiter: undefined, label: 'Exa' },
  { host: /^https?:\/\/api\.firecrawl\.dev(?:[/:?#]|$)/i, limiter: undefined, label: 'Firecrawl' },
];

/** True when `specifier` is one of `modules` (a string equal, a RegExp matching). */
export function matchesModule(modules: readonly (string | RegExp)[], specifier: string): boolean {
  return modules.some((module) => (typeof module === 'string' ? module === specifier : module.test(specifier)));
}

/** True when `name` is one of `names` (a string equal, a RegExp matching). */
export function matchesName(names: readonly (string | RegExp)[], name: string): boolean {
  return names.some((entry) => (typeof entry === 'string' ? entry === name : entry.test(name)));
}

/** The provider entry a module belongs to, if any. */
export function providerApiOf(specifier: string, apis: readonly ProviderApi[] = PROVIDER_APIS): ProviderApi | undefined {
  return apis.find((api) => matchesModule(api.modules, specifier));
}

/** True for an SDK's test entry (`ai/test`): its exports are never providers. */
export function isProviderTestModule(specifier: string): boolean {
  return matchesModule(PROVIDER_TEST_MODULES, specifier);
}

const DURATIONS: readonly [number, string][] = [
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

/** 600000 → "10 minutes", 60000 → "1 minute", 1500 → "1500 ms". */
export function durationText(ms: number): string {
  for (const [unit, name] of DURATIONS) {
    if (ms >= unit && ms % unit === 0) {
      const count = ms / unit;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/**
 * Text every import of a provider module contains (the module itself, or its family's prefix):
 * a file without any of these, quoted, cannot reach a provider except through another file.
 */
export const PROVIDER_MODULE_TEXT: readonly string[] = [
  ...PROVIDER_APIS.flatMap((api) => api.modules.filter((module): module is string => typeof module === 'string')),
  '@langchain/',
  'langchain/',
  '@llamaindex/',
  ...Object.keys(AI_SDK_PROVIDERS),
];
