-- inboxSetAside: set an inbox item aside (never applied) and let the partition go on after it.
-- KEYS[1] lease key   KEYS[2] cursor key   KEYS[3] inbox stream   KEYS[4] set-aside stream
-- KEYS[5] attempt hash   (all in one partition's hash tag)
-- ARGV[1] lease token held by the caller   ARGV[2] item id   ARGV[3] reason   ARGV[4] attempts
-- ARGV[5] detail (why, for a person)   ARGV[6] how many set-aside entries to keep
-- Returns: 'set_aside' | 'already_applied' (the cursor is at or past the item: nothing changed)
--        | 'lease_lost' (nothing changed)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease_lost' end
local cursor = redis.call('GET', KEYS[2]) or '0-0'
if not id_after(ARGV[2], cursor) then return 'already_applied' end
local found = redis.call('XRANGE', KEYS[3], ARGV[2], ARGV[2])
local raw = ''
if found[1] then
  local fields = found[1][2]
  for i = 1, #fields, 2 do if fields[i] == 'r' then raw = fields[i + 1] end end
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'i', ARGV[2], 'why', ARGV[3], 'n', ARGV[4], 'd', ARGV[5], 'r', raw)
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[5])
return 'set_aside'
