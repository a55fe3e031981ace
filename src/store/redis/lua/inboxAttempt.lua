-- inboxAttempt: count one more attempt at applying an inbox item.
-- KEYS[1] the partition's attempt hash {id = item id, n = attempts}
-- ARGV[1] item id
-- Returns: the item's attempt count including this one (1 when another item was attempted last).
-- One hash per partition: items are applied in order, so only the latest item's count matters.
-- It expires a day after the last attempt, so an idle partition leaves nothing behind.
local n = 1
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0') + 1 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'n', n)
redis.call('PEXPIRE', KEYS[1], 86400000)
return n
