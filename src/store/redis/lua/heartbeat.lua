-- heartbeat: mark a worker alive and count the live ones, on the server's clock (no skew).
-- KEYS[1] sorted set of workers scored by expiry time (ms)
-- ARGV[1] worker id   ARGV[2] TTL in ms
-- Returns: the number of live workers, this one included.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return redis.call('ZCARD', KEYS[1])
