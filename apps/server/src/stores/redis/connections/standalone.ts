import { createClient } from '@redis/client';
import type { RedisConfig } from '../../../config';
import type { Logger } from '../../../logger';
import { createDeadline } from '../deadline';
import { adapterViews, answersPing, closeWithin, createLink } from './link';
import { scripts } from './scripts';
import {
  type RedisClient,
  type RedisConnections,
  reconnectDelayMs,
  type SubscriberClient,
} from './types';

/** One Redis server (REDIS_URL): a command connection and a subscriber connection. */
export function createStandaloneConnections(
  url: string,
  config: RedisConfig,
  log: Logger,
): RedisConnections {
  const timeoutMs = config.commandTimeoutMs;
  const socket = { reconnectStrategy: reconnectDelayMs, connectTimeout: timeoutMs };
  const commands: RedisClient = createClient({
    url,
    scripts,
    // While disconnected, commands fail at once instead of waiting in a queue: a send answers
    // `unavailable` rather than hanging, and nothing is stored late behind the client's back.
    disableOfflineQueue: true,
    // No per-command timeout here: node-redis's covers only the wait to be written (and arms an
    // AbortSignal a command). Every store call is held to the Deadline instead (deadline.ts).
    socket,
  });
  // Subscriptions are remembered by the client and sent again after every reconnect; one asked
  // for while it reconnects waits for it (redis.integration.test.ts): its offline queue on, as a
  // new client's is. A duplicate of the command client shares its class: node-redis builds one
  // per createClient (≈ 500 commands attached, and the garbage it leaves), ≈ 80 ms of a start
  // pinned to one core. (Taken back twice before, when a store contract test that listens to the
  // feed timed out in half the runs, cause not found; that test cleared what it had heard while
  // warm-ups could still be on their way, and waits for a last one now. The duplicate passed the
  // whole suite and 10 more runs of the Redis store tests since.)
  const subscriber: SubscriberClient = commands.duplicate({ disableOfflineQueue: false });
  const link = createLink(log, ['commands', 'subscriber']);

  // A Redis that stops answering without closing the connection (paused, or behind a partition
  // that sends no reset) keeps the connection "ready" for ever, every command written to it
  // waiting. When a call misses its deadline, one PING decides: no answer in time, and both
  // connections are dropped and made again — what was waiting fails at once, new calls fail fast
  // (no offline queue) until Redis answers the new handshake, and subscriptions are renewed.
  let probing = false;
  const suspect = async () => {
    if (probing || !commands.isReady) return;
    probing = true;
    try {
      if (await answersPing(() => commands.ping(), timeoutMs)) return;
      for (const [role, client] of [
        ['commands', commands],
        ['subscriber', subscriber],
      ] as const) {
        link.lost(role, new Error(`redis did not answer a PING within ${timeoutMs} ms`));
        if (client.isOpen) client.destroy();
        // connect() retries by itself until Redis answers; its failures are 'error' events.
        client.connect().catch(() => {});
      }
    } finally {
      probing = false;
    }
  };

  for (const [role, client] of [
    ['commands', commands],
    ['subscriber', subscriber],
  ] as const) {
    // Without an 'error' listener a lost connection would crash the process.
    client.on('error', (error: Error) => link.lost(role, error));
    client.on('ready', () => link.up(role));
  }
  const adapter = adapterViews(commands, subscriber, log);

  return {
    commands,
    publisher: adapter.publisher,
    subscriber,
    // One connection: commands are carried out in the order sent.
    inOrder: true,
    oneServer: true,
    adapterSubscriber: adapter.subscriber,
    async open() {
      await Promise.all([commands.connect(), subscriber.connect()]);
    },
    async ready() {
      if (!commands.isReady || !subscriber.isReady) return false;
      return answersPing(() => commands.ping(), timeoutMs);
    },
    connectedForMs: link.connectedForMs,
    onReady: link.onReady,
    deadline: createDeadline(timeoutMs, () => void suspect()),
    // One connection carries every write, so its WAIT covers the caller's.
    waitForReplicas: (_key, replicas, ms) => commands.wait(replicas, ms),
    primaries: async () => [commands],
    async close() {
      // The subscriber has nothing worth waiting for; commands get one timeout to finish.
      if (subscriber.isOpen) subscriber.destroy();
      if (commands.isOpen) {
        await closeWithin(
          timeoutMs,
          () => commands.close(),
          () => commands.isOpen && commands.destroy(),
        );
      }
    },
  };
}
