/**
 * The Lua scripts behind the Redis store. Each decision is one script, so it reads and changes a
 * limit's state in one atomic step on the server (Redis runs one script at a time), and every
 * time is taken from the server's clock (`TIME`), never from the callers'.
 *
 * Keys of one limit all carry the limit's name as a hash tag, `<prefix>:{<name>}:<part>`, so on
 * Redis Cluster they hash to one slot and a script may touch all of them. The name goes in with
 * `%`, `{` and `}` escaped (`%25`, `%7B`, `%7D`), so the tag is always exactly the whole name,
 * whatever it contains. The wake-up channel
 * carries the same tag (sharded pub/sub would route on it; classic PUBLISH, used here, reaches
 * every node's subscribers).
 *
 * Numbers cross into Redis as strings formatted with `%.17g`: Redis converts a Lua number
 * argument with `%.14g`, which would cut a millisecond timestamp (13 digits) down to a tenth of
 * a millisecond. Fractional results come back as strings for the same reason (a Lua number in a
 * reply is truncated to an integer). A retry-after of -1 means "never" (cost above capacity).
 */

/** The keys of one limit (or semaphore) named `name` under `prefix`. */
export interface RedisLimitKeys {
  /** Token bucket: hash { tokens, ts }. */
  readonly bucket: string;
  /** Sliding window: sorted set of admissions, score = admission time (ms), member = "seq:cost". */
  readonly window: string;
  /** Sliding window: hash { sum, seq }: the total cost in the set and the last member number. */
  readonly windowMeta: string;
  /** Penalty: string holding the time (ms) admissions resume, expiring then. */
  readonly penalty: string;
  /** Semaphore: sorted set of leases, score = expiry time (ms), member = holder id. */
  readonly leases: string;
  /** Pub/sub channel announcing that waiters might be admitted sooner than they were told. */
  readonly wake: string;
}

/**
 * Key names for `name` under `prefix`. The `{name}` hash tag keeps every key of the limit in one
 * Redis Cluster slot. Redis hashes the first `{…}` of a key (from the first `{` to the first `}`
 * after it), so neither part may bring braces of its own: a prefix may not contain them, and the
 * name is escaped (`hashTagName`). Without that a name such as `}x` left the keys with no tag
 * (each hashed whole, to a slot of its own: CROSSSLOT on Cluster) and `a}b` tagged them `{a}`.
 */
export function redisLimitKeys(prefix: string, name: string): RedisLimitKeys {
  const base = `${prefix}:{${hashTagName(name)}}`;
  return {
    bucket: `${base}:tb`,
    window: `${base}:sw`,
    windowMeta: `${base}:sw:meta`,
    penalty: `${base}:penalty`,
    leases: `${base}:sem`,
    wake: `${base}:wake`,
  };
}

/**
 * `name` as it goes inside a hash tag: `%` → `%25`, `{` → `%7B`, `}` → `%7D`, nothing else
 * changed. One-to-one, so two names never share keys, and a name without those three characters
 * keeps the keys it always had.
 */
export function hashTagName(name: string): string {
  return /[%{}]/.test(name) ? name.replace(/[%{}]/g, (char) => TAG_ESCAPES[char]!) : name;
}

const TAG_ESCAPES: Readonly<Record<string, string>> = { '%': '%25', '{': '%7B', '}': '%7D' };

/** What `redisLimitKeys` yields for one key, hashed as Redis Cluster does (CRC16 of the hash tag, mod 16384). */
export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % 16_384;
}

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** A script and how many of its arguments are keys. */
export interface RedisScript {
  readonly name: string;
  readonly keys: number;
  readonly lua: string;
}

/** Shared head of every script: the server's time in milliseconds, and exact number formatting. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function num(x) return string.format('%.17g', x) end
local function penalty_wait(key)
  local until_ms = tonumber(redis.call('GET', key) or '0')
  if until_ms > now then return until_ms - now end
  return 0
end
`;

/**
 * Token bucket. KEYS: bucket, penalty. ARGV: rate, perMs, burst, cost.
 * Returns { admitted (0|1), retryAfterMs (string; -1 = never), remaining (integer) }.
 *
 * A missing bucket is full. Tokens refill by `rate / perMs` per millisecond of server time since
 * the last decision, capped at `burst`. The state is written only on admission (a refusal
 * changes nothing: the refill is a pure function of the stored tokens, their time and now) and
 * expires once the bucket would be full again, when a missing key means the same thing.
 */
