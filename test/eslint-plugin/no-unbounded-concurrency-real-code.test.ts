import rule from '../../eslint-plugin/rules/no-unbounded-concurrency.js';
import { untypedTester } from './setup.js';

/**
 * Shapes `bounded check` misjudged on whole public repositories (issue 15): queries that each
 * carry their transaction, pages of rows, the handlers an object was configured with, callback
 * bookkeeping, LangChain's AsyncCaller, and library calls that fan out inside (issue 14).
 */
const fanOut = (items: string) => ({ items, helper: 'mapBounded', concurrency: 10 });
const rewrite = (output: string) => [{ messageId: 'useMapBounded' as const, output }];

untypedTester().run('no-unbounded-concurrency: shapes from real repositories', rule, {
  valid: [
    // Each create is given the caller's transaction: one connection runs them one at a time.
    `import { Membership } from './models';
export async function copyMemberships(fromId: string, toId: string, { transaction }: { transaction: Transaction }) {
  const rows = await Membership.findAll({ where: { documentId: fromId }, transaction });
  await Promise.all(rows.map((row) => Membership.create({ documentId: toId, userId: row.userId }, { transaction, hooks: false })));
}`,
    // A context built from the transaction, passed to each update.
    `import { sequelize } from './db';
export async function archive(user: User, ids: string[]) {
  await sequelize.transaction(async (transaction) => {
    const notices = await Notice.findAll({ where: { id: ids }, transaction });
    const ctx = createContext({ user, transaction });
    await Promise.all(notices.map(async (notice) => notice.updateWithCtx(ctx, { archivedAt: new Date() })));
  });
}`,
    // A request context whose transaction the handler reads elsewhere.
    `export async function updateDomains(ctx: Context, removed: TeamDomain[]) {
  const team = await Team.findByPk(ctx.state.auth.teamId, { transaction: ctx.state.transaction });
  await Promise.all(removed.map((domain) => domain.destroyWithCtx(ctx)));
  return team;
}`,
    // One page: the rows come from Promise.all([findAll({ limit }), count()]).
    `export async function listGroups(ctx: Context) {
  const [groups, total] = await Promise.all([
    Group.findAll({ where: { teamId: ctx.teamId }, offset: ctx.state.pagination.offset, limit: ctx.state.pagination.limit }),
    Group.count({ where: { teamId: ctx.teamId } }),
  ]);
  return { total, groups: await Promise.all(groups.map(presentGroup)) };
}`,
    // One page from a paginating helper.
    `export async function listMemberships(ctx: Context) {
  const { results: memberships, pagination } = await paginateQuery(ctx, (opts) => Membership.findAll(opts), () => Membership.count());
  return { pagination, groups: await Promise.all(memberships.map((membership) => presentGroup(membership.group))) };
}`,
    // An exact match put before one page of search results: both branches are bounded.
    `export async function searchCollections(query: string) {
  const collections = await Collection.findAll({ where: { name: query }, limit: 25 });
  const exact = await Collection.findByPk(query);
  const matched = [...(exact ? [exact] : []), ...collections.filter((c) => c.id !== exact?.id)];
  return Promise.all(matched.map(async (collection) => presentCollection(collection)));
}`,
    // Each task first waits for a slot of a semaphore, inside the try whose finally releases it.
    `import { Sema } from 'async-sema';
export async function uploadAll(items: Item[]) {
  const sema = new Sema(5);
  const uploads = items.map(async (item) => {
    try {
      await sema.acquire();
      await storeFromUrl(item.url);
    } finally {
      sema.release();
    }
  });
  return await Promise.all(uploads);
}`,
    // The results of a search asked for a page of them.
    `export async function searchDocuments(user: User, query: string, limit = 25) {
  const { results } = await searchProvider.searchForUser(user, { query, offset: 0, limit });
  return Promise.all(results.map(async (result) => presentDocument(result.document)));
}`,
    // The handlers an object was configured with.
    `export class Notifier {
  constructor(private readonly handlers: Handler[]) {}
  async note(label: string) {
    await Promise.all(this.handlers.map((handler) => runCallback(() => handler.onNote?.(label), handler.awaitHandlers)));
  }
}`,
    // Callback bookkeeping: each run manager is told the chain ended.
    `export async function finish(runManagers: (RunManager | undefined)[], output: unknown) {
  await Promise.all(runManagers.map((runManager) => runManager?.handleChainEnd(output)));
}`,
    // A run per prompt, started by telling the configured handlers: bookkeeping, not I/O per prompt.
    `export class Manager {
  constructor(private readonly handlers: Handler[]) {}
  async handleLLMStart(prompts: string[]) {
    return Promise.all(prompts.map(async (prompt, idx) => {
      const runId = String(idx);
      await Promise.all(this.handlers.map((handler) => runCallback(() => handler.handleLLMStart?.(prompt, runId), handler.awaitHandlers)));
      return new RunManager(runId, this.handlers);
    }));
  }
}`,
    // Block-bodied bookkeeping, also through a name taken from the element.
    `export async function startRuns(callbackManagers: (CallbackManager | undefined)[], inputs: unknown[]) {
  return Promise.all(callbackManagers.map(async (callbackManager, i) => {
    const run = await callbackManager?.handleChainStart(inputs[i]);
    return run;
  }));
}`,
    `export async function finishCached(cached: { result: Result; runManager?: RunManager }[]) {
  await Promise.all(cached.map(async ({ result, runManager }) => {
    const generations = result.generations.map((g) => ({ ...g, cached: true }));
    await runManager?.handleLLMEnd({ generations });
    return generations;
  }));
}`,
    // AsyncCaller with a finite maxConcurrency is a limiter.
    `import { AsyncCaller } from '@langchain/core/utils/async_caller';
export async function evaluate(runs: Run[], maxConcurrency: number) {
  const caller = new AsyncCaller({ maxConcurrency });
  return Promise.all(runs.map((run) => caller.call(() => client.evaluateRun(run))));
}`,
    // A default of 6 that the caller's options may override.
    `import { AsyncCaller } from '@langchain/core/utils/async_caller';
export class Store {
  caller: AsyncCaller;
  constructor({ index, ...callerArgs }: StoreParams) {
    this.caller = new AsyncCaller({ maxConcurrency: 6, maxRetries: 0, ...callerArgs });
  }
  async upsert(chunks: Row[][]) {
    await Promise.all(chunks.map((chunk) => this.caller.call(() => index.upsert(chunk))));
  }
}`,
    // LangChain batch with a finite maxConcurrency on the call, or on the model.
    `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
export const summarize = (texts: string[]) => model.batch(texts, { maxConcurrency: 4 });`,
    `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini', maxConcurrency: 4 });
export const summarize = (texts: string[]) => model.batch(texts);`,
    // Embeddings built with a finite maxConcurrency.
    `import { OpenAIEmbeddings } from '@langchain/openai';
const embeddings = new OpenAIEmbeddings({ maxConcurrency: 3 });
export const embedAll = (chunks: string[]) => embeddings.embedDocuments(chunks);`,
    // embedMany with maxParallelCalls, or over a literal handful of values.
    `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, maxParallelCalls: 2 });`,
    `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const probe = () => embedMany({ model: openai.embedding('text-embedding-3-small'), values: ['a', 'b', 'c'] });`,
    // A batch() of the project's own, not a provider's.
    `export const runAll = (steps: Steps, inputs: string[]) => steps.batch(inputs);`,
  ],
  invalid: [
    // The same fan-out of queries without the transaction: each takes a pool connection.
    {
      code: `import { Membership } from './models';
export async function copyMemberships(fromId: string, toId: string) {
  const rows = await Membership.findAll({ where: { documentId: fromId } });
  await Promise.all(rows.map((row) => Membership.create({ documentId: toId, userId: row.userId }, { hooks: false })));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('rows'),
          suggestions: rewrite(`import { Membership } from './models';
import { mapBounded } from '@bounded/runtime';
export async function copyMemberships(fromId: string, toId: string) {
  const rows = await Membership.findAll({ where: { documentId: fromId } });
  await mapBounded(rows, (row) => Membership.create({ documentId: toId, userId: row.userId }, { hooks: false }), { concurrency: 10 });
}`),
        },
      ],
    },
    // `transaction: null` is no transaction.
    {
      code: `export async function copy(rows: Row[]) {
  await Promise.all(rows.map((row) => Membership.create(row, { transaction: null })));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('rows'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function copy(rows: Row[]) {
  await mapBounded(rows, (row) => Membership.create(row, { transaction: null }), { concurrency: 10 });
}`),
        },
      ],
    },
    // `transaction: options?.transaction` may be no transaction at all.
    {
      code: `export async function load(ids: string[], options?: { transaction?: Transaction }) {
  return Promise.all(ids.map((id) => Doc.findByPk(id, { transaction: options?.transaction })));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('ids'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function load(ids: string[], options?: { transaction?: Transaction }) {
  return mapBounded(ids, (id) => Doc.findByPk(id, { transaction: options?.transaction }), { concurrency: 10 });
}`),
        },
      ],
    },
    // Only some of the mapper's work carries the transaction.
    {
      code: `export async function sync(rows: Row[], transaction: Transaction) {
  await Promise.all(rows.map(async (row) => {
    await Membership.create(row, { transaction });
    await fetch(row.webhookUrl, { method: 'POST' });
  }));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('rows'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function sync(rows: Row[], transaction: Transaction) {
  await mapBounded(rows, async (row) => {
    await Membership.create(row, { transaction });
    await fetch(row.webhookUrl, { method: 'POST' });
  }, { concurrency: 10 });
}`),
        },
      ],
    },
    // A context read as `options?.transaction` may come without one: the recursion runs on the pool.
    {
      code: `export async function toNode(doc: Doc, options?: { transaction?: Transaction }): Promise<Node> {
  const children = await Doc.findAll({ where: { parentId: doc.id }, transaction: options?.transaction });
  return { id: doc.id, children: await Promise.all(children.map((child) => toNode(child, options))) };
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('children'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function toNode(doc: Doc, options?: { transaction?: Transaction }): Promise<Node> {
  const children = await Doc.findAll({ where: { parentId: doc.id }, transaction: options?.transaction });
  return { id: doc.id, children: await mapBounded(children, (child) => toNode(child, options), { concurrency: 10 }) };
}`),
        },
      ],
    },
    // The second element of Promise.all([...]) is not a page.
    {
      code: `export async function listAll(teamId: string) {
  const [total, groups] = await Promise.all([Group.count({ where: { teamId } }), Group.findAll({ where: { teamId } })]);
  return { total, groups: await Promise.all(groups.map(presentGroup)) };
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('groups'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function listAll(teamId: string) {
  const [total, groups] = await Promise.all([Group.count({ where: { teamId } }), Group.findAll({ where: { teamId } })]);
  return { total, groups: await mapBounded(groups, presentGroup, { concurrency: 10 }) };
}`),
        },
      ],
    },
    // Work awaited before the slot is taken runs unbounded.
    {
      code: `import { Sema } from 'async-sema';
export async function uploadAll(items: Item[]) {
  const sema = new Sema(5);
  return Promise.all(items.map(async (item) => {
    const row = await loadRow(item.id);
    try {
      await sema.acquire();
      await storeFromUrl(row.url);
    } finally {
      sema.release();
    }
  }));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('items'),
          suggestions: rewrite(`import { Sema } from 'async-sema';
import { mapBounded } from '@bounded/runtime';
export async function uploadAll(items: Item[]) {
  const sema = new Sema(5);
  return mapBounded(items, async (item) => {
    const row = await loadRow(item.id);
    try {
      await sema.acquire();
      await storeFromUrl(row.url);
    } finally {
      sema.release();
    }
  }, { concurrency: 10 });
}`),
        },
      ],
    },
    // …but not one whose limit comes from the request.
    {
      code: `export async function searchDocuments(req: Request) {
  const { results } = await searchProvider.search({ query: req.body.query, limit: req.body.limit });
  return Promise.all(results.map(async (result) => presentDocument(result.document)));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('results'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function searchDocuments(req: Request) {
  const { results } = await searchProvider.search({ query: req.body.query, limit: req.body.limit });
  return mapBounded(results, async (result) => presentDocument(result.document), { concurrency: 10 });
}`),
        },
      ],
    },
    // A conditional is as large as its larger branch.
    {
      code: `export async function load(ids: string[], one?: string) {
  const wanted = one ? [one] : ids;
  return Promise.all(wanted.map((id) => fetchDoc(id)));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('wanted'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function load(ids: string[], one?: string) {
  const wanted = one ? [one] : ids;
  return mapBounded(wanted, (id) => fetchDoc(id), { concurrency: 10 });
}`),
        },
      ],
    },
    // Handlers are configured; a handler's `handlers` read from a request are not.
    {
      code: `export async function notifyAll(req: Request) {
  const { hooks } = req.body;
  await Promise.all(hooks.map((hook) => fetch(hook.url, { method: 'POST' })));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('hooks'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function notifyAll(req: Request) {
  const { hooks } = req.body;
  await mapBounded(hooks, (hook) => fetch(hook.url, { method: 'POST' }), { concurrency: 10 });
}`),
        },
      ],
    },
    // handleX on elements that are not run managers or handlers is work.
    {
      code: `export async function settle(orders: Order[]) {
  await Promise.all(orders.map((order) => order.handlePayment()));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('orders'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function settle(orders: Order[]) {
  await mapBounded(orders, (order) => order.handlePayment(), { concurrency: 10 });
}`),
        },
      ],
    },
    // Bookkeeping and a request per run: the request is work.
    {
      code: `export async function finishRuns(runManagers: RunManager[], url: string) {
  await Promise.all(runManagers.map(async (runManager) => {
    await runManager.handleChainEnd({});
    await fetch(url, { method: 'POST', body: runManager.runId });
  }));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('runManagers'),
          suggestions: rewrite(`import { mapBounded } from '@bounded/runtime';
export async function finishRuns(runManagers: RunManager[], url: string) {
  await mapBounded(runManagers, async (runManager) => {
    await runManager.handleChainEnd({});
    await fetch(url, { method: 'POST', body: runManager.runId });
  }, { concurrency: 10 });
}`),
        },
      ],
    },
    // AsyncCaller whose maxConcurrency may be undefined: Infinity.
    {
      code: `import { AsyncCaller } from '@langchain/core/utils/async_caller';
export async function batch(inputs: string[], config?: { maxConcurrency?: number }, settings?: { maxConcurrency?: number }) {
  const maxConcurrency = config?.maxConcurrency ?? settings?.maxConcurrency;
  const caller = new AsyncCaller({ maxConcurrency });
  return Promise.all(inputs.map((input) => caller.call(() => invoke(input))));
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 5,
          data: fanOut('inputs'),
          suggestions: rewrite(`import { AsyncCaller } from '@langchain/core/utils/async_caller';
import { mapBounded } from '@bounded/runtime';
export async function batch(inputs: string[], config?: { maxConcurrency?: number }, settings?: { maxConcurrency?: number }) {
  const maxConcurrency = config?.maxConcurrency ?? settings?.maxConcurrency;
  const caller = new AsyncCaller({ maxConcurrency });
  return mapBounded(inputs, (input) => caller.call(() => invoke(input)), { concurrency: 10 });
}`),
        },
      ],
    },
    {
      code: `import { AsyncCaller } from '@langchain/core/utils/async_caller';
const caller = new AsyncCaller({});
export const run = (inputs: string[]) => Promise.all(inputs.map((input) => caller.call(() => invoke(input))));`,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('inputs'),
          suggestions: rewrite(`import { AsyncCaller } from '@langchain/core/utils/async_caller';
import { mapBounded } from '@bounded/runtime';
const caller = new AsyncCaller({});
export const run = (inputs: string[]) => mapBounded(inputs, (input) => caller.call(() => invoke(input)), { concurrency: 10 });`),
        },
      ],
    },
    // AsyncCaller built from the options a caller handed on: maxConcurrency is whatever they passed, Infinity by default.
    {
      code: `import { AsyncCaller } from '@langchain/core/utils/async_caller';
export class Store {
  caller: AsyncCaller;
  constructor(params: StoreParams) {
    const { index, ...callerArgs } = params;
    this.caller = new AsyncCaller(callerArgs);
  }
  async upsert(chunks: Row[][]) {
    await Promise.all(chunks.map((chunk) => this.caller.call(() => index.upsert(chunk))));
  }
}`,
      errors: [
        {
          messageId: 'unbounded',
          line: 9,
          data: fanOut('chunks'),
          suggestions: rewrite(`import { AsyncCaller } from '@langchain/core/utils/async_caller';
import { mapBounded } from '@bounded/runtime';
export class Store {
  caller: AsyncCaller;
  constructor(params: StoreParams) {
    const { index, ...callerArgs } = params;
    this.caller = new AsyncCaller(callerArgs);
  }
  async upsert(chunks: Row[][]) {
    await mapBounded(chunks, (chunk) => this.caller.call(() => index.upsert(chunk)), { concurrency: 10 });
  }
}`),
        },
      ],
    },
    // LangChain batch() without maxConcurrency: AsyncCaller's default is Infinity.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
