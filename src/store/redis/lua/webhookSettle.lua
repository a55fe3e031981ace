-- webhookSettle: finish a claimed try of an outgoing webhook: remove the job (delivered, or
-- dropped) or make it due again later; only for the claim that holds it.
-- KEYS[1] due sorted set (id -> due ms)   KEYS[2] jobs hash (id -> job JSON)
-- KEYS[3] claims hash (id -> "<tries>:<claim token>")   (all under the {webhooks} hash tag)
-- ARGV[1] id   ARGV[2] claim token   ARGV[3] 'remove', or the time (ms) it is due again
-- Returns: 1 done | 0 the claim does not hold the job (its lease ran out and another pump took it, or it is gone)
local state = redis.call('HGET', KEYS[3], ARGV[1])
if not state then return 0 end
local tries, token = string.match(state, '^(%d+):(.*)$')
if not token or token == '' or token ~= ARGV[2] then return 0 end
if ARGV[3] == 'remove' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], tries .. ':')
end
return 1
