/** No retry waits longer than this, however many attempts failed before. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

/**
 * How long to wait after failed attempt `attempt` (1 for the first): `baseMs`, doubling each
 * time, capped, then spread ±25% so that after a receiver's outage the retries of many events
 * do not all land on it in the same instant.
 */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.75 + random() * 0.5));
}
