-- broadcastStatus: move a broadcast's status if it is one of the expected ones (compare-and-set).
-- KEYS[1] the broadcast's hash   KEYS[2] active set   (both under the {broadcasts} hash tag)
-- ARGV[1] broadcast id   ARGV[2] the new status   ARGV[3] 1 when the new status is scheduled,
--   running or paused (the id joins the active set), else 0 (it leaves)   ARGV[4] when (ms)
-- ARGV[5..] the statuses it may move from
-- Returns: 1 moved | 0 the status is none of them, or there is no such broadcast (nothing written)
local current = redis.call('HGET', KEYS[1], 's')
if not current then return 0 end
local allowed = false
for i = 5, #ARGV do if ARGV[i] == current then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[2], 'u', ARGV[4])
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
