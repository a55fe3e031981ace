-- commit: apply one inbox item's outcome; all of it or nothing.
-- KEYS[1] lease key   KEYS[2] cursor key   KEYS[3] user state hash
-- KEYS[4] inbox stream   KEYS[5] outbox stream   (all in one partition's hash tag)
-- ARGV[1] lease token held by the caller   ARGV[2] inbox item id   ARGV[3] expected state version
-- ARGV[4] new state JSON   ARGV[5] user key   ARGV[6..] effect JSON, appended to the outbox in order
-- Returns: {'committed', newVersion} | {'stale_version', currentVersion} | {'lease_lost'} | {'already_applied'}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lease_lost'} end
local cursor = redis.call('GET', KEYS[2]) or '0-0'
if not id_after(ARGV[2], cursor) then return {'already_applied'} end
local current = tonumber(redis.call('HGET', KEYS[3], 'v') or '0')
if current ~= tonumber(ARGV[3]) then return {'stale_version', current} end
local version = current + 1
redis.call('HSET', KEYS[3], 'v', version, 's', ARGV[4])
for i = 6, #ARGV do
  redis.call('XADD', KEYS[5], '*', 'u', ARGV[5], 'i', ARGV[2], 'e', ARGV[i])
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XDEL', KEYS[4], ARGV[2])
return {'committed', version}