export const TOKEN_BUCKET: RedisScript = {
  name: 'token-bucket',
  keys: 2,
  lua: `${PRELUDE}
local rate = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = tokens + (now - ts) * rate / per
  ts = now
end
if tokens > burst then tokens = burst end
local function floor_units(x)
  if x < 0 then return 0 end
  return math.floor(x + 1e-9)
end
if cost > burst then return {0, '-1', floor_units(tokens)} end
local wait = 0
if cost - tokens > 1e-9 then wait = (cost - tokens) * per / rate end
local paused = penalty_wait(KEYS[2])
if paused > 0 or wait > 0 then
  if paused > wait then wait = paused end
  return {0, num(wait), 0}
end
tokens = tokens - cost
if tokens < 0 then tokens = 0 end
redis.call('HSET', KEYS[1], 'tokens', num(tokens), 'ts', num(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * per / rate) + 1000)
return {1, '0', floor_units(tokens)}
`,
};

/**
 * Exact sliding window. KEYS: window, windowMeta, penalty. ARGV: limit, perMs, cost.
 * Returns { admitted (0|1), retryAfterMs (string; -1 = never), remaining (integer) }.
 *
 * An admission at t counts in [t, t + perMs). Expired entries (score <= now - perMs) are taken
 * off the running sum and removed, then the call is admitted when sum + cost <= limit, as one
 * member "seq:cost" (seq counts up per window, so equal times never collide; after a lost hash
 * it continues past the highest in the log). Refused, it is told
 * when enough cost will have left: the time the oldest entries whose costs cover the excess
 * leave the window. Both keys expire one window after the newest admission.
 */
export const SLIDING_WINDOW: RedisScript = {
  name: 'sliding-window',
  keys: 3,
  lua: `${PRELUDE}
local limit = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local cutoff = now - per
local function cost_of(member)
  local c = tonumber(string.match(member, ':([^:]+)$'))
  if c == nil then return 1 end
  return c
end
local meta = redis.call('HMGET', KEYS[2], 'sum', 'seq')
local sum = tonumber(meta[1])
local seq = tonumber(meta[2]) or 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', num(cutoff))
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(cutoff))
end
local count = redis.call('ZCARD', KEYS[1])
if count == 0 then
  sum = 0
elseif sum == nil then
  -- The hash is missing (evicted, say): recount the sum from the log, and continue the member
  -- counter past the log's, so a new member never overwrites a live one.
  sum = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    sum = sum + cost_of(member)
    local s = tonumber(string.match(member, '^(%d+):'))
    if s ~= nil and s > seq then seq = s end
  end
  redis.call('HSET', KEYS[2], 'sum', num(sum), 'seq', string.format('%d', seq))
else
  for _, member in ipairs(expired) do sum = sum - cost_of(member) end
  if sum < 0 then sum = 0 end
  if #expired > 0 then redis.call('HSET', KEYS[2], 'sum', num(sum)) end
end
local function floor_units(x)
  if x < 0 then return 0 end
  return math.floor(x + 1e-9)
end
if cost > limit then return {0, '-1', floor_units(limit - sum)} end
local wait = 0
local excess = sum + cost - limit
if excess > 1e-9 then
  wait = per
  local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    excess = excess - cost_of(entries[i])
    if excess <= 1e-9 then
      wait = tonumber(entries[i + 1]) + per - now
      break
    end
  end
end
local paused = penalty_wait(KEYS[3])
if paused > 0 or wait > 0 then
  if paused > wait then wait = paused end
  return {0, num(wait), 0}
end
seq = seq + 1
redis.call('ZADD', KEYS[1], num(now), string.format('%d', seq) .. ':' .. num(cost))
sum = sum + cost
redis.call('HSET', KEYS[2], 'sum', num(sum), 'seq', string.format('%d', seq))
local ttl = math.ceil(per) + 1000
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, '0', floor_units(limit - sum)}
`,
};

