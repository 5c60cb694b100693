import { defineScript } from 'redis';
import type { RateDecision, RateLimiter } from '../types';
import type { RedisClient } from './client';
import type { RedisKeys } from './keys';

/**
 * A token bucket shared by every node: refill by elapsed time (Redis's clock, so nodes with
 * skewed clocks agree), take one token or answer how long until one is due. An idle bucket
 * expires once it would be full again, so idle users cost nothing.
 *
 * KEYS: bucket. ARGV: rate per second, burst. Answers { allowed (0|1), retry after ms }.
 */
export const takeTokenScript = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(bucket[1]) or burst, tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, wait}`,
  parseCommand(parser, key: string, ratePerSecond: number, burst: number) {
    parser.pushKey(key);
    parser.push(String(ratePerSecond), String(burst));
  },
  transformReply: ([allowed, retryAfterMs]: [number, number]): RateDecision =>
    allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs },
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
