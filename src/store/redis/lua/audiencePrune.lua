-- audiencePrune: remove a user's audience card when their state is gone (Redis expired it under
-- inactive-user retention: a hash field cannot expire with it). A commit writes the state and the
-- card together, so a card without a state is always stale; a user who wrote again has a state.
-- KEYS[1] the user's state hash   KEYS[2] the partition's audience hash   ARGV[1] user key
-- Returns 1 (removed) or 0 (the state exists, or there was no card)
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
return redis.call('HDEL', KEYS[2], ARGV[1])
