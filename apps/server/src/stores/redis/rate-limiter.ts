import { defineScript } from '@redis/client';
import type { RateDecision, RateLimiter } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';

/**
 * Lua token buckets shared by every node: refill by elapsed time (Redis's clock, so nodes with
 * skewed clocks agree), then take. `bucket_read(key, rate, burst, now)` answers the tokens there
 * are now; `bucket_write` stores what is left; `bucket_wait` answers the ms until one is due.
 * An idle bucket expires once it would be full again, so idle keys cost nothing. Scripts that
 * limit something include it (the message append checks two buckets before taking from either).
 */
export const TAKE_TOKEN_LUA = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function bucket_read(key, rate, burst, now)
  local bucket = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(bucket[1]) or burst, tonumber(bucket[2]) or now
  return math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
end
local function bucket_write(key, tokens, rate, burst, now)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / rate * 1000) + 1000)
end
local function bucket_wait(tokens, rate)
  return math.ceil((1 - tokens) / rate * 1000)
end
local function take_token(key, rate, burst)
  local now = now_ms()
  local tokens = bucket_read(key, rate, burst, now)
  local wait = 0
  if tokens >= 1 then
    tokens = tokens - 1
  else
    wait = bucket_wait(tokens, rate)
  end
  bucket_write(key, tokens, rate, burst, now)
  return wait
end`;

/**
 * KEYS: bucket. ARGV: rate per second, burst. Answers the wait in ms (0: a token was taken).
 */
export const takeTokenScript = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `${TAKE_TOKEN_LUA}
return take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))`,
  parseCommand(parser, key: string, ratePerSecond: number, burst: number) {
    parser.pushKey(key);
    parser.push(String(ratePerSecond), String(burst));
  },
  transformReply: (waitMs: number): RateDecision =>
    waitMs === 0 ? { allowed: true } : { allowed: false, retryAfterMs: waitMs },
});

export function createRedisRateLimiter(
  client: RedisClient,
  keys: RedisKeys,
  ratePerSecond: number,
  burst: number,
): RateLimiter {
  return {
    async take(key) {
      return client.takeToken(keys.rate(key), ratePerSecond, burst);
    },
  };
}
