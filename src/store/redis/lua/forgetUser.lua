-- forgetUser: erase one user from their partition (the admin `forget` command, in the user's lane).
-- KEYS[1] lease key   KEYS[2] cursor key   KEYS[3] inbox stream   KEYS[4] the user's state hash
-- KEYS[5] the user's delivery-facts hash   KEYS[6] thread list hash   KEYS[7] audience hash
-- KEYS[8] outbox stream   KEYS[9] timer sorted set   KEYS[10] timer records hash
-- KEYS[11] set-aside stream   KEYS[12] tombstone hash   (all in one partition's hash tag)
-- ARGV[1] lease token held by the caller   ARGV[2] the forget item's id   ARGV[3] user key
-- ARGV[4] the user's PSID (to recognise their set-aside items)   ARGV[5] tombstone id (a digest
--   of the user key, so the tombstone does not name them)   ARGV[6] when (ms)
-- Returns: 'forgotten' | 'already_applied' (the cursor is at or past the item: nothing changed)
--        | 'lease_lost' (nothing changed)
-- Inbox items of the user after the forget item are left alone: they wrote again, and those
-- events start a new conversation. Cost: one pass over the partition's outbox (1,000 entries a
-- read) and set-aside stream (capped), inside this script so nothing interleaves.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease_lost' end
local cursor = redis.call('GET', KEYS[2]) or '0-0'
if not id_after(ARGV[2], cursor) then return 'already_applied' end
local user, psid = ARGV[3], ARGV[4]

redis.call('DEL', KEYS[4], KEYS[5])
redis.call('HDEL', KEYS[6], user)
redis.call('HDEL', KEYS[7], user)

-- Outbox entries {u = user key, i, v, e} not yet delivered.
local start = '-'
while true do
  local batch = redis.call('XRANGE', KEYS[8], start, '+', 'COUNT', 1000)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'u' and fields[i + 1] == user then redis.call('XDEL', KEYS[8], entry[1]) end
    end
  end
  if #batch < 1000 then break end
  start = '(' .. batch[#batch][1]
end

-- Timers: slots are "<user key>|<timer name>" (threadEffects.ts timerSlot).
local prefix = user .. '|'
for _, slot in ipairs(redis.call('ZRANGE', KEYS[9], 0, -1)) do
  if string.sub(slot, 1, #prefix) == prefix then
    redis.call('ZREM', KEYS[9], slot)
    redis.call('HDEL', KEYS[10], slot)
  end
end

-- Set-aside items whose record is the user's; an unreadable one if its text names them at all.
for _, entry in ipairs(redis.call('XRANGE', KEYS[11], '-', '+')) do
  local fields, raw = entry[2], ''
  for i = 1, #fields, 2 do if fields[i] == 'r' then raw = fields[i + 1] end end
  local ok, record = pcall(cjson.decode, raw)
  local theirs
  if ok and type(record) == 'table' and type(record.event) == 'table' then
    theirs = record.event.userId == psid
  else
    theirs = string.find(raw, psid, 1, true) ~= nil
  end
  if theirs then redis.call('XDEL', KEYS[11], entry[1]) end
end

redis.call('HSET', KEYS[12], ARGV[5], ARGV[6])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return 'forgotten'
