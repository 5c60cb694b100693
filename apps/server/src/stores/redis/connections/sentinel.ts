import { createClient, createSentinel } from '@redis/client';
import type { RedisConfig, RedisNode } from '../../../config';
import type { Logger } from '../../../logger';
import { createDeadline } from '../deadline';
import { adapterViews, answersPing, closeWithin, createLink } from './link';
import { nodeOptions } from './node-options';
import { scripts } from './scripts';
import {
  type RedisClient,
  type RedisConnections,
  reconnectDelayMs,
  type SubscriberClient,
} from './types';

const SUBSCRIPTION_METHODS = [
  'subscribe',
  'pSubscribe',
  'sSubscribe',
  'unsubscribe',
  'pUnsubscribe',
  'sUnsubscribe',
];

/** How often the link is checked: a failover is noticed, and announced as restored, this soon. */
const HEALTH_CHECK_MS = 500;

/**
 * A master found through Sentinel (REDIS_SENTINELS): node-redis asks the sentinels for the master,
 * hears their `+switch-master` and moves its connections to the new master on a failover. Commands
 * and subscriptions share the one Sentinel client (it keeps a connection of its own for pub/sub).
 */
export function createSentinelConnections(
  topology: { sentinels: RedisNode[]; masterName: string; url?: string },
  config: RedisConfig,
  log: Logger,
): RedisConnections {
  const timeoutMs = config.commandTimeoutMs;
  const fromUrl = nodeOptions(topology.url);
  const sentinel = createSentinel({
    name: topology.masterName,
    sentinelRootNodes: topology.sentinels,
    scripts,
    // One connection to the master: every write and the WAIT after it share it, so WAIT covers
    // the write (a pool would WAIT on whichever connection is free).
    masterPoolSize: 1,
    nodeClientOptions: {
      ...fromUrl,
      // See standalone.ts: fail at once while disconnected; the Deadline times calls out.
      disableOfflineQueue: true,
      socket: { ...fromUrl.socket, reconnectStrategy: reconnectDelayMs, connectTimeout: timeoutMs },
    },
    sentinelClientOptions: { socket: { connectTimeout: timeoutMs } },
    passthroughClientErrorEvents: true,
  });
  // The stores' command surface: the Sentinel client offers the same commands and scripts.
  const commands = sentinel as unknown as RedisClient;
  const link = createLink(log, ['commands']);
  sentinel.on('error', (error: unknown) => link.lost('commands', error));
  let masterKnown = false;
  sentinel.on('topology-change', (event: { type: string; node?: RedisNode }) => {
    if (event.type !== 'MASTER_CHANGE') return;
    if (masterKnown) log.warn({ master: event.node }, 'redis master changed (a failover)');
    else log.info({ master: event.node }, 'redis master found through the sentinels');
    masterKnown = true;
  });

  const answers = () => answersPing(() => commands.ping(), timeoutMs);
  let checking: NodeJS.Timeout | undefined;
  const check = async () => {
    if (!sentinel.isReady) return;
    if (await answers()) link.up('commands');
    else link.lost('commands', new Error(`the master did not answer a PING in ${timeoutMs} ms`));
  };
  // The Sentinel client's pub/sub has no node before connect() found the master, and refuses
  // a subscription made earlier (the adapter subscribes as it is built): those wait for open.
  let opened: () => void = () => {};
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const subscriber = Object.create(sentinel) as SubscriberClient;
  for (const method of SUBSCRIPTION_METHODS) {
    const original = (sentinel as unknown as Record<string, (...args: unknown[]) => unknown>)[
      method
    ];
    if (typeof original !== 'function') continue;
    Object.defineProperty(subscriber, method, {
      value: async (...args: unknown[]) => {
        await open;
        return original.apply(sentinel, args);
      },
    });
  }
  const adapter = adapterViews(commands, subscriber, log);
  let scanner: RedisClient | undefined;

  return {
    commands,
    publisher: adapter.publisher,
    subscriber,
    // One connection to the master (masterPoolSize 1): commands are carried out in the order sent.
    inOrder: true,
    oneServer: true,
    adapterSubscriber: adapter.subscriber,
    async open() {
      await sentinel.connect();
      opened();
      link.up('commands');
      checking = setInterval(() => void check(), HEALTH_CHECK_MS);
    },
    async ready() {
      return sentinel.isReady && answers();
    },
    connectedForMs: link.connectedForMs,
    onReady: link.onReady,
    // No reconnect on a missed deadline: a master that stops answering is the sentinels' to
    // replace, and the client follows them.
    deadline: createDeadline(timeoutMs, () => {}),
    waitForReplicas: (_key, replicas, ms) => commands.wait(replicas, ms),
    async primaries() {
      const master = sentinel.getMasterNode();
      if (!master) throw new Error('no master known to the sentinels');
      scanner ??= createClient({
        ...fromUrl,
        scripts,
        socket: { ...fromUrl.socket, host: master.host, port: master.port },
      }) as unknown as RedisClient;
      if (!scanner.isOpen) await scanner.connect();
      return [scanner];
    },
    async close() {
      clearInterval(checking);
      if (scanner?.isOpen) scanner.destroy();
      if (sentinel.isOpen) {
        await closeWithin(
          timeoutMs,
          () => sentinel.close(),
          () => sentinel.isOpen && sentinel.destroy(),
        );
      }
    },
  };
}
