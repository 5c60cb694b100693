/** The first restart of a worker that died waits this long; a crash loop doubles it each time. */
export const RESTART_DELAY_MIN_MS = 500;
export const RESTART_DELAY_MAX_MS = 30_000;

/**
 * How long to wait before restarting a worker after its `crashes`-th death in a row (1 for a
 * worker that had been running well): long enough that a worker failing at start (Redis
 * unreachable, say) does not spin the host, short enough that a one-off crash costs half a second.
 */
export function restartDelayMs(crashes: number): number {
  const doublings = Math.max(0, Math.min(crashes - 1, 16));
  return Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** doublings);
}
