-- A fixed window counted with INCRBY: the simplest custom script for fastex.
--
-- KEYS[1]  the counter's key
-- ARGV[1]  times: units admitted per window
-- ARGV[2]  the window in milliseconds
-- ARGV[3]  what one request costs (optional, 1 by default): an extra parameter
--
-- Returns {retry_after_ms, current}: a retry above 0 refuses the request. Refused requests
-- count too, as in the classic INCR limiter.

local current = redis.call('INCRBY', KEYS[1], tonumber(ARGV[3] or '1'))
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if current > tonumber(ARGV[1]) then
  return {math.max(1, redis.call('PTTL', KEYS[1])), current}
end
return {0, current}
