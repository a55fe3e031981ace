-- webhookClaim: claim due outgoing webhooks for one try each: the try is counted and the job is
-- due again at the lease's end, so a pump that dies mid-try leaves it to another one.
-- KEYS[1] due sorted set (id -> due ms)   KEYS[2] jobs hash (id -> job JSON)
-- KEYS[3] claims hash (id -> "<tries>:<claim token>")   (all under the {webhooks} hash tag)
-- ARGV[1] now (ms)   ARGV[2] most jobs to claim   ARGV[3] lease end (ms)   ARGV[4] claim token
-- Returns: a flat array id, job JSON, tries (this one counted), … in due order
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local job = redis.call('HGET', KEYS[2], id)
  if job then
    local state = redis.call('HGET', KEYS[3], id) or '0:'
    local tries = (tonumber(string.match(state, '^(%d+)')) or 0) + 1
    redis.call('HSET', KEYS[3], id, tries .. ':' .. ARGV[4])
    redis.call('ZADD', KEYS[1], ARGV[3], id)
    out[#out + 1] = id
    out[#out + 1] = job
    out[#out + 1] = tries
  else
    -- A due entry without its job (left by hand edits): nothing to send.
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
return out
