-- unmatchedCount: counts one text the bot did not understand on one day, keeping the day bounded.
-- KEYS[1] the day's sorted set (member '<f|s>:<normalised text>', score = count; hash tag {insights})
-- ARGV[1] member   ARGV[2] most members the day keeps   ARGV[3] when the day's counts expire (ms, PEXPIREAT)
-- Returns: 1 when the day's least counted member was dropped to make room for a new one, else 0.
local dropped = 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    redis.call('ZPOPMIN', KEYS[1])
    dropped = 1
  end
end
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return dropped
