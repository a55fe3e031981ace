-- leaseRelease: drop a lease only if the caller still holds it.
-- KEYS[1] lease key   KEYS[2] open-lease marker   ARGV[1] token
-- Returns: 1 when released, 0 otherwise.
-- The marker goes with it: the next holder knows this one let go after finishing its items.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return redis.call('DEL', KEYS[1])
