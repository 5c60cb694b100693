import type { RateDecision, RateLimiter, TokenRate } from '../types';

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** The rate it was last taken at: what refills it, and when it counts as full. */
  rate: TokenRate;
}

/** Token buckets in memory, each key sized by its caller; full buckets are forgotten. */
export interface MemoryTokenBuckets {
  take(key: string, rate: TokenRate): RateDecision;
  /** Forgets the buckets that are full again, so idle keys cost nothing. */
  sweep(): void;
}

function refill(bucket: Bucket, now: number): void {
  const { perSecond, burst } = bucket.rate;
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
  bucket.updatedAt = now;
}

export function createMemoryTokenBuckets(): MemoryTokenBuckets {
  const buckets = new Map<string, Bucket>();
  return {
    take(key, rate) {
      const now = Date.now();
      const bucket = buckets.get(key) ?? { tokens: rate.burst, updatedAt: now, rate };
      refill(bucket, now);
      bucket.rate = rate;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterMs: Math.ceil(((1 - bucket.tokens) / rate.perSecond) * 1000),
      };
    },
    sweep() {
      const now = Date.now();
      for (const [key, bucket] of buckets) {
        refill(bucket, now);
        if (bucket.tokens >= bucket.rate.burst) buckets.delete(key);
      }
    },
  };
}

/** One rate for every key. */
export function createMemoryRateLimiter(
  ratePerSecond: number,
  burst: number,
): RateLimiter & { sweep(): void } {
  const buckets = createMemoryTokenBuckets();
  const rate = { perSecond: ratePerSecond, burst };
  return {
    async take(key) {
      return buckets.take(key, rate);
    },
    sweep: buckets.sweep,
  };
}
