/*
 * The lease's Redis side, each step one Lua script so no other client runs in between.
 * Keys: KEYS[1] the lease ("<token>:<owner>", PX ttl), KEYS[2] the fencing counter
 * (never expires), KEYS[3] the quarantine after Redis lost its memory.
 */

/**
 * ARGV: owner, ttl ms, floor. Returns {token, "", 0} on success, else
 * {0, holder value or "", pttl}. A missing counter means a Redis that never saw this
 * lease or forgot it (restart without persistence): a holder from before may still
 * believe it holds, so nobody acquires for one ttl — by then that holder's own
 * deadline (sentAt + ttl − drift) has passed. The counter restarts at the floor the
 * caller read from Postgres, so tokens keep growing across the restart.
 */
export const ACQUIRE = `
local counter = redis.call('GET', KEYS[2])
if not counter then
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
  return {0, 'quarantine', tonumber(ARGV[2])}
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {0, 'quarantine', redis.call('PTTL', KEYS[3])}
end
local holder = redis.call('GET', KEYS[1])
if holder then
  return {0, holder, redis.call('PTTL', KEYS[1])}
end
if tonumber(counter) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return {token, '', 0}
`;

/** ARGV: "<token>:<owner>", ttl ms. Extends the lease only if it is still ours: 1, else 0. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** ARGV: "<token>:<owner>". Deletes the lease only if it is still ours: never someone else's. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
