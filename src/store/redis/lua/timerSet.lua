-- timerSet: set or clear one named timer (one per slot, e.g. a user's handover timeout).
-- KEYS[1] timer sorted set (score = due time ms, member = slot)   KEYS[2] timer records hash (slot -> inbox record JSON)
-- (one partition's hash tag)
-- ARGV[1] slot   ARGV[2] due time (ms), or '' to clear the slot   ARGV[3] inbox record JSON (when setting)
-- Returns: 1 when a timer was set or removed, 0 when clearing a slot that held none.
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
