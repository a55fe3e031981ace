-- broadcastCreate: create a broadcast's record, once.
-- KEYS[1] the broadcast's hash   KEYS[2] index sorted set (id -> created at)   KEYS[3] active set
--   (all under the {broadcasts} hash tag)
-- ARGV[1] broadcast id   ARGV[2] created at (ms, the index score)   ARGV[3] 1 when the status is
--   scheduled, running or paused (the id joins the active set), else 0
-- ARGV[4..] the record's fields as field, value pairs (d, s, c, b, t, u and, when set, m)
-- Returns: 1 created | 0 a broadcast with this id exists (or existed: nothing written)
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[1]) end
return 1
