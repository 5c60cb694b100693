import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from './token-bucket';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('allows its burst, then one token per 1/rate seconds, and says how long to wait', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        // Calls spaced by this many ms while waiting: refills must not be lost to rounding.
        fc.integer({ min: 0, max: 50 }),
        (perSecond, burst, spacingMs) => {
          vi.useFakeTimers({ now: 1_800_000_000_000 });
          const bucket = new TokenBucket({ perSecond, burst });
          for (let i = 0; i < burst; i++) expect(bucket.take()).toBe(0);
          const waitMs = bucket.take();
          const perTokenMs = 1000 / perSecond;
          expect(waitMs).toBeGreaterThan(0);
          expect(waitMs).toBeLessThanOrEqual(Math.ceil(perTokenMs) + 1);
          // Asking often while waiting neither refills early nor delays the token past its due.
          let waited = 0;
          if (spacingMs > 0) {
            while (waited + spacingMs < perTokenMs - 1) {
              vi.advanceTimersByTime(spacingMs);
              waited += spacingMs;
              expect(bucket.take()).toBeGreaterThan(0);
            }
          }
          vi.advanceTimersByTime(Math.ceil(perTokenMs) + 1 - waited);
          expect(bucket.take()).toBe(0);
          vi.useRealTimers();
        },
      ),
      { numRuns: 200 },
    );
  });
});
