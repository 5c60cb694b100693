import type { Rate } from '../config';

/**
 * A synchronous token bucket for limits that belong to one connection (and so to one node),
 * such as the flood guard on every incoming event. The rate is shared, not copied: one of these
 * exists per connection.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt = Date.now();

  constructor(private readonly rate: Rate) {
    this.tokens = rate.burst;
  }

  /** Takes a token; answers 0 when allowed, otherwise the milliseconds until one is due. */
  take(): number {
    const { perSecond, burst } = this.rate;
    const now = Date.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.updatedAt) / 1000) * perSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / perSecond) * 1000);
  }
}
