-- fastex: checks one request against every limit of a handler, then counts it in all of
-- them or in none. The arithmetic is the in-memory backend's (state/*.rs), in integer
-- microseconds, so both backends decide alike.
--
-- KEYS[i]             the counter of limit i; all share the identity's {hash tag}
-- ARGV[1]             '' to read the server's clock, or a time in µs (tests only)
-- ARGV[2]             a request id unique across instances (sliding log members)
-- ARGV[3i..3i+2]      limit i: algorithm name, times, window in µs
--
-- Returns four integers per limit: admitted (1/0), retry after µs, remaining, reset µs.

local now
-- Keys live at least this long: 1 ms normally; an hour when a test drives the clock, as
-- the real time Redis expires keys by has nothing to do with that clock.
local min_ttl_ms = 1
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
  min_ttl_ms = 3600000
else
  -- The server's clock, never a client's: instances with skewed clocks agree.
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local request_id = ARGV[2]

-- Exact integer division while the operands stay below 2^53.
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then
    q = q - 1
  elseif (q + 1) * b <= a then
    q = q + 1
  end
  return q
end

local function ceil_div(a, b)
  return idiv(a + b - 1, b)
end

-- Keeps the key until its state would read as fresh anyway.
local function expire_at(key, until_us)
  redis.call('PEXPIRE', key, math.max(min_ttl_ms, ceil_div(until_us - now, 1000)))
end

local function sliding_log(key, times, window, index)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local live = redis.call('ZCARD', key)
  if live >= times then
    local blocking = tonumber(redis.call('ZRANGE', key, live - times, live - times, 'WITHSCORES')[2])
    local newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
    return {0, blocking + window - now, 0, newest + window - now}
  end
  return {1, 0, times - live - 1, window}, function()
    -- A member per request, not per timestamp: two requests in one µs both count.
    redis.call('ZADD', key, now, request_id .. ':' .. index)
    expire_at(key, now + window)
  end
end

local function fixed_window(key, times, window)
  local state = redis.call('HMGET', key, 'e', 'c')
  local window_end, count = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if now >= window_end then
    window_end = now - math.fmod(now, window) + window
    count = 0
  end
  local reset = window_end - now
  if count >= times then
    return {0, reset, 0, reset}
  end
  return {1, 0, times - count - 1, reset}, function()
    redis.call('HSET', key, 'e', window_end, 'c', count + 1)
    expire_at(key, window_end)
  end
end

-- Smallest elapsed time into a window whose previous count is `previous` at which
-- floor(previous * (window - elapsed) / window) < allowance.
local function first_elapsed_below(previous, allowance, window)
  if previous < allowance then
    return 0
  end
  return window + 1 - ceil_div(allowance * window, previous)
end

local function sliding_window_counter(key, times, window)
  local state = redis.call('HMGET', key, 'e', 'p', 'c')
  local window_end = tonumber(state[1]) or 0
  local previous, current = tonumber(state[2]) or 0, tonumber(state[3]) or 0
  if now >= window_end then
    local next_end = now - math.fmod(now, window) + window
    if next_end == window_end + window then previous = current else previous = 0 end
    current = 0
    window_end = next_end
  end
  local start = window_end - window
  local estimate = idiv(previous * (window - math.max(0, now - start)), window) + current
  local reset = window_end + window - now
  if estimate >= times then
    local retry
    if current >= times then
      retry = window_end - now + first_elapsed_below(current, times, window)
    else
      retry = start + first_elapsed_below(previous, times - current, window) - now
    end
    return {0, retry, 0, reset}
  end
  return {1, 0, times - estimate - 1, reset}, function()
    redis.call('HSET', key, 'e', window_end, 'p', previous, 'c', current + 1)
    expire_at(key, window_end + window)
  end
end

local function gcra(key, times, window)
  local interval = ceil_div(window, times)
  local tolerance = interval * (times - 1)
  local start = math.max(tonumber(redis.call('GET', key)) or 0, now)
  local backlog = start - now
  if backlog > tolerance then
    return {0, backlog - tolerance, 0, backlog}
  end
  local tat = start + interval
  backlog = tat - now
  local remaining = 0
  if backlog <= tolerance then
    remaining = idiv(tolerance - backlog, interval) + 1
  end
  return {1, 0, remaining, backlog}, function()
    redis.call('SET', key, tat, 'PX', math.max(min_ttl_ms, ceil_div(backlog, 1000)))
  end
end

local algorithms = {
  sliding_window = sliding_log,
  fixed_window = fixed_window,
  sliding_window_counter = sliding_window_counter,
  gcra = gcra,
}

local verdicts, commits, admitted = {}, {}, true
for i = 1, #KEYS do
  local base = 3 * i
  local check = algorithms[ARGV[base]]
  if check == nil then
    return redis.error_reply('fastex: unknown algorithm ' .. tostring(ARGV[base]))
  end
  local verdict, commit = check(KEYS[i], tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), i)
  if verdict[1] == 0 then
    admitted = false
  end
  commits[i] = commit
  for j = 1, 4 do
    verdicts[4 * (i - 1) + j] = verdict[j]
  end
end
if admitted then
  for i = 1, #KEYS do
    commits[i]()
  end
end
return verdicts
