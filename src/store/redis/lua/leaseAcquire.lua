-- leaseAcquire: take a free partition lease with a fresh fencing token.
-- KEYS[1] lease key   KEYS[2] lease epoch counter
-- ARGV[1] worker id   ARGV[2] lease TTL in ms
-- Returns: the token "<worker id>#<epoch>", or false when someone holds the lease.
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = ARGV[1] .. '#' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
