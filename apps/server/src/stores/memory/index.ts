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
  const sweeper = setInterval(() => messageRate.sweep(), SWEEP_INTERVAL_MS);
  sweeper.unref();
  return {
    history: createMemoryHistoryStore(limits.historyRetention),
    rooms: createMemoryRoomStore(),
    presence: createMemoryPresenceStore(),
    messageRate,
    async open() {},
    async ready() {
      return true;
    },
    async close() {
      clearInterval(sweeper);
    },
  };
}
