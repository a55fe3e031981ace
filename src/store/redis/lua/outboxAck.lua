-- outboxAck: record that an outbox entry was delivered (or deliberately dropped), under the lease.
-- KEYS[1] lease key   KEYS[2] outbox cursor key   KEYS[3] outbox stream
-- KEYS[4] broadcast statistics hash (`<broadcast id>|<counter>` -> count)   (one partition's hash tag)
-- ARGV[1] lease token held by the caller   ARGV[2] outbox entry id (removed from the outbox)
-- ARGV[3] where the cursor goes: an entry id, or '' to leave it (entries delivered out of order)
-- ARGV[4] a statistic to count once with the ack (HINCRBY 1 in KEYS[4]), or '' for none; counted
--   only when the entry was still in the outbox, so an ack retried after a lost answer counts once
-- Returns: 1 when recorded, 0 when the caller no longer holds the lease (nothing changed).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
local removed = redis.call('XDEL', KEYS[3], ARGV[2])
if ARGV[4] ~= '' and removed == 1 then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
return 1
