import type { Logger } from './logger';

/**
 * Logs the first occurrence at once and then at most one line per interval with how many
 * happened since: loud enough to be seen, without a line per event while a receiver or Redis
 * is down under load.
 */
export function throttledLog(
  log: Logger,
  level: 'error' | 'warn',
  message: string,
  intervalMs = 10_000,
): (fields: Record<string, unknown>) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let unreported = 0;
  return (fields) => {
    unreported += 1;
    const now = Date.now();
    if (now - lastAt < intervalMs) return;
    log[level]({ ...fields, count: unreported }, message);
    lastAt = now;
    unreported = 0;
  };
}
