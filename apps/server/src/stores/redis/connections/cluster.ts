import { createCluster } from 'redis';
import type { RedisConfig, RedisNode } from '../../../config';
import type { Logger } from '../../../logger';
import { createDeadline } from '../deadline';
import { adapterViews, answersPing, closeWithin, createLink } from './link';
import { nodeOptions } from './node-options';
import { clusterRediscovery } from './node-redis-internals';
import { scripts } from './scripts';
import {
  type RedisClient,
  type RedisConnections,
  reconnectDelayMs,
  type SubscriberClient,
} from './types';

/** How often every master is pinged: a dead one is noticed, and its replica found, this soon. */
const HEALTH_CHECK_MS = 500;

/**
 * A Redis Cluster (REDIS_CLUSTER_NODES): node-redis routes each command by its key's slot (every
 * script and MULTI of Parley's stays within one slot: see keys.ts), classic pub/sub reaches every
 * shard, and sharded pub/sub (the adapter's default here) stays on the channel's shard.
 */
export function createClusterConnections(
  topology: { nodes: RedisNode[]; url?: string },
  config: RedisConfig,
  log: Logger,
): RedisConnections {
  const timeoutMs = config.commandTimeoutMs;
  const fromUrl = nodeOptions(topology.url);
  const cluster = createCluster({
    rootNodes: topology.nodes.map(({ host, port }) => ({ socket: { host, port } })),
    defaults: {
      ...fromUrl,
      // See standalone.ts: fail at once while disconnected; the Deadline times calls out.
      disableOfflineQueue: true,
      socket: { ...fromUrl.socket, reconnectStrategy: reconnectDelayMs, connectTimeout: timeoutMs },
    },
    scripts,
  });
  // The stores' command surface: the Cluster client offers the same commands and scripts.
  const commands = cluster as unknown as RedisClient;
  const subscriber = cluster as unknown as SubscriberClient;
  const link = createLink(log, ['commands']);
  cluster.on('error', (error: unknown) => link.lost('commands', error));
  cluster.on('node-error', () => {});

  const rediscover = clusterRediscovery(cluster);
  if (!rediscover) {
    log.warn(
      'this node-redis cannot be asked to reload the cluster slot map: a failed-over master is followed only once a node answers MOVED',
    );
  }
  /** Whether every master answers; when one does not, the slot map is reloaded from one that does. */
  const check = async (): Promise<boolean> => {
    const masters = cluster.masters;
    const answered = await Promise.all(
      masters.map(async (master) => {
        const client = await cluster.nodeClient(master).catch(() => undefined);
        return client && (await answersPing(() => client.ping(), timeoutMs)) ? client : undefined;
      }),
    );
    const live = answered.find((client) => client !== undefined);
    if (masters.length > 0 && answered.every((client) => client !== undefined)) return true;
    // A replica may have taken over: its slots are served again once the map names it.
    if (live && rediscover) await rediscover(live).catch(() => {});
    return false;
  };
  let checking: NodeJS.Timeout | undefined;
  let inCheck = false;
  const healthCheck = async () => {
    if (inCheck || !cluster.isOpen) return;
    inCheck = true;
    try {
      if (await check()) link.up('commands');
      else link.lost('commands', new Error('a Redis Cluster master does not answer'));
    } finally {
      inCheck = false;
    }
  };
  const adapter = adapterViews(commands, subscriber, log);

  return {
    commands,
    publisher: adapter.publisher,
    subscriber,
    adapterSubscriber: adapter.subscriber,
    async open() {
      await cluster.connect();
      link.up('commands');
      checking = setInterval(() => void healthCheck(), HEALTH_CHECK_MS);
    },
    async ready() {
      return cluster.isOpen && check();
    },
    connectedForMs: link.connectedForMs,
    onReady: link.onReady,
    // No reconnect on a missed deadline: the health check above follows the cluster's failovers.
    deadline: createDeadline(timeoutMs, () => {}),
    // Routed by the key, the WAIT goes to the master (and connection) that took the write.
    waitForReplicas: (key, replicas, ms) =>
      cluster.sendCommand(key, false, ['WAIT', String(replicas), String(ms)]) as Promise<number>,
    async primaries() {
      return (await Promise.all(
        cluster.masters.map((master) => cluster.nodeClient(master)),
      )) as unknown as RedisClient[];
    },
    async close() {
      clearInterval(checking);
      if (cluster.isOpen) {
        await closeWithin(
          timeoutMs,
          () => cluster.close(),
          () => cluster.isOpen && cluster.destroy(),
        );
      }
    },
  };
}
