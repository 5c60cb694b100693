import type { ParleyConfig } from '../../config';
import type { Stores } from '../types';
import { createMemoryHistoryStore } from './history';
import { createMemoryPresenceStore } from './presence';
import { createMemoryRateLimiter } from './rate-limiter';
import { createMemoryRoomStore } from './rooms';

const SWEEP_INTERVAL_MS = 60_000;

/** The embedded default: everything in this process, nothing to install. */
export function createMemoryStores(
  limits: Pick<ParleyConfig['limits'], 'historyRetention' | 'messagesPerSecond' | 'messageBurst'>,
): Stores {
  const messageRate = createMemoryRateLimiter(limits.messagesPerSecond, limits.messageBurst);
  const limiters = [messageRate];
  const sweeper = setInterval(() => {
    for (const limiter of limiters) limiter.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  return {
    history: createMemoryHistoryStore(limits.historyRetention),
    rooms: createMemoryRoomStore(),
    presence: createMemoryPresenceStore(),
    messageRate,
    // Each limiter is its own instance here, so the scope needs no place in the keys.
    rateLimiter(_scope, ratePerSecond, burst) {
      const limiter = createMemoryRateLimiter(ratePerSecond, burst);
      limiters.push(limiter);
      return limiter;
    },
    async open() {},
    async ready() {
      return true;
    },
    async close() {
      clearInterval(sweeper);
    },
  };
}
