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
  /**
   * Takes a token from every bucket, or from none: answers the index of the first empty one
   * and its wait instead.
   */
  takeAll(
    buckets: { key: string; rate: TokenRate }[],
  ): { allowed: true } | { allowed: false; index: number; retryAfterMs: number };
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
  const current = (key: string, rate: TokenRate, now: number): Bucket => {
    const bucket = buckets.get(key) ?? { tokens: rate.burst, updatedAt: now, rate };
    refill(bucket, now);
    bucket.rate = rate;
    buckets.set(key, bucket);
    return bucket;
  };
  const waitMs = (bucket: Bucket) =>
    Math.ceil(((1 - bucket.tokens) / bucket.rate.perSecond) * 1000);
  return {
    take(key, rate) {
      const bucket = current(key, rate, Date.now());
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterMs: waitMs(bucket) };
    },
    takeAll(wanted) {
      const now = Date.now();
      const found = wanted.map(({ key, rate }) => current(key, rate, now));
      const empty = found.findIndex((bucket) => bucket.tokens < 1);
      if (empty !== -1) {
        return { allowed: false, index: empty, retryAfterMs: waitMs(found[empty] as Bucket) };
      }
      for (const bucket of found) bucket.tokens -= 1;
      return { allowed: true };
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
