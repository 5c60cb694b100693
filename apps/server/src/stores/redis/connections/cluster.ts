import { createCluster } from '@redis/client';
import type { RedisConfig, RedisNode } from '../../../config';
import { atMostFreeTime } from '../../../free-time';
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

type Listener = Parameters<SubscriberClient['subscribe']>[1];
type Kind = 'CHANNELS' | 'PATTERNS' | 'SHARDED';

/**
 * A Redis Cluster (REDIS_CLUSTER_NODES): node-redis routes each command by its key's slot (every
 * script and MULTI of Parley's stays within one slot: see keys.ts), classic pub/sub reaches every
 * shard, and sharded pub/sub (the adapter's default here) stays on the channel's shard.
 *
 * What node-redis does not do after a master dies is done here, by a health check: reload the
 * slot map once a replica has taken over (node-redis reloads only on a MOVED, which a dead master
 * never answers), and subscribe again, on the new master, to the sharded channels the dead one
 * held (node-redis drops its subscriber, subscriptions and all). Subscriptions asked for before
 * the cluster is open (the adapter's) wait for it: node-redis would fail them, having no map.
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
    // A master is connected on its first use (the health check uses each at once), not while the
    // slot map loads: node-redis would wait for those connections, retrying without end, and one
    // master in the map that cannot be reached would hold up that load and every later one.
    minimizeConnections: true,
  });
  // The stores' command surface: the Cluster client offers the same commands and scripts.
  const commands = cluster as unknown as RedisClient;
  const link = createLink(log, ['commands']);
  cluster.on('error', (error: unknown) => link.lost('commands', error));
  cluster.on('node-error', () => {});

  // Subscriptions are remembered here as asked for, and made once the cluster is open (the
  // Socket.IO adapter subscribes as soon as it is built, before the slot map is loaded).
  let opened: () => void = () => {};
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  /** The masters array subscriptions were last whole on (node-redis makes one at every reload). */
  let subscribedOn: unknown;
  /** Per kind: channel (or pattern) -> listener -> whether it takes Buffers. */
  const asked: Record<Kind, Map<string, Map<Listener, boolean>>> = {
    CHANNELS: new Map(),
    PATTERNS: new Map(),
    SHARDED: new Map(),
  };
  const subscribeNow: Record<
    Kind,
    (channel: string, listener: Listener, buffers: boolean) => Promise<void>
  > = {
    CHANNELS: (channel, listener, buffers) => cluster.subscribe(channel, listener, buffers),
    PATTERNS: (channel, listener, buffers) => cluster.pSubscribe(channel, listener, buffers),
    SHARDED: (channel, listener, buffers) => cluster.sSubscribe(channel, listener, buffers),
  };
  const unsubscribeNow: Record<
    Kind,
    (channel: string, listener?: Listener, buffers?: boolean) => Promise<void>
  > = {
    CHANNELS: (channel, listener, buffers) => cluster.unsubscribe(channel, listener, buffers),
    PATTERNS: (channel, listener, buffers) => cluster.pUnsubscribe(channel, listener, buffers),
    SHARDED: (channel, listener, buffers) => cluster.sUnsubscribe(channel, listener, buffers),
  };
  const namesOf = (channels: string | string[]) =>
    Array.isArray(channels) ? channels : [channels];
  const subscribing =
    (kind: Kind) =>
    async (channels: string | string[], listener: Listener, bufferMode?: boolean) => {
      const buffers = bufferMode === true;
      for (const channel of namesOf(channels)) {
        const listeners = asked[kind].get(channel) ?? new Map<Listener, boolean>();
        listeners.set(listener, buffers);
        asked[kind].set(channel, listeners);
      }
      await open;
      // Still wanted (not unsubscribed while the cluster opened)?
      const wanted = namesOf(channels).filter((channel) => asked[kind].get(channel)?.has(listener));
      try {
        // A channel at a time: the cluster client routes a sharded call by its first channel only.
        await Promise.all(wanted.map((channel) => subscribeNow[kind](channel, listener, buffers)));
      } catch (error) {
        // Made again by the next health check that finds every master answering.
        subscribedOn = undefined;
        throw error;
      }
    };
  const unsubscribing =
    (kind: Kind) =>
    async (channels?: string | string[], listener?: Listener, bufferMode?: boolean) => {
      const names = channels === undefined ? [...asked[kind].keys()] : namesOf(channels);
      for (const channel of names) {
        if (listener) asked[kind].get(channel)?.delete(listener);
        if (!listener || asked[kind].get(channel)?.size === 0) asked[kind].delete(channel);
      }
      if (!cluster.isOpen) return;
      await Promise.all(
        names.map((channel) => unsubscribeNow[kind](channel, listener, bufferMode)),
      );
    };
  // The subscriber everyone is handed: the cluster, its subscriptions remembered.
  const subscriber = Object.create(cluster) as SubscriberClient;
  for (const [kind, names] of [
    ['CHANNELS', ['subscribe', 'SUBSCRIBE', 'unsubscribe', 'UNSUBSCRIBE']],
    ['PATTERNS', ['pSubscribe', 'PSUBSCRIBE', 'pUnsubscribe', 'PUNSUBSCRIBE']],
    ['SHARDED', ['sSubscribe', 'SSUBSCRIBE', 'sUnsubscribe', 'SUNSUBSCRIBE']],
  ] as const) {
    const [on, ON, off, OFF] = names;
    for (const name of [on, ON])
      Object.defineProperty(subscriber, name, { value: subscribing(kind) });
    for (const name of [off, OFF])
      Object.defineProperty(subscriber, name, { value: unsubscribing(kind) });
  }

  /** Whether a node the cluster client subscribes on now holds this subscription. */
  const held = (kind: Kind, channel: string) =>
    (kind === 'SHARDED'
      ? cluster.masters.map((master) => master.pubSub?.client)
      : [cluster.pubSubNode?.client]
    ).some((client) => client?.getPubSubListeners(kind).has(channel));
  /**
   * Subscribes again to whatever no node holds, after each reload of the slot map (a master
   * failed over: node-redis drops its sharded subscriptions with it) and after a subscription
   * failed. One being made meanwhile may be asked twice, which node-redis takes as once.
   */
  const renewSubscriptions = async () => {
    const masters = cluster.masters;
    if (masters === subscribedOn) return;
    const renewals: Promise<boolean>[] = [];
    for (const kind of ['CHANNELS', 'PATTERNS', 'SHARDED'] as const) {
      for (const [channel, listeners] of asked[kind]) {
        if (held(kind, channel)) continue;
        for (const [listener, buffers] of listeners) {
          renewals.push(
            subscribeNow[kind](channel, listener, buffers).then(
              () => true,
              () => false,
            ),
          );
        }
      }
    }
    const outcomes = await atMostFreeTime(Promise.all(renewals), timeoutMs);
    const whole = outcomes?.every(Boolean) === true;
    if (renewals.length > 0) {
      log.info({ renewed: renewals.length, whole }, 'redis subscriptions renewed on the cluster');
    }
    if (whole) subscribedOn = masters;
  };

  const rediscover = clusterRediscovery(cluster);
  if (!rediscover) {
    log.warn(
      'this node-redis cannot be asked to reload the cluster slot map: a failed-over master is followed only once a node answers MOVED',
    );
  }
  /** The masters that answer a PING in time (connecting first where need be, in that time). */
  const answering = async () => {
    const masters = cluster.masters;
    const answered = await Promise.all(
      masters.map((master) =>
        answersPing(async () => (await cluster.nodeClient(master)).ping(), timeoutMs),
      ),
    );
    return { masters, live: masters.filter((_, i) => answered[i]) };
  };
  /** Masters (by address) that did not answer a check since the slot map was last reloaded. */
  const missed = new Set<string>();
  /**
   * Whether every master answers. Once one did not, the slot map is reloaded (through a master
   * that never stopped answering) until the map holds only masters that answer: a replica may
   * have taken over, and a master back from a restart may be one no longer (it answers PING
   * all the same, and until it hears of the new master, takes writes for its old slots).
   */
  const checkNow = async (): Promise<boolean> => {
    let { masters, live } = await answering();
    const note = () => {
      for (const master of masters) if (!live.includes(master)) missed.add(master.address);
    };
    note();
    if (missed.size > 0 && rediscover) {
      // Through a master that answers; else from the root nodes (node-redis tries each in turn).
      const [root] = topology.nodes;
      const via =
        live.find((master) => !missed.has(master.address))?.client ??
        live[0]?.client ??
        (root && { options: { socket: { ...root } } });
      if (via) {
        await atMostFreeTime(
          rediscover(via).catch(() => {}),
          timeoutMs,
        );
        // node-redis makes a new masters array at every reload.
        if (cluster.masters !== masters) {
          missed.clear();
          ({ masters, live } = await answering());
          note();
        }
      }
    }
    if (masters.length === 0 || live.length < masters.length) return false;
    await renewSubscriptions();
    return true;
  };
  // One check at a time: the timer's and readiness probes share whichever is running.
  let running: Promise<boolean> | undefined;
  const check = () => {
    running ??= checkNow().finally(() => {
      running = undefined;
    });
    return running;
  };
  let checking: NodeJS.Timeout | undefined;
  const healthCheck = async () => {
    if (!cluster.isOpen) return;
    if (await check()) link.up('commands');
    else link.lost('commands', new Error('a Redis Cluster master does not answer'));
  };
  const adapter = adapterViews(commands, subscriber, log);

  return {
    commands,
    publisher: adapter.publisher,
    subscriber,
    adapterSubscriber: adapter.subscriber,
    async open() {
      await cluster.connect();
      // What was asked before is made now, on this map; renewed only after a reload (or a failure).
      subscribedOn = cluster.masters;
      opened();
      // The classic subscriber's connection is made on the first subscription: made now, as a
      // standalone node's is, so that a listener added later is listening a round trip later.
      // (Should it fail, the health check makes it again with the rest.)
      await subscriber.subscribe(`${config.keyPrefix}cluster:subscriber`, () => {}).catch(() => {});
      // Connects every master now (see minimizeConnections above), so that one that dies later
      // is known to be down: commands for it then fail at once instead of waiting to connect.
      await healthCheck();
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
