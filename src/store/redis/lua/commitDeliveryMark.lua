-- commitDeliveryMark: record what the sender learned about a user (e.g. unreachable since when)
-- in the user's delivery-facts hash, which lives exactly as long as the user's state: it takes the
-- state's expiry (inactive-user retention), so the facts never outlive the user they are about.
-- KEYS[1] delivery-facts hash   KEYS[2] the user's state hash (same partition hash tag)
-- ARGV[1] field   ARGV[2] value
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
