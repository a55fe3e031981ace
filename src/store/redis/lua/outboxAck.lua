-- outboxAck: record that outbox entries were delivered (or deliberately dropped), under the lease,
-- in one step (the sender acknowledges what its lanes finished together).
-- KEYS[1] lease key   KEYS[2] outbox cursor key   KEYS[3] outbox stream
-- KEYS[4] broadcast statistics hash (`<broadcast id>|<counter>` -> count)   (one partition's hash tag)
-- ARGV[1] lease token held by the caller
-- ARGV[2] where the cursor goes: an entry id, or '' to leave it (entries delivered out of order)
-- ARGV[3] n, then n pairs: outbox entry id (removed from the outbox), and a statistic to count once
--   with it (HINCRBY 1 in KEYS[4]) or '' for none; counted only when the entry was still in the
--   outbox, so an ack retried after a lost answer counts once
-- Returns: 1 when recorded, 0 when the caller no longer holds the lease (nothing changed).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
for i = 1, tonumber(ARGV[3]) do
  local id, stat = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  local removed = redis.call('XDEL', KEYS[3], id)
  if stat ~= '' and removed == 1 then redis.call('HINCRBY', KEYS[4], stat, 1) end
end
return 1
