/**
 * The Lua scripts behind RedisStore: each call is one atomic round trip, timed by Redis `TIME` so that
 * replicas with skewed clocks still share one timeline. They do what gcra.ts does, in the same order.
 *
 * Units: time is integer microseconds since the epoch (`TIME` gives it exactly; doubles hold it exactly
 * up to 2^53). A rate counter is a string holding its TAT in µs, written with string.format('%.0f')
 * because Lua 5.1's tostring keeps only 14 significant digits. A concurrency counter is a sorted set of
 * lease ids scored by expiry (µs). A budget counter is an integer of spent micro-dollars. Replies are
 * integers only (Redis truncates Lua numbers to integers): durations in µs, and -1 for "never".
 *
 * Every key a script touches is in KEYS (Redis 7 requires it); ioredis adds the store's key prefix.
 */

/** Helpers shared by the scripts (prepended to each). */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function fmt(x) return string.format('%.0f', x) end
local function shift(units, limit, period)
  local x = units * period / limit
  if x >= 0 then return math.floor(x) end
  return math.ceil(x)
end
local function tatOf(key)
  local stored = tonumber(redis.call('GET', key))
  if stored and stored > now then return stored end
  return now
end
local function remaining(tat, limit, period)
  local r = math.floor((period - (tat - now)) * limit / period + 1e-9)
  if r < 0 then return 0 end
  return r
