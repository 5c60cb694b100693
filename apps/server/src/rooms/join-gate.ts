import { ErrorCode } from '@parley/protocol';
import { ParleyError } from '../errors';

/**
 * How many room joins a node works on at once. A join is some twenty store calls; when every
 * client of a restarted node re-joins in the same few seconds, thousands of joins at once would
 * put hundreds of thousands of commands in front of Redis together, past their deadlines, and
 * every join would answer `unavailable`. Through the gate, `concurrency` joins run and the rest
 * wait their turn in order; past `maxWaiting` waiting, or `maxWaitMs` waited, a join answers
 * `rate_limited` with a `retryAfterMs`, which clients honour — never `unavailable` for load.
 */
export interface JoinGate {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Joins running and waiting now (for tests and the metrics). */
  load(): { running: number; waiting: number };
}

interface Waiter {
  start(): void;
  refuse(): void;
  timer?: NodeJS.Timeout;
}

export function createJoinGate({
  concurrency,
  maxWaiting,
  maxWaitMs,
}: {
  concurrency: number;
  maxWaiting: number;
  maxWaitMs: number;
}): JoinGate {
  let running = 0;
  const waiting: Waiter[] = [];

  function busy(): ParleyError {
    return new ParleyError(ErrorCode.RateLimited, 'this node is busy with joins; try again soon', {
      // Spread the retries over the time the queue takes to drain, not all at one instant.
      retryAfterMs: Math.round(maxWaitMs * (0.5 + Math.random())),
    });
  }

  /** A finished join's slot goes straight to the first waiter, or is freed. */
  function release(): void {
    const waiter = waiting.shift();
    if (!waiter) {
      running--;
      return;
    }
    clearTimeout(waiter.timer);
    waiter.start();
  }

  return {
    async run(work) {
      if (running < concurrency) running++;
      else {
        if (waiting.length >= maxWaiting) throw busy();
        // Resolved by `release`, which hands over its slot (`running` stays as it is).
        await new Promise<void>((resolve, reject) => {
          const waiter: Waiter = { start: resolve, refuse: () => reject(busy()) };
          waiter.timer = setTimeout(() => {
            const index = waiting.indexOf(waiter);
            if (index !== -1) waiting.splice(index, 1);
            waiter.refuse();
          }, maxWaitMs);
          waiting.push(waiter);
        });
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
