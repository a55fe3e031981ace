-- broadcastCampaign: record a broadcast's Marketing Messages campaign unless one is recorded.
-- KEYS[1] the broadcast's hash
-- ARGV[1] the campaign (Meta's message_id)
-- Returns: the campaign kept (the first one recorded) | false when there is no such broadcast
--   (nothing written: a lone campaign field would be a record without a definition)
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'm', ARGV[1])
return redis.call('HGET', KEYS[1], 'm')