end
-- A lease set lives as long as its longest lease.
local function touchLeases(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', key, fmt(math.ceil((tonumber(last[2]) - now) / 1000))) end
end
`;

/**
 * Admission. KEYS: one per check, required checks first, then each candidate group's checks in order.
 * ARGV[1] lease id, ARGV[2] number of required checks, ARGV[3] number of groups G, ARGV[4..3+G] group
 * sizes, then four values per check (in KEYS order): kind and three numbers —
 *   'r' rate: limit, periodUs, amount | 'c' concurrency: limit, ttlUs, 0 | 'b' budget: limitMicros, periodEndsAtUs, 0.
 * Reply: { admitted 0|1, candidate index or -1, refused check index (0-based over KEYS) or -1,
 *          retryAfterUs (-1 never), then remaining and resetUs for each required rate check in order }.
 * Subjects are assumed distinct within one admission (each check is judged against the stored state).
 */
export const ADMIT_LUA = `${PRELUDE}
local lease = ARGV[1]
local nreq = tonumber(ARGV[2])
local ngroups = tonumber(ARGV[3])
local base = 3 + ngroups
local function arg(i, n) return ARGV[base + (i - 1) * 4 + n] end

-- Returns ok, retryUs (-1 never), TAT now, TAT after taking (rate only).
local function check(i)
  local kind, a, b, c = arg(i, 1), tonumber(arg(i, 2)), tonumber(arg(i, 3)), tonumber(arg(i, 4))
  local key = KEYS[i]
  if kind == 'r' then
    local tat = tatOf(key)
    if c > a or a <= 0 then return false, -1, tat, tat end
    local nxt = tat + shift(c, a, b)
    if nxt - now > b then return false, nxt - b - now, tat, tat end
    return true, 0, tat, nxt
  elseif kind == 'c' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
    if redis.call('ZSCORE', key, lease) then return true, 0, 0, 0 end
    if a <= 0 then return false, -1, 0, 0 end
    if redis.call('ZCARD', key) < a then return true, 0, 0, 0 end
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return false, tonumber(first[2]) - now, 0, 0
  else
    local spent = tonumber(redis.call('GET', key) or '0')
    if spent < a then return true, 0, 0, 0 end
    return false, math.max(b - now, 0), 0, 0
  end
end

local function take(i, nxt)
  local kind = arg(i, 1)
  if kind == 'r' then
    redis.call('SET', KEYS[i], fmt(nxt), 'PX', fmt(math.floor((nxt - now) / 1000) + 1000))
  elseif kind == 'c' then
    redis.call('ZADD', KEYS[i], fmt(now + tonumber(arg(i, 3))), lease)
    touchLeases(KEYS[i])
  end
end

-- Is retry a later than retry b? (-1 is never, later than anything.)
local function later(x, y)
  if x == -1 then return y ~= -1 end
  if y == -1 then return false end
  return x > y
end

local tats, nexts = {}, {}
local refused, retry = -1, 0
for i = 1, nreq do
  local ok, r, tat, nxt = check(i)
  tats[i], nexts[i] = tat, nxt
  if not ok and refused == -1 then refused, retry = i - 1, r end
end

local chosen, first, size = -1, nreq, 0
if refused == -1 then
  local best, bestRetry = -1, 0
  for g = 1, ngroups do
    size = tonumber(ARGV[3 + g])
    local worst, worstRetry = -1, 0
    for j = first + 1, first + size do
      local ok, r, tat, nxt = check(j)
      nexts[j] = nxt
      if not ok and (worst == -1 or later(r, worstRetry)) then worst, worstRetry = j - 1, r end
    end
    if worst == -1 then chosen = g - 1 break end
    if best == -1 or later(bestRetry, worstRetry) then best, bestRetry = worst, worstRetry end
    first = first + size
  end
  if ngroups > 0 and chosen == -1 then refused, retry = best, bestRetry end
end

local admitted = 0
if refused == -1 then
  admitted = 1
  for i = 1, nreq do take(i, nexts[i]) end
  if chosen >= 0 then for j = first + 1, first + size do take(j, nexts[j]) end end
end

local reply = { admitted, chosen, refused, retry }
for i = 1, nreq do
  if arg(i, 1) == 'r' then
    local tat = tats[i]
    if admitted == 1 then tat = nexts[i] end
    local a, b = tonumber(arg(i, 2)), tonumber(arg(i, 3))
    reply[#reply + 1] = remaining(tat, a, b)
    reply[#reply + 1] = tat - now
  end
end
return reply
`;

/**
 * Settlement of a batch of finished requests. ARGV[1..4]: R rate deltas, L leases, S spends, U usage
 * entries. KEYS: R rate keys, L lease-set keys, S budget keys, then per usage entry its day and month
 * hashes. ARGV after that: per rate limit, periodUs, delta; per lease its id; per spend micros and
 * expireAtMs (period end + a day); per usage entry requests, prompt, completion, usdMicros, dayTtlMs, monthTtlMs.
 */
export const SETTLE_LUA = `${PRELUDE}
local nr, nl, ns, nu = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local k, a = 0, 4
for _ = 1, nr do
  k = k + 1
  local limit, period, delta = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 3
  -- A refund never moves the TAT before now; a counter back at now is full: drop it.
  local tat = math.max(tatOf(KEYS[k]) + shift(delta, limit, period), now)
  if tat > now then
    redis.call('SET', KEYS[k], fmt(tat), 'PX', fmt(math.floor((tat - now) / 1000) + 1000))
  else
    redis.call('DEL', KEYS[k])
  end
end
for _ = 1, nl do
  k, a = k + 1, a + 1
  redis.call('ZREM', KEYS[k], ARGV[a])
end
for _ = 1, ns do
  k = k + 1
  redis.call('INCRBY', KEYS[k], ARGV[a + 1])
  redis.call('PEXPIREAT', KEYS[k], ARGV[a + 2])
  a = a + 2
end
for _ = 1, nu do
  for i = 1, 2 do
    local key = KEYS[k + i]
    redis.call('HINCRBY', key, 'requests', ARGV[a + 1])
    redis.call('HINCRBY', key, 'prompt_tokens', ARGV[a + 2])
    redis.call('HINCRBY', key, 'completion_tokens', ARGV[a + 3])
    redis.call('HINCRBY', key, 'usd_micros', ARGV[a + 4])
    redis.call('PEXPIRE', key, ARGV[a + 4 + i])
  end
  k, a = k + 2, a + 6
end
return 1
`;

/** Lease renewal. KEYS: lease-set keys; ARGV: lease id and ttlUs per key. A lapsed lease stays lapsed. */
export const RENEW_LUA = `${PRELUDE}
for i = 1, #KEYS do
  local id, ttl = ARGV[i * 2 - 1], tonumber(ARGV[i * 2])
  local score = tonumber(redis.call('ZSCORE', KEYS[i], id))
  if score and score > now then
    redis.call('ZADD', KEYS[i], 'XX', fmt(now + ttl), id)
    touchLeases(KEYS[i])
  end
end
return 1
`;

/**
 * Read without taking. KEYS: one per check; ARGV: kind, limit, periodUs per check ('r' rate, 'b' budget,
 * anything else ignored). Reply: two integers per check: rate remaining and resetUs; budget spent and 0.
 */
export const PEEK_LUA = `${PRELUDE}
local reply = {}
for i = 1, #KEYS do
  local kind, limit, period = ARGV[i * 3 - 2], tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  if kind == 'r' then
    local tat = tatOf(KEYS[i])
    reply[#reply + 1] = remaining(tat, limit, period)
    reply[#reply + 1] = tat - now
  elseif kind == 'b' then
    reply[#reply + 1] = tonumber(redis.call('GET', KEYS[i]) or '0')
    reply[#reply + 1] = 0
  else
    reply[#reply + 1] = 0
    reply[#reply + 1] = 0
  end
end
return reply
`;
