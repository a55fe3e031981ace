-- commit: apply a batch of one partition's inbox items, in order; each item all or nothing.
-- KEYS[1] lease key   KEYS[2] cursor key   KEYS[3] inbox stream   KEYS[4] outbox stream
-- KEYS[5] thread list hash (user key -> thread mark JSON)
-- KEYS[6] audience index hash (user key -> audience card JSON)
-- KEYS[7] broadcast statistics hash (`<broadcast id>|<counter>` -> count)
-- KEYS[7+i] user state hash of item i, for i = 1..n; KEYS[7+n+i] that user's delivery-facts hash
--   (all keys in one partition's hash tag)
-- ARGV[1] lease token held by the caller   ARGV[2] n, the number of items
-- then for each item, in order: item id, user key, expected state version, new state JSON ('' =
--   write no state: the item leaves nothing to keep about the user; the version stays),
--   thread mark ('' = leave the list alone, '-' = remove the user, else the mark JSON to store),
--   audience card (same convention: '' = unchanged, '-' = remove, else the card JSON),
--   send facts (field f of the state hash, written with the state; '' = none: removed),
--   expire-at (ms since the epoch when Redis drops the user's state and delivery facts; '' = keep
--   them: any earlier expiry is removed), e = number of effects, and e pairs of
--   (format version, effect JSON), appended to the outbox in order as entries
--   {u = user key, i = item id, v = version, e = effect JSON},
--   then s = number of statistics and s field names, each counted once (HINCRBY 1) in KEYS[7]
--   when the item is applied, so a replayed item never counts twice
-- Returns: {'committed', r1, …, rn} where ri = 1 (applied) or 0 (id at or before the cursor: skipped)
--        | {'stale_version', i, current}: items before i (1-based) were applied; i and later were not
--        | {'lease_lost'}: nothing was applied
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lease_lost'} end
local cursor = redis.call('GET', KEYS[2]) or '0-0'
local n = tonumber(ARGV[2])
local results = {'committed'}
local a = 3
for i = 1, n do
  local id, user, expected, state, mark = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4]
  local card, facts, expireAt, e = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], tonumber(ARGV[a + 8])
  local key, delivery = KEYS[7 + i], KEYS[7 + n + i]
  local s = tonumber(ARGV[a + 9 + 2 * e])
  if not id_after(id, cursor) then
    results[#results + 1] = 0
  else
    local current = tonumber(redis.call('HGET', key, 'v') or '0')
    if current ~= expected then return {'stale_version', i, current} end
    if state ~= '' then
      redis.call('HSET', key, 'v', current + 1, 's', state)
      if facts == '' then redis.call('HDEL', key, 'f') else redis.call('HSET', key, 'f', facts) end
      -- Inactive-user retention: the user's data goes at once when the time has passed (an expiry in
      -- the past deletes the key), and a write without one (the setting is off) keeps it for good.
      if expireAt == '' then
        redis.call('PERSIST', key)
        redis.call('PERSIST', delivery)
      else
        redis.call('PEXPIREAT', key, expireAt)
        redis.call('PEXPIREAT', delivery, expireAt)
      end
    end
    if mark == '-' then redis.call('HDEL', KEYS[5], user) elseif mark ~= '' then redis.call('HSET', KEYS[5], user, mark) end
    if card == '-' then redis.call('HDEL', KEYS[6], user) elseif card ~= '' then redis.call('HSET', KEYS[6], user, card) end
    for j = 1, e do
      redis.call('XADD', KEYS[4], '*', 'u', user, 'i', id, 'v', ARGV[a + 7 + 2 * j], 'e', ARGV[a + 8 + 2 * j])
    end
    for k = 1, s do redis.call('HINCRBY', KEYS[7], ARGV[a + 9 + 2 * e + k], 1) end
    redis.call('SET', KEYS[2], id)
    redis.call('XDEL', KEYS[3], id)
    cursor = id
    results[#results + 1] = 1
  end
  a = a + 10 + 2 * e + s
end
return results
