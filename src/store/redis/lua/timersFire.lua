-- timersFire: move a partition's due timers into its inbox, under the lease, so a timer is applied
-- in the user's lane like any event (and, being in the inbox, survives a crash from here on).
-- KEYS[1] lease key   KEYS[2] timer sorted set (score = due time ms, member = slot)
-- KEYS[3] timer records hash (slot -> inbox record JSON)   KEYS[4] inbox stream   (one partition's hash tag)
-- ARGV[1] lease token   ARGV[2] now (ms, the service's clock)   ARGV[3] most timers to move
-- Returns: the number of timers moved, or -1 when the caller does not hold the lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, slot in ipairs(due) do
  local record = redis.call('HGET', KEYS[3], slot)
  if record then redis.call('XADD', KEYS[4], '*', 'r', record) end
  redis.call('ZREM', KEYS[2], slot)
  redis.call('HDEL', KEYS[3], slot)
end
return #due
