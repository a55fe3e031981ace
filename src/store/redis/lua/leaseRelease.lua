-- leaseRelease: drop a lease only if the caller still holds it.
-- KEYS[1] lease key   ARGV[1] token
-- Returns: 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
