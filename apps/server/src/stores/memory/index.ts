import type { ParleyConfig } from '../../config';
import { composedJoinStore } from '../joins';
import type { Stores } from '../types';
import { createMemoryHistoryStore } from './history';
import { createMemoryMemberStore } from './members';
import { createMemoryNodeReportStore } from './nodes';
import { createMemoryOccupancyStore } from './occupancy';
import { createMemoryPresenceStore } from './presence';
import { createMemoryRateLimiter, createMemoryTokenBuckets } from './rate-limiter';
import { createMemoryRoomStore } from './rooms';
import { createMemoryWebhookQueue } from './webhook-queue';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Webhook deliveries one process keeps at most per lane: about a megabyte per thousand small events, and
 * at the default retries an event leaves the queue within some ten minutes anyway.
 */
export const MEMORY_WEBHOOK_QUEUE_CAPACITY = 10_000;

/** The embedded default: everything in this process, nothing to install. */
export function createMemoryStores(
  limits: Pick<ParleyConfig['limits'], 'historyRetention'>,
  { webhookQueueCapacity = MEMORY_WEBHOOK_QUEUE_CAPACITY } = {},
): Stores {
  const senderBuckets = createMemoryTokenBuckets();
  const limiters: { sweep(): void }[] = [senderBuckets];
  const sweeper = setInterval(() => {
    for (const limiter of limiters) limiter.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  const presence = createMemoryPresenceStore();
  const rooms = createMemoryRoomStore();
  const history = createMemoryHistoryStore(
    limits.historyRetention,
    senderBuckets,
    rooms.readOnlyNow,
  );
  return {
    history,
    rooms,
    members: createMemoryMemberStore(rooms),
    presence,
    joins: composedJoinStore({ presence, rooms, history }),
    occupancy: createMemoryOccupancyStore(presence),
    nodes: createMemoryNodeReportStore(),
    webhookQueues: {
      messages: createMemoryWebhookQueue({ capacity: webhookQueueCapacity }),
      presence: createMemoryWebhookQueue({ capacity: webhookQueueCapacity }),
    },
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