/**
 * Penalty. KEYS: penalty. ARGV: ms. Pauses admissions until now + ms unless a later pause is in
 * force (penalties extend, never shorten). Returns nothing.
 */
export const PENALIZE: RedisScript = {
  name: 'penalize',
  keys: 1,
  lua: `${PRELUDE}
local ms = tonumber(ARGV[1])
local until_ms = now + ms
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current and ms > 0 then
  redis.call('SET', KEYS[1], num(until_ms), 'PX', math.ceil(ms) + 1)
end
return 0
`,
};

/**
 * Reset. KEYS: bucket, window, windowMeta, penalty. ARGV: wake channel. Forgets the rate-limit
 * state (full bucket, empty window, no penalty) and wakes the waiters.
 */
export const RESET: RedisScript = {
  name: 'reset',
  keys: 4,
  lua: `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('PUBLISH', ARGV[1], 'reset')
return 0
`,
};

/** Shared head of the semaphore scripts: drop expired leases (expiry <= now). */
const PURGE = `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now))
local function keep_until_last_expiry()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if #last == 2 then
    redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(last[2]) - now) + 1000)
  end
end
`;

/**
 * Semaphore acquire. KEYS: leases. ARGV: limit, holderId, ttlMs.
 * Returns { acquired (0|1), holders (integer), retryAfterMs (string) }.
 *
 * A holder that already has a live lease renews it and is told it holds it (a retry after a
 * lost reply must not take a second permit). Otherwise it gets a lease when fewer than `limit`
 * are live; refused, it is told when the earliest lease expires.
 */
export const SEMAPHORE_ACQUIRE: RedisScript = {
  name: 'semaphore-acquire',
  keys: 1,
  lua: `${PURGE}
local limit = tonumber(ARGV[1])
local holder = ARGV[2]
local ttl = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], holder) then
  redis.call('ZADD', KEYS[1], num(now + ttl), holder)
  keep_until_last_expiry()
  return {1, redis.call('ZCARD', KEYS[1]), '0'}
end
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], num(now + ttl), holder)
  keep_until_last_expiry()
  return {1, count + 1, '0'}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(first[2]) - now
if wait < 0 then wait = 0 end
return {0, count, num(wait)}
`,
};

/** Semaphore renew. KEYS: leases. ARGV: holderId, ttlMs. Returns 1 when renewed, 0 when the lease had expired. */
export const SEMAPHORE_RENEW: RedisScript = {
  name: 'semaphore-renew',
  keys: 1,
  lua: `${PURGE}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', num(now + tonumber(ARGV[2])), ARGV[1])
keep_until_last_expiry()
return 1
`,
};

/**
 * Semaphore release. KEYS: leases. ARGV: holderId, wake channel. Ends the lease and, when there
 * was one, announces the free permit. Returns 1 when a live lease ended.
 */
export const SEMAPHORE_RELEASE: RedisScript = {
  name: 'semaphore-release',
  keys: 1,
  lua: `${PURGE}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 1 then redis.call('PUBLISH', ARGV[2], 'release') end
return removed
`,
};

/**
 * Semaphore holders (read only). KEYS: leases. Returns the live leases as a flat list
 * { holderId, expiresInMs (string), … }, earliest expiry first.
 */
export const SEMAPHORE_HOLDERS: RedisScript = {
  name: 'semaphore-holders',
  keys: 1,
  lua: `${PRELUDE}
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. num(now), '+inf', 'WITHSCORES')
local out = {}
for i = 1, #entries, 2 do
  out[#out + 1] = entries[i]
  out[#out + 1] = num(tonumber(entries[i + 1]) - now)
end
return out
`,
};

/** Every script, for loading them ahead of the first call. */
export const REDIS_SCRIPTS: readonly RedisScript[] = [
  TOKEN_BUCKET,
  SLIDING_WINDOW,
  PENALIZE,
  RESET,
  SEMAPHORE_ACQUIRE,
  SEMAPHORE_RENEW,
  SEMAPHORE_RELEASE,
  SEMAPHORE_HOLDERS,
];
