import type { RateLimiter } from '../types';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token buckets in memory; full buckets are forgotten so idle users cost nothing. */
export function createMemoryRateLimiter(
  ratePerSecond: number,
  burst: number,
): RateLimiter & {
  sweep(): void;
} {
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, now: number) => {
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond,
    );
    bucket.updatedAt = now;
  };

  return {
    async take(key) {
      const now = Date.now();
      const bucket = buckets.get(key) ?? { tokens: burst, updatedAt: now };
      refill(bucket, now);
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterMs: Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000),
      };
    },
    sweep() {
      const now = Date.now();
      for (const [key, bucket] of buckets) {
        refill(bucket, now);
        if (bucket.tokens >= burst) buckets.delete(key);
      }
    },
  };
}
