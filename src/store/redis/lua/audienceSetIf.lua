-- audienceSetIf: write a user's audience card (a backfill: talkshop audience reindex) only if their
-- state is still at the version the card was made from; a commit since then wrote its own card.
-- KEYS[1] the user's state hash   KEYS[2] the partition's audience hash
-- ARGV[1] state version   ARGV[2] user key   ARGV[3] card JSON
-- Returns 1 (written) or 0 (the state is gone or at another version: nothing written)
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
