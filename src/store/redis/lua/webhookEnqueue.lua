-- webhookEnqueue: queue an outgoing webhook, due now, unless its id was enqueued within the dedupe
-- window (a replayed outbox entry) or the queue is full.
-- KEYS[1] due sorted set (id -> due ms)   KEYS[2] jobs hash (id -> job JSON)
-- KEYS[3] claims hash (id -> "<tries>:<claim token>")   KEYS[4] seen sorted set (id -> duplicate until, ms)
--   (all under the {webhooks} hash tag)
-- ARGV[1] id   ARGV[2] job JSON   ARGV[3] now (ms)   ARGV[4] duplicate until (ms)   ARGV[5] most jobs queued
-- Returns: 'enqueued' | 'duplicate' | 'full' (nothing written for the last two)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[4], ARGV[1]) or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'duplicate' end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], '0:')
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return 'enqueued'
