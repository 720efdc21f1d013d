/**
 * Rate-limited SaaS APIs reached through their SDKs (issue 20): chat platforms, push
 * notifications, messaging, e-mail, payments, GitHub, queues, Google APIs, Notion. In agent
 * backends the fan-outs that trip rate limits are as often these as model providers: a message
 * per channel, a receipt per device, a job per task.
 *
 * Each entry has the API's published limit (or says there is none) and whether its SDK holds
 * its own requests to that limit (`selfThrottle`, with the knob that turns it off). A call
 * through a self-throttling client is no hazard; a retry on 429 alone is no throttle (the
 * corpus's P2 and P-N5). The comments cite the documentation each fact comes from.
 *
 * Same shape as the model providers (providers.ts); type imports only, since providers.ts
 * imports this module.
 */
import type { CodemodSupport, ProviderApi } from './providers.js';

const byHand = (what: string, limiter: string | undefined): CodemodSupport => ({
  kind: 'skip',
  reason: `${what} clients are not wrapped automatically; send their calls through one shared limiter (providerLimiter('${limiter ?? '…'}').schedule(() => …))`,
});

const NO_TIMEOUT_CODEMOD: CodemodSupport = { kind: 'skip', reason: 'deadlines of SaaS SDKs are not catalogued; set the SDK\'s own timeout option by hand' };

/** Fields every SaaS entry shares: no deadline knobs catalogued (require-timeout leaves them alone), no library fan-outs. */
const SAAS = { kind: 'sdk', deadline: undefined, timeoutCodemod: NO_TIMEOUT_CODEMOD } as const;

