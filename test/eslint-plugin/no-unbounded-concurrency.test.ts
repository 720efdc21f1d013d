import { fileURLToPath } from 'node:url';
import rule from '../../eslint-plugin/rules/no-unbounded-concurrency.js';
import { typedTester, untypedTester } from './setup.js';

/** Files linted here use test/eslint-plugin/policies/custom/bounded.policy.yaml (concurrency 4, limiters withDbSlot and jobs.enqueue). */
const fanOut = (items: string, helper = 'mapBounded', concurrency = 10) => ({ items, helper, concurrency });
const tooWide = (items: string, count: number, concurrency = 10) => ({ items, count, concurrency, helper: 'mapBounded' });
/** Data of unboundedRace and untraced. */
const race = (method: string, items: string, concurrency = 10) => ({ method, items, concurrency });

const customPolicyFile = fileURLToPath(new URL('./policies/custom/src/jobs.ts', import.meta.url));

untypedTester().run('no-unbounded-concurrency', rule, {
  valid: [
    // A fixed set of independent calls.
    `export async function loadDashboard(id: string) {
  const [user, orders, invoices] = await Promise.all([getUser(id), getOrders(id), getInvoices(id)]);
  return { user, orders, invoices };
}`,
    // A literal of any fixed length is bounded by its author.
    `await Promise.all([
  pingDb(), pingRedis(), pingQueue(), pingS3(), pingOpenAI(), pingAnthropic(),
  pingSearch(), pingMail(), pingSms(), pingMetrics(), pingTracing(), pingFlags(),
]);`,
    // A deadline race.
    `export const answer = (prompt: string) => Promise.race([callModel(prompt), rejectAfter(30_000)]);`,
    `export async function fastest(url: string) {
  return Promise.any([fetch(\`https://eu.cdn.example.com/\${url}\`), fetch(\`https://us.cdn.example.com/\${url}\`)]);
}`,
    // Every element goes through p-limit.
    `import pLimit from 'p-limit';
const limit = pLimit(5);
export async function crawl(urls: string[]) {
  return Promise.all(urls.map((url) => limit(() => fetchPage(url))));
}`,
    // bounded's Semaphore.
    `import { Semaphore } from '@bounded/runtime';
const embeddings = new Semaphore(8, { name: 'embeddings' });
export async function embedAll(docs: Doc[]) {
  return Promise.all(docs.map((doc) => embeddings.run((signal) => embed(doc, { signal }))));
}`,
    // p-queue, reached through `this`.
    `import PQueue from 'p-queue';
export class Indexer {
  private readonly queue = new PQueue({ concurrency: 4 });
  async reindex(jobs: Job[]) {
    await Promise.all(jobs.map((job) => this.queue.add(() => runJob(job))));
  }
}`,
    // bottleneck, with a block-bodied mapper and a .catch on the limited call.
    `import Bottleneck from 'bottleneck';
const limiter = new Bottleneck({ maxConcurrent: 2, minTime: 250 });
export async function completeAll(prompts: string[]) {
  return Promise.allSettled(
    prompts.map((prompt) => {
      return limiter.schedule(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] })).catch(report);
    }),
  );
}`,
    // A permit held for each element (bounded Semaphore.acquire + using).
    `import { Semaphore } from '@bounded/runtime';
const uploads = new Semaphore(6);
export const uploadAll = (files: File[]) =>
  Promise.all(
    files.map(async (file) => {
      using permit = await uploads.acquire();
      return putObject(file);
    }),
  );`,
    // async-sema: acquire in the mapper, release in finally.
    `import { Sema } from 'async-sema';
const sema = new Sema(4);
export async function download(urls: string[]) {
  return Promise.all(urls.map(async (url) => {
    await sema.acquire();
    try {
      return await got(url).json();
    } finally {
      sema.release();
    }
  }));
}`,
    // p-limit's limitFunction: the mapper itself is limited.
    `import { limitFunction } from 'p-limit';
const fetchLimited = limitFunction(fetchPage, { concurrency: 3 });
export const fetchAll = (urls: string[]) => Promise.all(urls.map(fetchLimited));`,
    // A limiter from a ConcurrencyManager.
    `export async function loadRows(manager: ConcurrencyManager, ids: string[]) {
  return Promise.all(ids.map((id) => manager.semaphore('db').run(() => loadRow(id))));
}`,
    // A limiter name listed in the options.
    {
      code: `export const warm = (keys: string[]) => Promise.all(keys.map((key) => gate(() => cache.refresh(key))));`,
      options: [{ limiters: ['gate'] }],
    },
    // A limiter name listed in the policy (lint.limiters: withDbSlot, jobs.enqueue).
    {
      code: `export async function archive(ids: string[]) {
  await Promise.all(ids.map((id) => withDbSlot(() => archiveRow(id))));
  await Promise.all(ids.map((id) => jobs.enqueue('notify', { id })));
}`,
      filename: customPolicyFile,
    },
    // Chunked loop: each chunk of 10 is awaited before the next starts.
    `export async function notifyAll(users: User[]) {
  for (const chunk of chunks(users, 10)) {
    await Promise.all(chunk.map((user) => mailer.send(user.email, digest(user))));
  }
}`,
    // lodash's chunk, with a smaller batch.
    `import _ from 'lodash';
export async function upsertAll(rows: Row[]) {
  for (const batch of _.chunk(rows, 5)) await Promise.all(batch.map((row) => upsert(row)));
}`,
    // An index loop over slices of a constant size.
    `const BATCH = 10;
export async function hydrate(ids: string[]) {
  const out: Item[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    out.push(...(await Promise.all(batch.map(fetchItem))));
  }
  return out;
}`,
    // A queue drained in batches.
    `export async function drain(queue: Message[]) {
  while (queue.length > 0) {
    const batch = queue.splice(0, 8);
    await Promise.all(batch.map((message) => handle(message)));
  }
}`,
    // The first few results only.
    `export async function summarizeTop(results: SearchResult[]) {
  return Promise.all(results.slice(0, 5).map((result) => summarize(result.url)));
}`,
    `const MAX_PREVIEWS = 3;
export const previews = (links: string[]) => Promise.all(links.slice(0, MAX_PREVIEWS).map(preview));`,
    `export const lastThree = (events: AuditEvent[]) => Promise.all(events.slice(-3).map(enrich));`,
    // Worker pools: a fixed number of workers drain a shared queue.
    `export async function runWorkers(queue: AsyncQueue<Task>, concurrency: number) {
  await Promise.all(Array.from({ length: concurrency }, () => worker(queue)));
}`,
    `export async function runPool(queue: Task[]) {
  const workers: Promise<void>[] = [];
  for (let i = 0; i < 4; i++) workers.push(drainQueue(queue));
  await Promise.all(workers);
}`,
    // A constant list of regions.
    `const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const;
export const warmCaches = () => Promise.all(REGIONS.map((region) => warmCache(region)));`,
    // Collecting promises that run already is not a fan-out.
    `export class Inflight {
  private entries: { done: Promise<void> }[] = [];
  async idle() {
    await Promise.all(this.entries.map((entry) => entry.done));
  }
}`,
    `export async function close(pending: Map<string, Promise<void>>) {
  await Promise.all(Array.from(pending.values()));
}`,
    // An array whose construction the rule cannot see (reported only in strict mode).
    `export async function settle(pending: Promise<void>[]) {
  await Promise.allSettled(pending);
}`,
    // Pushes outside any loop: a fixed number.
    `export async function loadAccount(id: string, withOrders: boolean) {
  const tasks = [loadProfile(id)];
  if (withOrders) tasks.push(loadOrders(id));
  await Promise.all(tasks);
}`,
    // A loop whose elements each go through a limiter.
    `import pLimit from 'p-limit';
const limit = pLimit(3);
export async function syncAll(users: User[]) {
  const tasks = [];
  for (const user of users) tasks.push(limit(() => syncUser(user)));
  return Promise.all(tasks);
}`,
    // A spread of a fixed array.
    `export async function health() {
  const checks = [pingDb(), pingRedis()];
  return Promise.all([...checks, pingQueue()]);
}`,
    // Someone else's Promise.
    `import Promise from 'bluebird';
export const all = (xs: string[]) => Promise.all(xs.map(load));`,
  ],
  invalid: [
    {
      code: `export async function syncUsers(users: User[]) {
  await Promise.all(users.map((user) => crm.upsert(user)));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('users'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function syncUsers(users: User[]) {
  await mapBounded(users, (user) => crm.upsert(user), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // allSettled → mapBoundedSettled, merged into the existing import.
    {
      code: `import { Semaphore } from '@bounded/runtime';
import { sendPush } from './push.js';

export async function broadcast(devices: Device[]) {
  const results = await Promise.allSettled(devices.map((device) => sendPush(device.token, 'Your report is ready')));
  return results.filter((result) => result.status === 'rejected').length;
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 5,
          data: fanOut('devices', 'mapBoundedSettled'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { Semaphore, mapBoundedSettled } from '@bounded/runtime';
import { sendPush } from './push.js';

export async function broadcast(devices: Device[]) {
  const results = await mapBoundedSettled(devices, (device) => sendPush(device.token, 'Your report is ready'), { concurrency: 10 });
  return results.filter((result) => result.status === 'rejected').length;
}`,
            },
          ],
        },
      ],
    },
    // A variable that holds the mapped array.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function embedDocuments(docs: string[]) {
  const jobs = docs.map((doc) => openai.embeddings.create({ model: 'text-embedding-3-small', input: doc }));
  const vectors = await Promise.all(jobs);
  return vectors.map((v) => v.data[0]!.embedding);
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 5,
          data: fanOut('docs'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import OpenAI from 'openai';
import { mapBounded } from '@bounded/runtime';
const openai = new OpenAI();
export async function embedDocuments(docs: string[]) {
  const jobs = mapBounded(docs, (doc) => openai.embeddings.create({ model: 'text-embedding-3-small', input: doc }), { concurrency: 10 });
  const vectors = await jobs;
  return vectors.map((v) => v.data[0]!.embedding);
}`,
            },
          ],
        },
      ],
    },
    // Array.from(iterable, fn).
    {
      code: `import { withTimeout } from '@bounded/runtime/core';
export const crawlSitemap = async (urls: Set<string>) => Promise.all(Array.from(urls, (url) => withTimeout(fetchPage(url), 10_000)));`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('urls'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { withTimeout, mapBounded } from '@bounded/runtime/core';
export const crawlSitemap = async (urls: Set<string>) => mapBounded(urls, (url) => withTimeout(fetchPage(url), 10_000), { concurrency: 10 });`,
            },
          ],
        },
      ],
    },
    // An agent's tool calls: `tool.run` is not a limiter.
    {
      code: `export async function runTools(toolCalls: ToolCall[], tools: Record<string, Tool>) {
  const results = await Promise.all(
    toolCalls.map(async (call) => {
      const tool = tools[call.name];
      return tool.run(JSON.parse(call.arguments));
    }),
  );
  return results;
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('toolCalls'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function runTools(toolCalls: ToolCall[], tools: Record<string, Tool>) {
  const results = await mapBounded(toolCalls, async (call) => {
      const tool = tools[call.name];
      return tool.run(JSON.parse(call.arguments));
    }, { concurrency: 10 });
  return results;
}`,
            },
          ],
        },
      ],
    },
    // A function reference as the mapper, and a .then after the fan-out.
    {
      code: `export function loadInvoices(ids: string[]) {
  return Promise.all(ids.map(loadInvoice)).then((invoices) => invoices.flat());
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export function loadInvoices(ids: string[]) {
  return mapBounded(ids, loadInvoice, { concurrency: 10 }).then((invoices) => invoices.flat());
}`,
            },
          ],
        },
      ],
    },
    // Filtered first: the filtered array is the collection.
    {
      code: `import { sendDigest } from './mail.js';
export async function sendDigests(users: User[]) {
  await Promise.all(users.filter((u) => u.active).map(sendDigest));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('users.filter((u) => u.active)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { sendDigest } from './mail.js';
import { mapBounded } from '@bounded/runtime';
export async function sendDigests(users: User[]) {
  await mapBounded(users.filter((u) => u.active), sendDigest, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // A chain over several lines reads as one in the message.
    {
      code: `export async function shipPaid(orders: Order[]) {
  await Promise.all(
    orders
      .filter((order) => order.status === 'paid')
      .map((order) => warehouse.ship(order.id)),
  );
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut("orders.filter((order) => order.status === 'paid')"),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function shipPaid(orders: Order[]) {
  await mapBounded(orders
      .filter((order) => order.status === 'paid'), (order) => warehouse.ship(order.id), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // Over an object's entries.
    {
      code: `export async function saveSettings(settings: Record<string, string>) {
  await Promise.all(Object.entries(settings).map(([key, value]) => kv.put(key, value)));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('Object.entries(settings)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function saveSettings(settings: Record<string, string>) {
  await mapBounded(Object.entries(settings), ([key, value]) => kv.put(key, value), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // More than the concurrency at once, even though the slice is bounded.
    {
      code: `export async function rerank(results: Hit[]) {
  return Promise.all(results.slice(0, 50).map((hit) => scoreWithModel(hit)));
}`,
      options: [{ wideBatches: true }],
      output: null,
      errors: [
        {
          messageId: 'batchWiderThanPolicy',
          line: 2,
          data: tooWide('results.slice(0, 50)', 50),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function rerank(results: Hit[]) {
  return mapBounded(results.slice(0, 50), (hit) => scoreWithModel(hit), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // The policy's concurrency (4) applies.
    {
      code: `export async function topFive(ids: string[]) {
  return Promise.all(ids.slice(0, 5).map(fetchItem));
}`,
      filename: customPolicyFile,
      options: [{ wideBatches: true }],
      output: null,
      errors: [
        {
          messageId: 'batchWiderThanPolicy',
          line: 2,
          data: tooWide('ids.slice(0, 5)', 5, 4),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function topFive(ids: string[]) {
  return mapBounded(ids.slice(0, 5), fetchItem, { concurrency: 4 });
}`,
            },
          ],
        },
      ],
    },
    // The option overrides the policy.
    {
      code: `export async function notify(users: User[]) {
  for (const group of chunks(users, 3)) await Promise.all(group.map(sendEmail));
}`,
      options: [{ wideBatches: true, concurrency: 2 }],
      output: null,
      errors: [
        {
          messageId: 'batchWiderThanPolicy',
          line: 2,
          data: tooWide('group', 3, 2),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function notify(users: User[]) {
  for (const group of chunks(users, 3)) await mapBounded(group, sendEmail, { concurrency: 2 });
}`,
            },
          ],
        },
      ],
    },
    // Chunks that are not awaited all run at once.
    {
      code: `export function reindex(ids: string[]) {
  for (const chunk of chunks(ids, 10)) {
    Promise.all(chunk.map((id) => search.index(id))).catch(logError);
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('chunk'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export function reindex(ids: string[]) {
  for (const chunk of chunks(ids, 10)) {
    mapBounded(chunk, (id) => search.index(id), { concurrency: 10 }).catch(logError);
  }
}`,
            },
          ],
        },
      ],
    },
    // Filled by push in a for…of loop.
    {
      code: `export async function syncAccounts(accounts: Account[]) {
  const tasks: Promise<void>[] = [];
  for (const account of accounts) {
    tasks.push(syncAccount(account));
  }
  await Promise.all(tasks);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 6, data: fanOut('accounts'), suggestions: [] }],
    },
    // Filled in forEach.
    {
      code: `export async function closeTickets(tickets: Ticket[]) {
  const pending = [];
  tickets.forEach((ticket) => pending.push(helpdesk.close(ticket.id)));
  return Promise.allSettled(pending);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 4, data: fanOut('tickets', 'mapBoundedSettled'), suggestions: [] }],
    },
    // Filled in a while loop over a cursor.
    {
      code: `export async function exportAll(cursor: Cursor<Row>) {
  const writes = [];
  let row;
  while ((row = await cursor.next()) !== null) {
    const current = row;
    writes.push(writeRow(current));
  }
  await Promise.all(writes);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 8, data: fanOut('writes'), suggestions: [] }],
    },
    // An index loop to the array's length.
    {
      code: `export async function resizeAll(images: Image[]) {
  const jobs = [];
  for (let i = 0; i < images.length; i++) {
    const job = resize(images[i]);
    jobs.push(job);
  }
  return Promise.all(jobs);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 7, data: fanOut('images'), suggestions: [] }],
    },
    // Batches handed to an outer array all start together.
    {
      code: `export async function loadAll(ids: string[]) {
  const pending = [];
  for (let i = 0; i < ids.length; i += 10) pending.push(Promise.all(ids.slice(i, i + 10).map(load)));
  return (await Promise.all(pending)).flat();
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 4, data: fanOut('ids'), suggestions: [] }],
    },
    // A list that grows while it is walked.
    {
      code: `export async function followAll(seed: Link) {
  const pending = [fetchLink(seed)];
  for (const link of pending) pending.push(link.then(fetchNext));
  return Promise.all(pending);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 4, data: fanOut('pending'), suggestions: [] }],
    },
    // A race still starts every task.
    {
      code: `export async function firstHealthy(replicas: string[]) {
  return Promise.race(replicas.map((host) => probe(host)));
}`,
      output: null,
      errors: [{ messageId: 'unboundedRace', line: 2, data: race('race', 'replicas'), suggestions: [] }],
    },
    {
      code: `export const anyMirror = (mirrors: string[], path: string) => Promise.any(mirrors.map((m) => fetch(\`\${m}/\${path}\`)));`,
      output: null,
      errors: [{ messageId: 'unboundedRace', line: 1, data: race('any', 'mirrors'), suggestions: [] }],
    },
    // A spread of a mapped array inside a literal.
    {
      code: `export async function notifyAll(users: User[]) {
  await Promise.all([...users.map((user) => notify(user)), audit('notified')]);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 2, data: fanOut('users'), suggestions: [] }],
    },
    // flatMap fans out as much as map.
    {
      code: `export async function sendAll(batches: Batch[]) {
  await Promise.all(batches.flatMap((batch) => batch.messages.map((message) => send(message))));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 2, data: fanOut('batches'), suggestions: [] }],
    },
    // Array.from({ length }) with a count that is not a concurrency.
    {
      code: `export async function fetchAllPages(pages: number) {
  return Promise.all(Array.from({ length: pages }, (_, i) => fetchPage(i + 1)));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 2, data: fanOut('{ length: pages }'), suggestions: [] }],
    },
    {
      code: `export const warmUp = () => Promise.all(Array.from({ length: 100 }, (_, shard) => warmShard(shard)));`,
      options: [{ wideBatches: true }],
      output: null,
      errors: [{ messageId: 'batchWiderThanPolicy', line: 1, data: tooWide('{ length: 100 }', 100), suggestions: [] }],
    },
    // Slicing tasks that already started bounds nothing.
    {
      code: `export async function firstPages(urls: string[]) {
  const tasks = urls.map(fetchPage);
  return Promise.all(tasks.slice(0, 5));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 3, data: fanOut('urls'), suggestions: [] }],
    },
    // A mapper that takes the array as its third parameter cannot become a mapBounded mapper.
    {
      code: `export async function dedupe(keys: string[]) {
  await Promise.all(keys.map((key, i, all) => (all.indexOf(key) === i ? store.touch(key) : undefined)));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 2, suggestions: [] }],
    },
    // `mapBounded` is taken by a local function: no suggestion.
    {
      code: `function mapBounded<T>(xs: T[]) { return xs; }
export async function touchAll(keys: string[]) {
  await Promise.all(mapBounded(keys).map((key) => store.touch(key)));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 3, data: fanOut('mapBounded(keys)'), suggestions: [] }],
    },
    // A limiter of the wrong kind: `pool.query` queues in the pool, but starts every query's wait at once.
    {
      code: `import pg from 'pg';
const pool = new pg.Pool();
export async function loadOrders(ids: string[]) {
  const rows = await Promise.all(ids.map((id) => pool.query('select * from orders where id = $1', [id])));
  return rows.map((r) => r.rows[0]);
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import pg from 'pg';
import { mapBounded } from '@bounded/runtime';
const pool = new pg.Pool();
export async function loadOrders(ids: string[]) {
  const rows = await mapBounded(ids, (id) => pool.query('select * from orders where id = $1', [id]), { concurrency: 10 });
  return rows.map((r) => r.rows[0]);
}`,
            },
          ],
        },
      ],
    },
    // strict: an array the rule cannot see into.
    {
      code: `export async function settle(pending: Promise<void>[]) {
  await Promise.allSettled(pending);
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'untraced', line: 2, data: race('allSettled', 'pending'), suggestions: [] }],
    },
    {
      code: `export async function waitForAll(queue: JobQueue) {
  return Promise.all(queue.pending());
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'untraced', line: 2, data: race('all', 'queue.pending()'), suggestions: [] }],
    },
  ],
});

