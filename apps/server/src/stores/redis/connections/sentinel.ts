import { createClient, createSentinel } from 'redis';
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
  sentinel.on('topology-change', (event: { type: string; node?: RedisNode }) => {
    if (event.type === 'MASTER_CHANGE') log.warn({ master: event.node }, 'redis master changed');
  });

  const answers = () => answersPing(() => commands.ping(), timeoutMs);
  let checking: NodeJS.Timeout | undefined;
  const check = async () => {
    if (!sentinel.isReady) return;
    if (await answers()) link.up('commands');
    else link.lost('commands', new Error(`the master did not answer a PING in ${timeoutMs} ms`));
  };
  const adapter = adapterViews(commands, sentinel as unknown as SubscriberClient, log);
  let scanner: RedisClient | undefined;

  return {
    commands,
    publisher: adapter.publisher,
    subscriber: sentinel as unknown as SubscriberClient,
    adapterSubscriber: adapter.subscriber,
    async open() {
      await sentinel.connect();
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