export const SAAS_APIS: readonly ProviderApi[] = [
  {
    ...SAAS,
    id: 'slack',
    label: 'Slack',
    modules: ['@slack/web-api'],
    classes: ['WebClient'],
    resources: ['chat', 'conversations', 'reactions', 'users', 'files', 'pins', 'bookmarks', 'reminders', 'usergroups', 'views', 'team', 'search', 'admin', 'apps', 'dnd', 'emoji', 'canvases', 'assistant'],
    minPath: 2,
    methods: ['apiCall'],
    // docs.slack.dev/tools/node-slack-sdk/web-api (rate limits): the WebClient queues its requests
    // (maxRequestConcurrency, 100 by default) and, on a 429, pauses the queue for Retry-After and
    // retries (retryConfig: tenRetriesInAboutThirtyMinutes), unless rejectRateLimitedCalls is true.
    selfThrottle: {
      how: 'queues its requests (maxRequestConcurrency) and waits out 429s for Retry-After',
      optionsIndex: 1,
      disabledBy: [
        { option: 'rejectRateLimitedCalls', when: 'true' },
        { option: 'retryConfig.retries', when: 'zero' },
        { option: 'maxRequestConcurrency', when: 'infinite' },
      ],
    },
    // api.slack.com/docs/rate-limits: per-method tiers (Tier 1 1+/min … Tier 4 100+/min; Tier 3, 50+/min, is the most common);
    // chat.postMessage about 1 message/s per channel.
    publishedLimit: 'per-method tiers, e.g. Tier 3: 50 requests/min; chat.postMessage about 1 message/s per channel',
    keyOptions: [],
    limiter: 'slack',
    declarationDirs: ['/node_modules/@slack/web-api/'],
    throttleCodemod: byHand('Slack', 'slack'),
  },
  {
    ...SAAS,
    id: 'discord-rest',
    label: 'Discord',
    modules: ['@discordjs/rest'],
    classes: ['REST'],
    methods: ['get', 'post', 'put', 'patch', 'delete', 'request', 'raw'],
    derive: ['setToken'],
    // discord.js.org/docs/packages/rest (RESTOptions): requests queue per route bucket and under the
    // global limit (globalRequestsPerSecond, 50); with rejectOnRateLimit set, a limited request rejects instead.
    selfThrottle: {
      how: 'queues requests per rate-limit bucket and under the global limit',
      optionsIndex: 0,
      disabledBy: [{ option: 'rejectOnRateLimit', when: 'set' }],
    },
    // docs.discord.com/developers/topics/rate-limits: per-route buckets, and 50 requests/s per bot globally.
    publishedLimit: '50 requests/s per bot globally, plus per-route buckets',
    keyOptions: [],
    limiter: 'discord',
    declarationDirs: ['/node_modules/@discordjs/rest/'],
    throttleCodemod: byHand('Discord', 'discord'),
  },
  {
    ...SAAS,
    id: 'discord.js',
    label: 'Discord',
    modules: ['discord.js'],
    classes: ['Client', 'REST', 'WebhookClient'],
    derive: ['setToken'],
    resources: ['channels', 'guilds', 'users', 'application'],
    minPath: 2,
    methods: ['send', 'get', 'post', 'put', 'patch', 'delete'],
    // discord.js sends through @discordjs/rest: the same queues; `rest: { rejectOnRateLimit }` (or the REST option) turns waiting off.
    selfThrottle: {
      how: 'sends through @discordjs/rest, which queues requests per rate-limit bucket',
      optionsIndex: 0,
      disabledBy: [
        { option: 'rest.rejectOnRateLimit', when: 'set' },
        { option: 'rejectOnRateLimit', when: 'set' },
      ],
    },
    publishedLimit: '50 requests/s per bot globally, plus per-route buckets',
    keyOptions: [],
    limiter: 'discord',
    declarationDirs: ['/node_modules/discord.js/'],
    throttleCodemod: byHand('discord.js', 'discord'),
  },
  {
    ...SAAS,
    id: 'telegraf',
    label: 'Telegram',
    modules: ['telegraf'],
    classes: ['Telegraf', 'Telegram'],
    resources: ['telegram'],
    minPath: 2,
    // core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this: about 30 messages/s
    // in bulk, 1 message/s per chat, 20 messages/min per group. Telegraf sends each call at once.
    publishedLimit: 'about 30 messages/s in bulk, 1 message/s per chat, 20 messages/min per group',
    keyOptions: [],
    limiter: 'telegram',
    declarationDirs: ['/node_modules/telegraf/'],
    throttleCodemod: byHand('Telegraf', 'telegram'),
  },
  {
    ...SAAS,
    id: 'node-telegram-bot-api',
    label: 'Telegram',
    modules: ['node-telegram-bot-api'],
    classes: ['default', '*', 'TelegramBot'],
    methods: [
      'sendMessage', 'sendPhoto', 'sendDocument', 'sendAudio', 'sendVideo', 'sendVoice', 'sendAnimation', 'sendSticker', 'sendMediaGroup',
      'sendLocation', 'sendPoll', 'sendChatAction', 'forwardMessage', 'copyMessage', 'editMessageText', 'editMessageReplyMarkup', 'deleteMessage',
      'answerCallbackQuery', 'getChat', 'getChatMember', 'getFile', 'pinChatMessage', 'banChatMember',
    ],
    publishedLimit: 'about 30 messages/s in bulk, 1 message/s per chat, 20 messages/min per group',
    keyOptions: [],
    limiter: 'telegram',
    declarationDirs: ['/node_modules/node-telegram-bot-api/', '/node_modules/@types/node-telegram-bot-api/'],
    throttleCodemod: byHand('node-telegram-bot-api', 'telegram'),
  },
  {
    ...SAAS,
    id: 'grammy',
    label: 'Telegram',
    modules: ['grammy'],
    classes: ['Bot', 'Api'],
    resources: ['api'],
    minPath: 2,
    methods: ['sendMessage', 'sendPhoto', 'sendDocument', 'copyMessage', 'forwardMessage', 'editMessageText', 'deleteMessage'],
    // grammy.dev/plugins/transformer-throttler: grammY sends at once; apiThrottler() installed on
    // bot.api.config queues calls to Telegram's limits (global, per chat, per group).
    selfThrottle: {
      how: 'queues calls to the Bot API limits through @grammyjs/transformer-throttler',
      optionsIndex: 1,
      disabledBy: [],
      plugins: ['@grammyjs/transformer-throttler'],
    },
    publishedLimit: 'about 30 messages/s in bulk, 1 message/s per chat, 20 messages/min per group',
    keyOptions: [],
    limiter: 'telegram',
    declarationDirs: ['/node_modules/grammy/'],
    throttleCodemod: byHand('grammY', 'telegram'),
  },
  {
    ...SAAS,
    id: 'line',
    label: 'LINE Messaging',
    modules: ['@line/bot-sdk'],
    classes: ['Client', 'MessagingApiClient'],
    namespaces: ['messagingApi'],
    methods: ['pushMessage', 'replyMessage', 'multicast', 'broadcast', 'narrowcast', 'getProfile', 'getGroupMemberProfile', 'getMessageContent', 'linkRichMenuToUser', 'showLoadingAnimation'],
    // developers.line.biz/en/reference/messaging-api/#rate-limits: per channel and endpoint, 2,000
    // requests/s for most endpoints (lower for some). The SDK sends each call at once.
    publishedLimit: '2,000 requests/s per channel for most endpoints (lower for some)',
    keyOptions: ['channelAccessToken'],
    limiter: 'line',
    declarationDirs: ['/node_modules/@line/bot-sdk/'],
    throttleCodemod: byHand('LINE', 'line'),
  },
  {
    ...SAAS,
    id: 'twilio',
    label: 'Twilio',
    modules: ['twilio'],
    classes: ['default', '*', 'Twilio'],
    factories: ['default', '*'],
    resources: ['messages', 'calls', 'conversations', 'verify', 'lookups', 'api', 'messaging', 'notify', 'studio', 'taskrouter', 'video', 'sync'],
    minPath: 2,
    // github.com/twilio/twilio-node README ("Enable Auto-Retry with Exponential Backoff"): autoRetry
    // (off by default) retries a 429 with back-off: a retry, no throttle. twilio.com/docs/errors/20429:
    // an account's concurrent requests are limited; no request rate is published.
    publishedLimit: 'no published request rate (an account concurrency limit answers 429, error 20429)',
    keyOptions: [],
    limiter: undefined,
    declarationDirs: ['/node_modules/twilio/'],
    throttleCodemod: byHand('Twilio', undefined),
  },
  {
    ...SAAS,
    id: 'sendgrid',
    label: 'SendGrid',
    modules: ['@sendgrid/mail', '@sendgrid/client'],
    classes: ['MailService', 'Client'],
    instances: ['default'],
    methods: ['send', 'sendMultiple', 'request'],
    // twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits: a number of
    // requests per refresh period per endpoint, told in X-RateLimit headers; no figure is published for mail send.
    publishedLimit: 'no published limit for mail send (per-endpoint limits in X-RateLimit headers)',
    keyOptions: [],
    limiter: undefined,
    declarationDirs: ['/node_modules/@sendgrid/mail/', '/node_modules/@sendgrid/client/'],
    throttleCodemod: byHand('SendGrid', undefined),
  },
  {
    ...SAAS,
    id: 'resend',
    label: 'Resend',
    modules: ['resend'],
    classes: ['Resend'],
    resources: ['emails', 'batch', 'contacts', 'audiences', 'broadcasts', 'domains', 'apiKeys'],
    minPath: 2,
    // resend.com/docs/api-reference/rate-limit: 2 requests/s per team by default. The SDK sends each call at once.
    publishedLimit: '2 requests/s per team',
    keyOptions: [],
    limiter: 'resend',
    declarationDirs: ['/node_modules/resend/'],
    throttleCodemod: byHand('Resend', 'resend'),
  },
  {
    ...SAAS,
    id: 'stripe',
    label: 'Stripe',
    modules: ['stripe'],
    classes: ['default', '*', 'Stripe'],
    factories: ['default', '*'],
    // `webhooks` verifies signatures locally and is left out.
    resources: [
      'customers', 'charges', 'paymentIntents', 'setupIntents', 'paymentMethods', 'subscriptions', 'subscriptionItems', 'invoices', 'invoiceItems',
      'prices', 'products', 'checkout', 'refunds', 'billingPortal', 'accounts', 'accountLinks', 'transfers', 'payouts', 'balance', 'events',
      'coupons', 'promotionCodes', 'paymentLinks', 'taxRates', 'files', 'disputes', 'quotes', 'creditNotes', 'billing', 'tax',
    ],
    minPath: 2,
    // docs.stripe.com/rate-limits: 100 operations/s in live mode, 25 in test mode, 25 requests/s per
    // endpoint by default. stripe-node's maxNetworkRetries retries: no throttle.
    publishedLimit: '100 operations/s in live mode (25 in test mode), 25 requests/s per endpoint',
    keyOptions: [],
    limiter: 'stripe',
    declarationDirs: ['/node_modules/stripe/'],
    throttleCodemod: byHand('Stripe', 'stripe'),
  },
  {
    ...SAAS,
    id: 'octokit',
    label: 'GitHub',
    modules: ['octokit'],
    classes: ['Octokit'],
    resources: ['rest', 'repos', 'issues', 'pulls', 'git', 'users', 'orgs', 'actions', 'search', 'teams', 'checks', 'reactions', 'activity', 'gists'],
    minPath: 2,
    methods: ['request', 'graphql', 'paginate'],
    // github.com/octokit/octokit.js: the `octokit` package's Octokit comes with the throttling and retry
    // plugins; github.com/octokit/plugin-throttling.js: `throttle: { enabled: false }` turns throttling off.
    selfThrottle: {
      how: 'includes @octokit/plugin-throttling, which queues requests to GitHub\'s recommended pace',
      optionsIndex: 0,
      disabledBy: [{ option: 'throttle.enabled', when: 'false' }],
    },
    // docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api: 5,000 requests/h per user
    // token; secondary limits: no more than 100 concurrent requests, 900 points/min per REST endpoint.
    publishedLimit: '5,000 requests/h per token; secondary limits of 100 concurrent requests and 900 points/min',
    keyOptions: ['auth'],
    limiter: 'github',
    declarationDirs: ['/node_modules/octokit/'],
    throttleCodemod: byHand('Octokit', 'github'),
  },
  {
    ...SAAS,
    id: 'octokit-core',
    label: 'GitHub',
    modules: ['@octokit/rest', '@octokit/core', '@actions/github'],
    classes: ['Octokit'],
    factories: ['getOctokit'],
    resources: ['rest', 'repos', 'issues', 'pulls', 'git', 'users', 'orgs', 'actions', 'search', 'teams', 'checks', 'reactions', 'activity', 'gists'],
    minPath: 2,
    methods: ['request', 'graphql', 'paginate'],
    // github.com/octokit/plugin-throttling.js: "Without the throttling plugin it would send many requests
    // in parallel and would hit rate limits very quickly"; Octokit.plugin(throttling) (or getOctokit's plugins) adds it.
    selfThrottle: {
      how: 'throttles only with @octokit/plugin-throttling applied (Octokit.plugin(throttling))',
      optionsIndex: 0,
      disabledBy: [{ option: 'throttle.enabled', when: 'false' }],
      plugins: ['@octokit/plugin-throttling'],
    },
    publishedLimit: '5,000 requests/h per token; secondary limits of 100 concurrent requests and 900 points/min',
    keyOptions: ['auth'],
    limiter: 'github',
    declarationDirs: ['/node_modules/@octokit/rest/', '/node_modules/@octokit/core/', '/node_modules/@actions/github/'],
    throttleCodemod: byHand('Octokit', 'github'),
  },
  {
    ...SAAS,
    id: 'expo',
    label: 'Expo push',
    modules: ['expo-server-sdk'],
    classes: ['Expo', 'default', '*'],
    methods: ['sendPushNotificationsAsync', 'getPushNotificationReceiptsAsync'],
    // github.com/expo/expo-server-sdk-node README: requests run at most maxConcurrentRequests (6 by
    // default) at once, and a 429 is retried with back-off. docs.expo.dev/push-notifications/faq:
    // 600 notifications/s per project.
    selfThrottle: {
      how: 'sends at most maxConcurrentRequests (6) requests at once and retries 429s with back-off',
      optionsIndex: 0,
      disabledBy: [{ option: 'maxConcurrentRequests', when: 'infinite' }],
    },
    publishedLimit: '600 notifications/s per project',
    keyOptions: ['accessToken'],
    limiter: 'expo',
    declarationDirs: ['/node_modules/expo-server-sdk/'],
    throttleCodemod: byHand('Expo', 'expo'),
  },
  {
    ...SAAS,
    id: 'qstash',
    label: 'Upstash QStash',
    modules: ['@upstash/qstash'],
    classes: ['Client'],
    resources: ['messages', 'schedules', 'urlGroups', 'topics', 'dlq', 'queue'],
    minPath: 2,
    methods: ['publish', 'publishJSON', 'batch', 'batchJSON'],
    // upstash.com/docs/qstash/api/api-ratelimiting: publishing has no requests-per-second limit, a daily
    // message quota per plan; management endpoints have a burst limit. The SDK's `retry` only retries.
    publishedLimit: 'no published per-second limit for publishing (a daily message quota per plan)',
    keyOptions: ['token'],
    limiter: undefined,
    declarationDirs: ['/node_modules/@upstash/qstash/'],
    throttleCodemod: byHand('QStash', undefined),
  },
  {
    ...SAAS,
    id: 'googleapis',
    label: 'Google APIs',
    modules: ['googleapis'],
    classes: [],
    // `google.sheets({ version, auth })` makes an API client; `google` itself is a ready export.
    instances: ['google'],
    derive: ['sheets', 'drive', 'gmail', 'calendar', 'docs', 'slides', 'youtube', 'people', 'forms', 'tasks', 'admin', 'searchconsole', 'classroom', 'analyticsdata', 'chat'],
    resources: ['spreadsheets', 'files', 'permissions', 'drives', 'users', 'events', 'calendarList', 'documents', 'presentations', 'videos', 'playlistItems', 'channels', 'search', 'people', 'forms', 'tasks', 'tasklists', 'spaces', 'properties', 'sites', 'searchanalytics'],
    minPath: 2,
    // developers.google.com (each API's "Usage limits"): per-API, per-project quotas (Sheets: 300 read
    // requests/min per project); no one limit for all. googleapis retries through gaxios: no throttle.
    publishedLimit: 'per-API quotas (no single published limit; e.g. Sheets 300 read requests/min per project)',
    keyOptions: ['auth'],
    limiter: undefined,
    declarationDirs: ['/node_modules/googleapis/'],
    throttleCodemod: byHand('Google APIs', undefined),
  },
  {
    ...SAAS,
    id: 'notion',
    label: 'Notion',
    modules: ['@notionhq/client'],
    classes: ['Client'],
    resources: ['pages', 'databases', 'dataSources', 'blocks', 'users', 'comments', 'fileUploads'],
    minPath: 2,
    methods: ['search', 'request'],
    // developers.notion.com/reference/request-limits: an average of 3 requests/s per integration. The SDK
    // retries 429s (maxRetries 2) after Retry-After: a retry, no throttle.
    publishedLimit: 'an average of 3 requests/s per integration',
    keyOptions: ['auth'],
    limiter: 'notion',
    declarationDirs: ['/node_modules/@notionhq/client/'],
    throttleCodemod: byHand('Notion', 'notion'),
  },
];