typedTester().run('no-unbounded-concurrency (typed)', rule, {
  valid: [
    // A tuple type is bounded, even in strict mode.
    {
      code: `export async function both(pair: [Promise<number>, Promise<string>]) {
  return Promise.all(pair);
}`,
      options: [{ strict: true }],
    },
    `export async function loadPair(ids: readonly [string, string], load: (id: string) => Promise<number>) {
  return Promise.all(ids.map((id) => load(id)));
}`,
    // The limiter is known by its type, though its name says nothing.
    `import type PQueue from 'p-queue';
export async function loadAll(jobs: PQueue, ids: string[], load: (id: string) => Promise<number>) {
  return Promise.all(ids.map((id) => jobs.add(() => load(id))));
}`,
  ],
  invalid: [
    {
      code: `export async function loadAll(ids: string[], load: (id: string) => Promise<number>) {
  return Promise.all(ids.map((id) => load(id)));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function loadAll(ids: string[], load: (id: string) => Promise<number>) {
  return mapBounded(ids, (id) => load(id), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    {
      code: `export async function settle(pending: Promise<void>[]) {
  await Promise.all(pending);
}`,
      options: [{ strict: true }],
      output: null,
      errors: [{ messageId: 'untraced', line: 2, suggestions: [] }],
    },
  ],
});

/** Data of batchWiderThanPolicy. */
const wide = (items: string, count: number, concurrency = 10, helper = 'mapBounded') => ({ items, count, concurrency, helper });
/** Data of dropped. */
const dropped = (items: string, method: string, concurrency = 10) => ({ items, method, concurrency, helper: 'mapBounded' });

untypedTester().run('no-unbounded-concurrency: bounds it can see', rule, {
  valid: [
    // slice(0, k) for any k whose value the code does not show: its author wrote a bound there.
    `export async function rerankTop(results: Hit[], k: number) {
  return Promise.all(results.slice(0, k).map((hit) => score(hit)));
}`,
    `export async function preview(links: string[], options: Options) {
  return Promise.all(links.slice(0, options.previews).map(preview));
}`,
    // A size guard before the fan-out: throw, return, or an early return from a handler.
    `const MAX_IDS = 10;
export async function loadMany(ids: string[]) {
  if (ids.length > MAX_IDS) throw new Error('too many ids');
  return Promise.all(ids.map((id) => fetchItem(id)));
}`,
    `app.post('/items', async (req, res) => {
  if (!Array.isArray(req.body.ids) || req.body.ids.length > 8) {
    return res.status(413).end();
  }
  res.json(await Promise.all(req.body.ids.map((id) => fetchItem(id))));
});`,
    `export async function loadMany(ids: string[]) {
  if (ids.length >= 11) return [];
  return Promise.all(ids.map(fetchItem));
}`,
    // …or a check around it, or an assertion.
    `export async function loadMany(ids: string[]) {
  if (ids.length <= 5) {
    return Promise.all(ids.map(fetchItem));
  }
  return loadInBackground(ids);
}`,
    `import assert from 'node:assert';
export async function loadMany(ids: string[]) {
  assert(ids.length <= 10, 'at most ten');
  return Promise.all(ids.map(fetchItem));
}`,
    // Chunks processed one at a time: by index into a chunk list, or a loop over one.
    `export async function loadAll(ids: string[]) {
  const batches = chunk(ids, 10);
  for (let i = 0; i < batches.length; i++) {
    await Promise.all(batches[i].map((id) => fetchItem(id)));
  }
}`,
    `export async function loadAll(ids: string[]) {
  const batches = _.chunk(ids, 10);
  for (const batch of batches) await Promise.all(batch.map(fetchItem));
}`,
    `export async function importAll(userBatches: User[][]) {
  for (const users of userBatches) {
    await Promise.allSettled(users.map((user) => importUser(user)));
  }
}`,
    // Arithmetic on bounds.
    `const PER_PAGE = 10;
export async function firstPages(total: number) {
  const shown = Math.min(total, 40);
  return Promise.all(Array.from({ length: Math.ceil(shown / PER_PAGE) }, (_, page) => loadPage(page)));
}`,
    `export async function warm(nodes: string[]) {
  const width = Math.max(2, Math.min(nodes.length, 8));
  return Promise.all(Array.from({ length: width }, (_, i) => ping(i)));
}`,
    // The worker-pool idiom: W workers pull from a shared index, queue or iterator.
    `export async function runAll(items: Item[], W: number) {
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const item = items[next++];
      await handle(item);
    }
  }
  await Promise.all(Array.from({ length: W }, worker));
}`,
    `export async function drain(queue: Job[], parallelism: number) {
  const run = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await perform(job);
  };
  await Promise.all([...Array(parallelism)].map(run));
}`,
    `export async function process(items: Item[], n: number) {
  const iterator = items.entries();
  const worker = async () => {
    for (const [index, item] of iterator) results[index] = await transform(item);
  };
  await Promise.all(Array.from({ length: n }, () => worker()));
}`,
    `export async function crawl(urls: string[], width: number) {
  let cursor = 0;
  const crawler = async () => {
    while (cursor < urls.length) await fetchPage(urls[cursor++]);
  };
  const workers = [];
  for (let i = 0; i < width; i++) workers.push(crawler());
  await Promise.all(workers);
}`,
    // A limiter awaited first inside a block-bodied mapper.
    `import pLimit from 'p-limit';
const limit = pLimit(4);
export async function enrichAll(ids: string[]) {
  return Promise.all(ids.map(async (id) => {
    const row = await limit(() => loadRow(id));
    return shape(row);
  }));
}`,
    // Collections sized by the infrastructure: CPUs, cluster nodes, shards.
    `import os from 'node:os';
export const startWorkers = () => Promise.all(os.cpus().map((_, i) => startWorker(i)));`,
    `export async function flushAll(cluster: Cluster) {
  await Promise.all(cluster.nodes('master').map((node) => node.flushdb()));
}`,
    `export async function vacuum(shards: Shard[]) {
  await Promise.all(shards.map((shard) => shard.vacuum()));
}`,
    // A fan-out inside an interactive transaction runs on its one connection.
    `export async function saveRows(rows: Row[]) {
  await db.transaction(async (tx) => {
    await Promise.all(rows.map((row) => tx.insert(items).values(row)));
  });
}`,
    `export const saveAll = (rows: Row[]) =>
  prisma.$transaction(async (tx) => Promise.all(rows.map((row) => tx.item.create({ data: row }))));`,
    `export async function saveAll(rows: Row[]) {
  await sql.begin(async (sql) => {
    await Promise.all(rows.map((row) => sql\`insert into items \${sql(row)}\`));
  });
}`,
    `export async function saveAll(rows: Row[]) {
  await db.transaction().execute(async (trx) => {
    await Promise.all(rows.map(async (row) => {
      await trx.insertInto('items').values(row).execute();
    }));
  });
}`,
    `export async function saveAll(rows: Row[]) {
  await sequelize.transaction(async (t) => {
    await Promise.all(rows.map((row) => Item.create(row, { transaction: t })));
  });
}`,
    // …or on one checked-out client.
    `import { pool } from './db.js';
export async function saveAll(rows: Row[]) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await Promise.all(rows.map((row) => client.query('insert into items values ($1)', [row.id])));
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}`,
    // ioredis and node-redis commands are pipelined on one connection.
    `import Redis from 'ioredis';
const redis = new Redis();
export async function getAll(keys: string[]) {
  return Promise.all(keys.map((key) => redis.get(key)));
}`,
    `export async function touchAll(keys: string[]) {
  await Promise.all(keys.map(async (key) => {
    await this.redisClient.expire(key, 60);
  }));
}`,
    // A dropped fan-out over a fixed list, or a callback that is not async.
    `const REGIONS = ['us', 'eu'];
export function warm() {
  REGIONS.forEach(async (region) => { await warmRegion(region); });
}`,
    `export function logAll(users: User[]) {
  users.forEach((user) => console.log(user.id));
}`,
    // xs?.map is xs.map: a fixed list stays bounded.
    `export async function ping(config?: { hosts: [string, string] }) {
  await Promise.all(config?.hosts.slice(0, 2).map((host) => probe(host)) ?? []);
}`,
    // Rows a query caps: a limit in its options, or a limit in the builder chain.
    `export async function cleanUp({ limit }: { limit: number }) {
  const attachments = await Attachment.findAll({ where: { expired: true }, limit });
  await Promise.all(attachments.map((attachment) => attachment.destroy()));
}`,
    `export async function recent() {
  const rows = await db('events').where({ kind: 'signup' }).orderBy('at', 'desc').limit(10);
  return Promise.all(rows.map((row) => enrich(row)));
}`,
    // One batch at a time, handed to a callback.
    `export async function notifyGroup(groupId: string) {
  await GroupUser.findAllInBatches({ where: { groupId }, batchLimit: 10 }, async (groupUsers) => {
    await Promise.all(groupUsers.map((groupUser) => notify(groupUser)));
  });
}`,
    // A constant batch wider than the policy is a separate message, off by default: the batch is bounded.
    {
      code: `export async function rerank(results: Hit[]) {
  return Promise.all(results.slice(0, 50).map((hit) => scoreWithModel(hit)));
}`,
      options: [{ wideBatches: false }],
    },
    {
      code: `export async function rerank(results: Hit[]) {
  return Promise.all(results.slice(0, 50).map((hit) => scoreWithModel(hit)));
}`,
    },
    // One chunk of 25 at a time, and a page of 20 from a query with a constant page size: bounded, so quiet by default.
    {
      code: `export async function loadAll(ids: string[]) {
  const out: Row[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const chunk = ids.slice(i, i + 25);
    out.push(...(await Promise.all(chunk.map((id) => db.find(id)))));
  }
  return out;
}`,
    },
  ],
  invalid: [
    // A name that looks like a limit, traced to Infinity or to input, is not a bound.
    {
      code: `const limit = Infinity;
export async function syncAll(users: User[]) {
  await Promise.all(users.slice(0, limit).map((user) => crm.upsert(user)));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('users.slice(0, limit)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
const limit = Infinity;
export async function syncAll(users: User[]) {
  await mapBounded(users.slice(0, limit), (user) => crm.upsert(user), { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    {
      code: `app.post('/sync', async (req, res) => {
  const batchSize = req.body.batchSize;
  await Promise.all(req.body.users.slice(0, batchSize).map((user) => crm.upsert(user)));
  res.end();
});`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('req.body.users.slice(0, batchSize)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
app.post('/sync', async (req, res) => {
  const batchSize = req.body.batchSize;
  await mapBounded(req.body.users.slice(0, batchSize), (user) => crm.upsert(user), { concurrency: 10 });
  res.end();
});`,
            },
          ],
        },
      ],
    },
    {
      code: `app.get('/search', async (req, res) => {
  const limit = Number(req.query.limit) || 20;
  const hits = await search(req.query.q);
  res.json(await Promise.all(hits.slice(0, limit).map(enrich)));
});`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('hits.slice(0, limit)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
app.get('/search', async (req, res) => {
  const limit = Number(req.query.limit) || 20;
  const hits = await search(req.query.q);
  res.json(await mapBounded(hits.slice(0, limit), enrich, { concurrency: 10 }));
});`,
            },
          ],
        },
      ],
    },
    // An optional parameter: slice(0, undefined) takes everything.
    {
      code: `export async function top(results: Hit[], limit?: number) {
  return Promise.all(results.slice(0, limit).map(score));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 2,
          data: fanOut('results.slice(0, limit)'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function top(results: Hit[], limit?: number) {
  return mapBounded(results.slice(0, limit), score, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // A chunk size read from the request.
    {
      code: `export async function POST(req: Request) {
  const { batchSize, ids } = await req.json();
  for (const batch of chunk(ids, batchSize)) await Promise.all(batch.map(load));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('batch'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function POST(req: Request) {
  const { batchSize, ids } = await req.json();
  for (const batch of chunk(ids, batchSize)) await mapBounded(batch, load, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // Work awaited before the limiter runs unbounded, whatever the mapper returns.
    {
      code: `import pLimit from 'p-limit';
const limit = pLimit(4);
export async function run(ids: string[]) {
  return Promise.all(ids.map(async (id) => {
    const page = await fetchPage(id);
    return limit(() => save(page));
  }));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('ids'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import pLimit from 'p-limit';
import { mapBounded } from '@bounded/runtime';
const limit = pLimit(4);
export async function run(ids: string[]) {
  return mapBounded(ids, async (id) => {
    const page = await fetchPage(id);
    return limit(() => save(page));
  }, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // Fan-outs that drop their promises.
    {
      code: `export async function syncAll(users: User[]) {
  users.forEach(async (user) => {
    await crm.upsert(user);
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'dropped',
          line: 2,
          data: dropped('users', 'forEach'),
          suggestions: [
            {
              messageId: 'awaitMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function syncAll(users: User[]) {
  await mapBounded(users, async (user) => {
    await crm.upsert(user);
  }, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // Not in an async function: no suggestion (an await would not parse).
    {
      code: `export function notifyAll(users: User[]) {
  users.map(async (user) => notify(user));
}`,
      output: null,
      errors: [{ messageId: 'dropped', line: 2, data: dropped('users', 'map'), suggestions: [] }],
    },
    {
      code: `async function upsert(row: Row) { await db.upsert(row); }
export function importRows(rows: Row[]) {
  void rows.map(upsert);
}`,
      output: null,
      errors: [{ messageId: 'dropped', line: 3, data: dropped('rows', 'map'), suggestions: [] }],
    },
    // xs?.map is xs.map.
    {
      code: `export async function syncAll(users?: User[]) {
  await Promise.all(users?.map((user) => crm.upsert(user)) ?? []);
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 2, data: fanOut('users'), suggestions: [] }],
    },
    {
      code: `export const closeAll = (sockets: Socket[] | undefined) => Promise.allSettled(sockets?.map((socket) => socket.closeGracefully()));`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 1, data: fanOut('sockets', 'mapBoundedSettled'), suggestions: [] }],
    },
    // A guard that does not leave, or guards another collection.
    {
      code: `export async function loadMany(ids: string[], names: string[]) {
  if (names.length > 10) throw new Error('too many names');
  if (ids.length > 10) console.warn('many ids');
  return Promise.all(ids.map(fetchItem));
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('ids'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function loadMany(ids: string[], names: string[]) {
  if (names.length > 10) throw new Error('too many names');
  if (ids.length > 10) console.warn('many ids');
  return mapBounded(ids, fetchItem, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    // A constant guard wider than the policy: bounded, its own message.
    {
      code: `export async function loadMany(ids: string[]) {
  if (ids.length > 100) throw new Error('too many ids');
  return Promise.all(ids.map(fetchItem));
}`,
      options: [{ wideBatches: true }],
      output: null,
      errors: [
        {
          messageId: 'batchWiderThanPolicy',
          line: 3,
          data: wide('ids', 100),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function loadMany(ids: string[]) {
  if (ids.length > 100) throw new Error('too many ids');
  return mapBounded(ids, fetchItem, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
    {
      code: `export async function firstPages(total: number) {
  return Promise.all(Array.from({ length: Math.min(total, 40) }, (_, page) => loadPage(page)));
}`,
      options: [{ wideBatches: true }],
      output: null,
      errors: [{ messageId: 'batchWiderThanPolicy', line: 2, data: wide('{ length: Math.min(total, 40) }', 40), suggestions: [] }],
    },
    // A worker pool as wide as the input is no pool.
    {
      code: `export async function runAll(items: Item[]) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await handle(items[next++]);
  };
  await Promise.all(Array.from({ length: items.length }, worker));
}`,
      output: null,
      errors: [{ messageId: 'unbounded', line: 6, data: fanOut('{ length: items.length }'), suggestions: [] }],
    },
    // A query limit taken from the request is no bound.
    {
      code: `router.get('/events', async (ctx) => {
  const rows = await Event.findAll({ limit: ctx.request.query.limit });
  ctx.body = await Promise.all(rows.map((row) => present(row)));
});`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('rows'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
router.get('/events', async (ctx) => {
  const rows = await Event.findAll({ limit: ctx.request.query.limit });
  ctx.body = await mapBounded(rows, (row) => present(row), { concurrency: 10 });
});`,
            },
          ],
        },
      ],
    },
    // A class field that starts empty is not a fixed array: any method may push to it.
    {
      code: `export class Outbox {
  private pending: Message[] = [];
  flush() {
    return Promise.allSettled(this.pending.map((message) => send(message)));
  }
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 4,
          data: fanOut('this.pending', 'mapBoundedSettled'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBoundedSettled } from '@bounded/runtime';
export class Outbox {
  private pending: Message[] = [];
  flush() {
    return mapBoundedSettled(this.pending, (message) => send(message), { concurrency: 10 });
  }
}`,
            },
          ],
        },
      ],
    },
    // Inside a transaction, but each task also calls out of it.
    {
      code: `export async function saveRows(rows: Row[]) {
  await db.transaction(async (tx) => {
    await Promise.all(rows.map(async (row) => {
      const enriched = await enrich(row);
      await tx.insert(items).values(enriched);
    }));
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'unbounded',
          line: 3,
          data: fanOut('rows'),
          suggestions: [
            {
              messageId: 'useMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function saveRows(rows: Row[]) {
  await db.transaction(async (tx) => {
    await mapBounded(rows, async (row) => {
      const enriched = await enrich(row);
      await tx.insert(items).values(enriched);
    }, { concurrency: 10 });
  });
}`,
            },
          ],
        },
      ],
    },
  ],
});

typedTester().run('no-unbounded-concurrency: bounds it can see (typed)', rule, {
  valid: [
    // An ioredis client known by its type, though its name says nothing.
    `import type { Redis } from 'ioredis';
export async function getAll(store: Redis, keys: string[]) {
  return Promise.all(keys.map((key) => store.get(key)));
}`,
  ],
  invalid: [
    {
      code: `export async function syncAll(users: string[], upsert: (id: string) => Promise<void>) {
  users.forEach(async (user) => {
    await upsert(user);
  });
}`,
      output: null,
      errors: [
        {
          messageId: 'dropped',
          line: 2,
          suggestions: [
            {
              messageId: 'awaitMapBounded',
              output: `import { mapBounded } from '@bounded/runtime';
export async function syncAll(users: string[], upsert: (id: string) => Promise<void>) {
  await mapBounded(users, async (user) => {
    await upsert(user);
  }, { concurrency: 10 });
}`,
            },
          ],
        },
      ],
    },
  ],
});
