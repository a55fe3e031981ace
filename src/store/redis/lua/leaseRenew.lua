-- leaseRenew: extend a lease only if the caller still holds it.
-- KEYS[1] lease key   ARGV[1] token   ARGV[2] lease TTL in ms
-- Returns: 1 when extended, 0 when the lease is gone or held by another token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
