import type { Logger } from '../logger';
import { StoreUnavailableError } from './errors';

/**
 * What the log says while the store cannot be reached: one line when it starts (with the first
 * failure's reason, no stack), one summary per interval with counts by where they happened, and
 * one line when it is over — not a line per failed call (an outage under load used to write
 * tens of megabytes in seconds).
 */
export interface OutageLog {
  /**
   * Reports a failed store call. Answers whether it was a `StoreUnavailableError` (counted here);
   * anything else is the caller's to log.
   */
  failed(where: string, error: unknown): boolean;
  stop(): void;
}

export function createOutageLog(
  log: Logger,
  { summaryMs = 10_000, counted = () => {} }: { summaryMs?: number; counted?: () => void } = {},
): OutageLog {
  let since: number | undefined;
  let total = 0;
  let window = new Map<string, number>();
  let summaries: NodeJS.Timeout | undefined;

  const summarize = () => {
    if (window.size === 0) {
      log.info(
        { failures: total, downForMs: Date.now() - (since ?? Date.now()) },
        'store reachable again',
      );
      clearInterval(summaries);
      summaries = undefined;
      since = undefined;
      total = 0;
      return;
    }
    const byPlace = Object.fromEntries(window);
    const failures = [...window.values()].reduce((sum, count) => sum + count, 0);
    log.warn(
      { failures, byPlace, downForMs: Date.now() - (since ?? Date.now()) },
      'store still unreachable',
    );
    window = new Map();
  };

  return {
    failed(where, error) {
      if (!(error instanceof StoreUnavailableError)) return false;
      counted();
      total += 1;
      window.set(where, (window.get(where) ?? 0) + 1);
      if (since === undefined) {
        since = Date.now();
        log.warn(
          { where, reason: error.message },
          'store unreachable: answering unavailable until it is back',
        );
        summaries = setInterval(summarize, summaryMs);
        summaries.unref();
      }
      return true;
    },
    stop() {
      clearInterval(summaries);
    },
  };
}