export const summarize = (texts: string[]) => model.batch(texts);`,
      errors: [
        {
          messageId: 'libraryFanOut',
          line: 3,
          data: {
            call: 'model.batch',
            what: 'starts every input at once (maxConcurrency defaults to Infinity)',
            option: 'maxConcurrency',
            concurrency: 10,
          },
        },
      ],
    },
    // …on a chain piped from such a model, with call options that leave it out.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
import { PromptTemplate } from '@langchain/core/prompts';
const chain = PromptTemplate.fromTemplate('Summarize: {text}').pipe(new ChatOpenAI({}));
export const summarize = (texts: string[]) => chain.batch(texts.map((text) => ({ text })), { tags: ['summaries'] });`,
      errors: [{ messageId: 'libraryFanOut', line: 4 }],
    },
    // embedDocuments on embeddings built without maxConcurrency.
    {
      code: `import { OpenAIEmbeddings } from '@langchain/openai';
const embeddings = new OpenAIEmbeddings();
export const embedAll = (chunks: string[]) => embeddings.embedDocuments(chunks);`,
      errors: [
        {
          messageId: 'libraryFanOut',
          line: 3,
          data: {
            call: 'embeddings.embedDocuments',
            what: "sends every batch of texts at once (the model's maxConcurrency defaults to Infinity)",
            option: 'maxConcurrency',
            concurrency: 10,
          },
        },
      ],
    },
    // embedMany without maxParallelCalls, or with Infinity.
    {
      code: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values });`,
      errors: [
        {
          messageId: 'libraryFanOut',
          line: 3,
          data: {
            call: 'embedMany',
            what: 'sends every chunk of values at once (maxParallelCalls defaults to Infinity)',
            option: 'maxParallelCalls',
            concurrency: 10,
          },
        },
      ],
    },
    {
      code: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, maxParallelCalls: Infinity });`,
      errors: [{ messageId: 'libraryFanOut', line: 3 }],
    },
  ],
});
