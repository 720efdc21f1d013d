/**
 * no-unthrottled-provider-call over the catalog's rate-limited SaaS APIs (issue 20): fan-outs
 * and loops over their calls are findings whose message names the API's published limit,
 * unless the SDK throttles itself (with its knob not turned off) or a limiter is in the path.
 */
import rule from '../../eslint-plugin/rules/no-unthrottled-provider-call.js';
import { untypedTester } from './setup.js';

untypedTester().run('no-unthrottled-provider-call (SaaS APIs)', rule, {
  valid: [
    // Slack's WebClient queues its requests and waits out 429s by default.
    `import { WebClient } from '@slack/web-api';
const slack = new WebClient(process.env.SLACK_BOT_TOKEN);
export const announce = (channels: string[], text: string) => Promise.all(channels.map((channel) => slack.chat.postMessage({ channel, text })));`,
    // @discordjs/rest queues per route bucket.
    `import { REST } from '@discordjs/rest';
const rest = new REST({ version: '10' }).setToken(process.env.DISCORD_TOKEN!);
export async function notify(channelIds: string[], content: string) {
  for (const id of channelIds) await rest.post(\`/channels/\${id}/messages\`, { body: { content } });
}`,
    // Octokit from the \`octokit\` package comes with the throttling plugin…
    `import { Octokit } from 'octokit';
const github = new Octokit({ auth: process.env.GITHUB_TOKEN });
export const labelAll = (numbers: number[]) => Promise.all(numbers.map((issue_number) => github.rest.issues.addLabels({ owner: 'o', repo: 'r', issue_number, labels: ['triage'] })));`,
    // …and @octokit/rest has it once the plugin is applied to the class.
    `import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
const ThrottledOctokit = Octokit.plugin(throttling);
const github = new ThrottledOctokit({ auth: process.env.GITHUB_TOKEN, throttle: { onRateLimit: () => true, onSecondaryRateLimit: () => true } });
export const closeAll = (numbers: number[]) => Promise.all(numbers.map((issue_number) => github.issues.update({ owner: 'o', repo: 'r', issue_number, state: 'closed' })));`,
    // expo-server-sdk sends at most maxConcurrentRequests at once and retries 429s.
    `import { Expo } from 'expo-server-sdk';
const expo = new Expo({ accessToken: process.env.EXPO_ACCESS_TOKEN });
export const sendAll = (chunks: { to: string }[][]) => Promise.all(chunks.map((chunk) => expo.sendPushNotificationsAsync(chunk)));`,
    // grammY with the throttler transformer installed on the bot's API.
    `import { Bot } from 'grammy';
import { apiThrottler } from '@grammyjs/transformer-throttler';
const bot = new Bot(process.env.BOT_TOKEN!);
bot.api.config.use(apiThrottler());
export const broadcast = (chatIds: number[], text: string) => Promise.all(chatIds.map((chatId) => bot.api.sendMessage(chatId, text)));`,
    // A limiter in the path.
    `import pLimit from 'p-limit';
import Stripe from 'stripe';
const stripe = new Stripe(process.env.STRIPE_KEY!);
const limit = pLimit(5);
export const refundAll = (ids: string[]) => Promise.all(ids.map((payment_intent) => limit(() => stripe.refunds.create({ payment_intent }))));`,
    // Stripe's webhook verification is local: no request.
    `import Stripe from 'stripe';
const stripe = new Stripe(process.env.STRIPE_KEY!);
export const verifyAll = (bodies: string[], signature: string, secret: string) => bodies.map((body) => stripe.webhooks.constructEvent(body, signature, secret));`,
  ],
  invalid: [
    // The Slack client told to reject rate-limited calls instead of waiting them out.
    {
      code: `import { WebClient } from '@slack/web-api';
const slack = new WebClient(process.env.SLACK_BOT_TOKEN, { rejectRateLimitedCalls: true });
export const announce = (channels: string[], text: string) => Promise.all(channels.map((channel) => slack.chat.postMessage({ channel, text })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 3,
          data: {
            call: 'slack.chat.postMessage',
            provider: 'Slack',
            limit:
              "the policy's 50 requests/min (Slack: per-method tiers, e.g. Tier 3: 50 requests/min; chat.postMessage about 1 message/s per channel)",
            remedy:
              "send it through one shared limiter, e.g. providerLimiter('slack').schedule(…), or let the SDK throttle itself: it queues its requests (maxRequestConcurrency) and waits out 429s for Retry-After unless `rejectRateLimitedCalls: true` or `retryConfig.retries: 0` or `maxRequestConcurrency: Infinity` turns that off",
          },
          suggestions: [],
        },
      ],
    },
    // Stripe retries, but does not throttle: a loop over input is a finding naming Stripe's limit.
    {
      code: `import Stripe from 'stripe';
const stripe = new Stripe(process.env.STRIPE_KEY!);
export async function syncCustomers(ids: string[]) {
  const out = [];
  for (const id of ids) out.push(await stripe.customers.retrieve(id));
  return out;
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 5,
          data: {
            call: 'stripe.customers.retrieve',
            provider: 'Stripe',
            limit: "the policy's 25 requests/s (Stripe: 100 operations/s in live mode (25 in test mode), 25 requests/s per endpoint)",
            remedy: "send it through one shared limiter, e.g. providerLimiter('stripe').schedule(…)",
          },
          suggestions: [],
        },
      ],
    },
    // @octokit/rest without the throttling plugin.
    {
      code: `import { Octokit } from '@octokit/rest';
const github = new Octokit({ auth: process.env.GITHUB_TOKEN });
export const closeAll = (numbers: number[]) => Promise.all(numbers.map((issue_number) => github.issues.update({ owner: 'o', repo: 'r', issue_number, state: 'closed' })));`,
      errors: [{ messageId: 'inFanOut', line: 3, suggestions: [] }],
    },
    // The octokit package with its throttling turned off.
    {
      code: `import { Octokit } from 'octokit';
const github = new Octokit({ auth: process.env.GITHUB_TOKEN, throttle: { enabled: false } });
export const labelAll = (numbers: number[]) => Promise.all(numbers.map((issue_number) => github.rest.issues.addLabels({ owner: 'o', repo: 'r', issue_number, labels: ['triage'] })));`,
      errors: [{ messageId: 'inFanOut', line: 3, suggestions: [] }],
    },
    // Notion retries 429s but does not pace: a fan-out over pages, with no published preset missing.
    {
      code: `import { Client } from '@notionhq/client';
const notion = new Client({ auth: process.env.NOTION_TOKEN });
export const archiveAll = (pageIds: string[]) => Promise.all(pageIds.map((page_id) => notion.pages.update({ page_id, archived: true })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 3,
          data: {
            call: 'notion.pages.update',
            provider: 'Notion',
            limit: "the policy's 3 requests/s (Notion: an average of 3 requests/s per integration)",
            remedy: "send it through one shared limiter, e.g. providerLimiter('notion').schedule(…)",
          },
          suggestions: [],
        },
      ],
    },
    // A Telegram broadcast through Telegraf, one message per subscriber.
    {
      code: `import { Telegraf } from 'telegraf';
const bot = new Telegraf(process.env.BOT_TOKEN!);
export async function broadcast(chatIds: number[], text: string) {
  for (const chatId of chatIds) await bot.telegram.sendMessage(chatId, text);
}`,
      errors: [{ messageId: 'inLoop', line: 4, suggestions: [] }],
    },
    // SendGrid's ready client: no published limit for mail send, said so.
    {
      code: `import sgMail from '@sendgrid/mail';
export const mailAll = (to: string[]) => Promise.all(to.map((address) => sgMail.send({ to: address, from: 'team@example.com', subject: 'Hi', text: 'Hello' })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 2,
          data: {
            call: 'sgMail.send',
            provider: 'SendGrid',
            limit: 'its rate limit (SendGrid: no published limit for mail send (per-endpoint limits in X-RateLimit headers))',
            remedy: "send it through one shared limiter, e.g. providerLimiter('…').schedule(…)",
          },
          suggestions: [],
        },
      ],
    },
    // Expo push with its concurrency cap made infinite.
    {
      code: `import { Expo } from 'expo-server-sdk';
const expo = new Expo({ maxConcurrentRequests: Infinity });
export const sendAll = (chunks: { to: string }[][]) => Promise.all(chunks.map((chunk) => expo.sendPushNotificationsAsync(chunk)));`,
      errors: [{ messageId: 'inFanOut', line: 3, suggestions: [] }],
    },
  ],
});
