-- timersFire: move due timers of one or more partitions into their inboxes, each under its lease,
-- so a timer is applied in the user's lane like any event (and, being in the inbox, survives a
-- crash from here on). Several partitions in one call only where their keys may share a script
-- (one Redis; on a Redis Cluster one call per partition: each partition is its own hash tag).
-- KEYS, 4 per partition: lease key, timer sorted set (score = due time ms, member = slot),
--   timer records hash (slot -> inbox record JSON), inbox stream   (one partition's hash tag)
-- ARGV[1] now (ms, the service's clock)   ARGV[2] most timers to move per partition
-- ARGV[3..] the lease token held for each partition, in KEYS order
-- Returns: per partition, the number of timers moved, or -1 when the caller does not hold its lease.
local moved = {}
for p = 0, #KEYS / 4 - 1 do
  local lease, timers, records, inbox = KEYS[p * 4 + 1], KEYS[p * 4 + 2], KEYS[p * 4 + 3], KEYS[p * 4 + 4]
  if redis.call('GET', lease) ~= ARGV[p + 3] then
    moved[p + 1] = -1
  else
    local due = redis.call('ZRANGEBYSCORE', timers, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
    for _, slot in ipairs(due) do
      local record = redis.call('HGET', records, slot)
      if record then redis.call('XADD', inbox, '*', 'r', record) end
      redis.call('ZREM', timers, slot)
      redis.call('HDEL', records, slot)
    end
    moved[p + 1] = #due
  end
end
return moved
