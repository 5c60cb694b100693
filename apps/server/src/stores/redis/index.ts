import type { EventEmitter } from 'node:events';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { ParleyConfig, RedisConfig } from '../../config';
import type { Logger } from '../../logger';
import type { Stores, WebhookLane } from '../types';
import type { RedisConnections } from './connections';
import { createRedisHistoryStore, type Replication } from './history';
import { createRedisJoinStore } from './joins';
import { redisKeys } from './keys';
import { createRedisMemberStore } from './members';
import { createRedisNodeReportStore } from './nodes';
import { createRedisOccupancyStore } from './occupancy';
import { createRedisPresenceStore, heartbeatTimings } from './presence';
import { createRedisRateLimiter } from './rate-limiter';
import { createRedisRoomStore } from './rooms';
import { reportingUnavailable } from './unavailable';
import { createRedisWebhookQueue } from './webhook-queue';

export { createRedisConnections, type RedisConnections } from './connections';

export interface RedisStoreOptions {
  keyPrefix: string;
  nodeId: string;
  presenceTtlMs: number;
  /** How long a restarted node's leftover users have to come back before they leave. */
  leftoverGraceMs?: number;
  limits: Pick<ParleyConfig['limits'], 'historyRetention'>;
  /** Acknowledge messages only once replicas have them (REDIS_WAIT_REPLICAS). */
  replication?: Omit<Replication, 'waitFor'>;
  /** Webhook deliveries Redis keeps at most per lane (waiting for a receiver that is down, say). */
  webhookQueueCapacity?: number;
  /** Told of every store call's duration and every announcement heard (the metrics). */
  observer?: StoreObserver;
}

export interface StoreObserver {
  storeCall(store: string, seconds: number): void;
  announcementHeard(delivered: boolean): void;
}

/**
 * Per lane, shared by every node; at the default retries an event leaves the queue within some ten
 * minutes, so this is only reached when a receiver is down under heavy traffic.
 */
export const REDIS_WEBHOOK_QUEUE_CAPACITY = 100_000;

/** Every store in Redis, shared by all nodes; the stores own (and close) the connections. */
export function createRedisStores(
  connections: RedisConnections,
  options: RedisStoreOptions,
  log: Logger,
): Stores {
  const { commands, subscriber } = connections;
  const guard = <T extends object>(name: string, store: T) =>
    reportingUnavailable(name, store, connections.deadline, options.observer?.storeCall);
  const keys = redisKeys(options.keyPrefix);
  const presence = createRedisPresenceStore(commands, keys, {
    nodeId: options.nodeId,
    ttlMs: options.presenceTtlMs,
    graceMs: options.leftoverGraceMs,
    connectedForMs: connections.connectedForMs,
    inOrder: connections.inOrder,
  });
  const heartbeat = () =>
    presence.heartbeat().catch((error: unknown) => {
      log.debug({ err: error }, 'presence heartbeat failed; retrying');
    });
  let heartbeats: NodeJS.Timeout | undefined;
  // Every limiter's buckets live under its own scope, so one limiter's key can never share a
  // bucket with another's. (Chat messages are limited by the history store's append script.)
  const scopedRateLimiter = (scope: string, ratePerSecond: number, burst: number) => {
    const limiter = createRedisRateLimiter(commands, keys, ratePerSecond, burst);
    return guard(`${scope} rate`, {
      take: (key: string) => limiter.take(`${scope}:${key}`),
    });
  };

  const webhookLane = (lane: WebhookLane) =>
    guard(
      `webhookQueues.${lane}`,
      createRedisWebhookQueue(commands, keys, {
        lane,
        capacity: options.webhookQueueCapacity ?? REDIS_WEBHOOK_QUEUE_CAPACITY,
      }),
    );

  const history = createRedisHistoryStore(
    commands,
    subscriber,
    keys,
    options.limits.historyRetention,
    options.replication && {
      ...options.replication,
      waitFor: connections.waitForReplicas,
    },
    options.observer?.announcementHeard,
  );
  const rooms = createRedisRoomStore(commands, keys);

  return {
    history: guard('history', history),
    rooms: guard('rooms', rooms),
    members: guard('members', createRedisMemberStore(commands, keys)),
    presence: guard('presence', presence),
    joins: guard(
      'joins',
      createRedisJoinStore(
        commands,
        keys,
        { presence, history, rooms },
        connections.oneServer === true,
      ),
    ),
    rateLimiter: scopedRateLimiter,
    occupancy: guard('occupancy', createRedisOccupancyStore(commands, keys)),
    nodes: guard('nodes', createRedisNodeReportStore(commands, keys)),
    webhookQueues: {
      messages: webhookLane('messages'),
      presence: webhookLane('presence'),
    },

    async open() {
      await connections.open();
      await presence.start();
      // Renewed at once after a reconnect, before a survivor could take this node for dead.
      connections.onReady(() => void heartbeat());
      heartbeats = setInterval(heartbeat, heartbeatTimings(options.presenceTtlMs).everyMs);
    },

    ready: connections.ready,

    async close() {
      clearInterval(heartbeats);
      try {
        await presence.stop();
      } catch (error) {
        log.warn({ err: error }, 'could not clear this node from Redis; survivors will');
      }
      await connections.close();
    },
  };
}

/** The Socket.IO adapter that carries broadcasts between nodes, on the same connections. */
export function createRedisAdapter(
  connections: RedisConnections,
  { keyPrefix, shardedPubSub }: Pick<RedisConfig, 'keyPrefix' | 'shardedPubSub'>,
) {
  const channel = redisKeys(keyPrefix).adapterChannel;
  // The adapter of each namespace (a workspace with sockets here) adds an 'error' listener to
  // both clients and takes it off when the namespace goes: one per workspace, by design, so
  // Node's warning past 10 ("possible EventEmitter memory leak") would be a false alarm.
  for (const client of [connections.publisher, connections.adapterSubscriber]) {
    (client as unknown as EventEmitter).setMaxListeners(0);
  }
  return shardedPubSub
    ? createShardedAdapter(connections.publisher, connections.adapterSubscriber, {
        channelPrefix: channel,
      })
    : createAdapter(connections.publisher, connections.adapterSubscriber, { key: channel });
}
