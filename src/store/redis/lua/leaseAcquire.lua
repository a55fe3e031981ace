-- leaseAcquire: take a free partition lease with a fresh fencing token.
-- KEYS[1] lease key   KEYS[2] lease epoch counter   KEYS[3] open-lease marker (the last token not released)
-- ARGV[1] worker id   ARGV[2] lease TTL in ms
-- Returns: false when someone holds the lease, else { token "<worker id>#<epoch>", 1 when the previous
-- lease was never released (its holder crashed, froze past its TTL or lost it) else 0 }.
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = ARGV[1] .. '#' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
local unreleased = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], token)
if unreleased then return { token, 1 } end
return { token, 0 }
