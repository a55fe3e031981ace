-- rateLimit: a token bucket shared by every process, timed by the Redis server's clock (TIME),
-- so processes on different hosts agree. The arithmetic is src/store/tokenBucket.ts's: keep in step.
-- One key per call: on Redis Cluster each bucket's script runs on its own slot (no hash tag needed).
-- KEYS[1]  the bucket hash: t = tokens (fractional), at = when t was computed (ms), p = paused until (ms)
-- ARGV[1]  'take' or 'pause'
--   take:  ARGV[2] rate (tokens per second)  ARGV[3] burst (capacity, >= 1)
--          ARGV[4] reserve: tokens that must remain after the take (0 for live, > 0 for bulk and cosmetics)
--          ARGV[5] count: most tokens to take (>= 1); as many as the bucket holds above the reserve
--   pause: ARGV[2] duration in ms; extends a running pause, never shortens it; the bucket resumes
--          with one token at the pause's end
-- Returns: take  -> {1, 0, granted count (>= 1)} | {0, retry in ms (>= 1), 0} not granted (paused, or too few tokens)
--          pause -> {1, paused until (ms, server clock)}
-- A missing bucket is full. Idle buckets expire once they would have refilled completely.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local h = redis.call('HMGET', KEYS[1], 't', 'at', 'p')
local paused = tonumber(h[3]) or 0

if ARGV[1] == 'pause' then
  local untilMs = now + tonumber(ARGV[2])
  if untilMs > paused then
    redis.call('HSET', KEYS[1], 't', 1, 'at', untilMs, 'p', untilMs)
    redis.call('PEXPIRE', KEYS[1], math.ceil(untilMs - now) + 60000)
    paused = untilMs
  end
  return {1, math.floor(paused)}
end

if paused > now then return {0, math.ceil(paused - now), 0} end
local burst = tonumber(ARGV[3])
local ratePerMs = tonumber(ARGV[2]) / 1000
local tokens = tonumber(h[1]) or burst
local at = tonumber(h[2]) or now
if now > at then tokens = tokens + (now - at) * ratePerMs end
if tokens > burst then tokens = burst end
local need = 1 + tonumber(ARGV[4])
if tokens < need then return {0, math.max(1, math.ceil((need - tokens) / ratePerMs)), 0} end
local count = math.min(tonumber(ARGV[5]), math.floor(tokens - tonumber(ARGV[4])))
redis.call('HSET', KEYS[1], 't', tokens - count, 'at', now, 'p', 0)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / ratePerMs) + 1000)
return {1, 0, count}
