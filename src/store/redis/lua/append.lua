-- append: dedupe and append webhook events to one inbox partition, atomically per event.
-- KEYS[1]      inbox stream of the partition
-- KEYS[2..n+1] dedupe key of each event (same partition hash tag)
-- ARGV[1]      dedupe TTL in seconds
-- ARGV[2..n+1] inbox record JSON of each event, in arrival order
-- Returns: the number of events appended (the rest were duplicates).
local appended = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], '*', 'r', ARGV[i])
    appended = appended + 1
  end
end
return appended
